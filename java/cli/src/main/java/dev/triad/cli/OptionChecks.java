package dev.triad.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * Parse-time checks of option values, each failing with a message that names the option, the value
 * and what is allowed ("--batch 0: must be an integer >= 1"). Why here and not deeper: a bad value
 * must stop a command before it reads or writes anything, and the deeper layers' messages
 * ("/ by zero", "-1", NaN losses) do not say which option was wrong. Commands call these first in
 * {@code call()}; `Main` prints the message as one line.
 */
final class OptionChecks {
  private OptionChecks() {}

  static void atLeast(String option, long value, long min) {
    if (value < min) {
      throw new IllegalArgumentException(option + " " + value + ": must be an integer >= " + min);
    }
  }

  static void between(String option, long value, long min, long max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(option + " " + value + ": must be an integer in [" + min + ", " + max + "]");
    }
  }

  /** A finite value > 0. */
  static void positive(String option, double value) {
    if (!(value > 0) || Double.isInfinite(value)) {
      throw new IllegalArgumentException(option + " " + fmt(value) + ": must be a finite number > 0");
    }
  }

  /** A finite value >= 0. */
  static void nonNegative(String option, double value) {
    if (!(value >= 0) || Double.isInfinite(value)) {
      throw new IllegalArgumentException(option + " " + fmt(value) + ": must be a finite number >= 0");
    }
  }

  /** A finite value in [lo, hi]. */
  static void within(String option, double value, double lo, double hi) {
    if (!(value >= lo && value <= hi)) {
      throw new IllegalArgumentException(option + " " + fmt(value) + ": must be a number in [" + fmt(lo) + ", "
          + fmt(hi) + "]");
    }
  }

  /** Any finite value. */
  static void finite(String option, double value) {
    if (!Double.isFinite(value)) {
      throw new IllegalArgumentException(option + " " + fmt(value) + ": must be a finite number");
    }
  }

  static void oneOf(String option, String value, String... allowed) {
    if (value == null || !Arrays.asList(allowed).contains(value.toLowerCase(Locale.ROOT))) {
      throw new IllegalArgumentException(option + " " + value + ": must be one of " + String.join(", ", allowed));
    }
  }

  /** An existing, readable directory. */
  static void readableDirectory(String option, Path dir) {
    if (dir == null) {
      return;
    }
    if (!Files.exists(dir)) {
      throw new IllegalArgumentException(option + " " + dir + ": no such directory");
    }
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException(option + " " + dir + ": is a file, not a directory");
    }
    if (!Files.isReadable(dir)) {
      throw new IllegalArgumentException(option + " " + dir + ": directory not readable (permission denied)");
    }
  }

  /** An existing, readable regular file. */
  static void readableFile(String option, Path file) {
    if (file == null) {
      return;
    }
    if (!Files.exists(file)) {
      throw new IllegalArgumentException(option + " " + file + ": no such file");
    }
    if (Files.isDirectory(file)) {
      throw new IllegalArgumentException(option + " " + file + ": is a directory, not a file");
    }
    if (!Files.isReadable(file)) {
      throw new IllegalArgumentException(option + " " + file + ": file not readable (permission denied)");
    }
  }

  /** An output directory: absent (created later) or a directory, never an existing file. */
  static void outputDirectory(String option, Path dir) {
    if (dir != null && Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new IllegalArgumentException(option + " " + dir + ": is a file, not a directory");
    }
  }

  /** A run directory to read: it must hold config.json. */
  static void runDirectory(String option, Path dir) {
    readableDirectory(option, dir);
    Path config = dir.resolve("config.json");
    if (!Files.isRegularFile(config)) {
      throw new IllegalArgumentException(option + " " + dir + ": not a Triad run (no config.json in it)");
    }
  }

  /** As typed, as far as possible: "0", "1.5", "0.001" (a float option's value printed as a float). */
  private static String fmt(double v) {
    if (v == Math.rint(v) && !Double.isInfinite(v) && Math.abs(v) < 1e15) {
      return Long.toString((long) v);
    }
    String s = (double) (float) v == v ? Float.toString((float) v) : Double.toString(v);
    return s.replace(".0E", "E");
  }
}
