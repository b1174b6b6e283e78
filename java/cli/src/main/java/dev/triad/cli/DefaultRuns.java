package dev.triad.cli;

import dev.triad.train.Checkpoints;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Optional;

/**
 * Which run {@code sample} and {@code chat} load when {@code --run} is not given: the run the phase's
 * own command writes by default ({@code runs/pretrain}, {@code runs/sft}), else the one
 * {@code triad demo} wrote ({@code runs/demo/...}), so a first user who ran only the demo is not sent
 * to a directory that does not exist. Without either, one line says where to look.
 */
final class DefaultRuns {
  private DefaultRuns() {}

  /** Where {@code triad demo} writes by default. */
  static final Path DEMO = Path.of("runs/demo");
  /** The demo's RL runs, any of which {@code chat} may talk to. */
  static final List<String> RL_PHASES = List.of("ppo", "dpo", "grpo");

  /** A run chosen by default and, when it is not the usual default, why (for one line on stderr). */
  record Choice(Path run, String note) {}

  /**
   * {@code sample}'s run: {@code given} when set; else {@code runs/pretrain}; else the demo's
   * {@code runs/demo/pretrain}.
   *
   * @throws IllegalArgumentException naming both places and how to fill them when neither holds a run
   */
  static Choice forSample(Path given, Path root) {
    if (given != null) {
      return new Choice(given, null);
    }
    Path usual = root.resolve("runs/pretrain");
    if (isRun(usual)) {
      return new Choice(usual, null);
    }
    Path demo = root.resolve(DEMO).resolve("pretrain");
    if (isRun(demo)) {
      return new Choice(demo, "using the demo's run " + demo + " (" + usual + " holds no run)");
    }
    throw new IllegalArgumentException("no run in " + usual + " (`triad pretrain` writes it) or " + demo
        + " (`triad demo` writes it); pass --run DIR to sample another run");
  }

  /**
   * {@code chat}'s run: {@code given} when set; else {@code runs/sft}; else the demo's newest RL run
   * ({@code runs/demo/ppo}, {@code dpo} or {@code grpo}, by its latest checkpoint's time), the model the
   * demo ends with; else the demo's {@code runs/demo/sft}.
   *
   * @throws IllegalArgumentException naming the places looked in when none holds a run
   */
  static Choice forChat(Path given, Path root) {
    if (given != null) {
      return new Choice(given, null);
    }
    Path usual = root.resolve("runs/sft");
    if (isRun(usual)) {
      return new Choice(usual, null);
    }
    Path demo = root.resolve(DEMO);
    Path newest = null;
    FileTime newestTime = null;
    for (String phase : RL_PHASES) {
      Optional<Path> latest = isRun(demo.resolve(phase)) ? new Checkpoints(demo.resolve(phase), 1).latest()
          : Optional.empty();
      if (latest.isPresent()) {
        FileTime t = modified(latest.get());
        if (newestTime == null || t.compareTo(newestTime) > 0) {
          newest = demo.resolve(phase);
          newestTime = t;
        }
      }
    }
    if (newest != null) {
      return new Choice(newest, "using the demo's aligned run " + newest + " (" + usual + " holds no run)");
    }
    if (isRun(demo.resolve("sft"))) {
      return new Choice(demo.resolve("sft"), "using the demo's run " + demo.resolve("sft") + " (" + usual
          + " holds no run)");
    }
    throw new IllegalArgumentException("no run in " + usual + " (`triad sft` writes it) or in " + demo + "/{"
        + String.join(",", RL_PHASES) + ",sft} (`triad demo` writes them); pass --run DIR to chat with another run");
  }

  /** Whether {@code dir} holds a run: its config.json and at least one checkpoint. */
  static boolean isRun(Path dir) {
    return Files.isRegularFile(dir.resolve("config.json")) && new Checkpoints(dir, 1).latest().isPresent();
  }

  private static FileTime modified(Path file) {
    try {
      return Files.getLastModifiedTime(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the time of " + file, e);
    }
  }
}
