package dev.triad;

import dev.triad.nativ.TriadNative;

/** A device ran out of memory; the message names the requested bytes. */
public class TriadOutOfMemoryException extends TriadException {
  private static final long serialVersionUID = 1L;

  public TriadOutOfMemoryException(String message) {
    super(TriadNative.TRIAD_ERR_OOM, message);
  }
}
