package dev.triad.io;

import java.nio.file.Path;

/**
 * The check every loaded tensor passes (checkpoints, Hugging Face imports): all values finite. Why:
 * a NaN or infinite weight loads without complaint and only shows later, as empty samples or a
 * training loss blamed on the learning rate; a file holding one is corrupt or from a diverged run.
 */
public final class FiniteCheck {
  private FiniteCheck() {}

  /** Throws naming the file, the tensor, the first bad element's index and its value. */
  public static void require(float[] values, Path file, String tensor) throws CheckpointFormatException {
    for (int i = 0; i < values.length; i++) {
      float v = values[i];
      if (v - v != 0f) { // NaN or +-Inf (x - x is 0 exactly for every finite x)
        int bad = 0;
        for (int j = i; j < values.length; j++) {
          if (!Float.isFinite(values[j])) {
            bad++;
          }
        }
        throw new CheckpointFormatException(file + ": tensor '" + tensor + "' holds " + v + " at element " + i
            + " (" + bad + " of its " + values.length + " values are not finite): the file is corrupt or"
            + " comes from a run that diverged; it is not loaded");
      }
    }
  }
}
