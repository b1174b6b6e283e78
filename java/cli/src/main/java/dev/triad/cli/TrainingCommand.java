package dev.triad.cli;

import java.util.concurrent.Callable;

/**
 * A command that trains into a run directory. {@link Main} calls {@link #validate()} after --resume has
 * restored the run's recorded options and before the run directory is locked or written, so a refused
 * command leaves nothing behind; {@code call()} validates again for the paths that skip that (--check).
 */
interface TrainingCommand extends Callable<Integer> {
  /** Checks every option (OptionChecks); idempotent. */
  void validate();
}
