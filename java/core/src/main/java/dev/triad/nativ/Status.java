package dev.triad.nativ;

import dev.triad.TriadException;
import dev.triad.TriadOutOfMemoryException;

/** Turns libtriad status codes into Java exceptions carrying the native error message. */
public final class Status {
  private Status() {}

  /** Throws the exception matching {@code status} unless it is {@code TRIAD_OK}. */
  public static void check(int status) {
    if (status == TriadNative.TRIAD_OK) {
      return;
    }
    String message = TriadNative.triad_last_error();
    switch (status) {
      case TriadNative.TRIAD_ERR_INVALID:
        throw new IllegalArgumentException(message);
      case TriadNative.TRIAD_ERR_OOM:
        throw new TriadOutOfMemoryException(message);
      case TriadNative.TRIAD_ERR_UNSUPPORTED:
        throw new UnsupportedOperationException(message);
      default:
        throw new TriadException(status, message);
    }
  }

  /** Symbolic name of a status code, for messages. */
  public static String name(int status) {
    switch (status) {
      case TriadNative.TRIAD_OK: return "OK";
      case TriadNative.TRIAD_ERR_INVALID: return "INVALID";
      case TriadNative.TRIAD_ERR_OOM: return "OUT_OF_MEMORY";
      case TriadNative.TRIAD_ERR_UNSUPPORTED: return "UNSUPPORTED";
      case TriadNative.TRIAD_ERR_DEVICE: return "DEVICE";
      case TriadNative.TRIAD_ERR_COMM: return "COMMUNICATION";
      default: return "INTERNAL";
    }
  }
}
