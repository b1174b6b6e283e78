package dev.triad.io;

import java.io.IOException;

/**
 * A file that was read successfully but whose content is wrong: a malformed safetensors header,
 * a tensor missing or of the wrong shape, an unsupported configuration. Why a type of its own: a
 * caller can tell a corrupt or mismatched checkpoint (do not retry; pick another file) from an
 * I/O failure. The message always names the file and what is wrong with it.
 */
public class CheckpointFormatException extends IOException {
  private static final long serialVersionUID = 1L;

  public CheckpointFormatException(String message) {
    super(message);
  }

  public CheckpointFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
