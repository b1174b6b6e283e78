package dev.triad;

import dev.triad.nativ.Status;

/** A failure reported by libtriad that has no more specific Java exception type. */
public class TriadException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int status;

  public TriadException(int status, String message) {
    super("[" + Status.name(status) + "] " + message);
    this.status = status;
  }

  /** The libtriad status code (TRIAD_ERR_*). */
  public int status() {
    return status;
  }
}
