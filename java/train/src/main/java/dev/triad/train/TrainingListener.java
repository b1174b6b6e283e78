package dev.triad.train;

import java.nio.file.Path;

/**
 * Watches a training run from Java, without parsing its console output: every phase's
 * {@code run(options, listener)} hands the listener to its {@link Trainer} (or, for PPO, to its own
 * loop), which calls it with the figures it writes to {@code metrics.jsonl}, the same values.
 *
 * <p><b>When.</b> Calls come synchronously on the training thread, once a step's work is durable:
 * after its {@code metrics.jsonl} line and its checkpoint (if the step saves one) are written, in
 * the order {@link #onStep}, {@link #onEval} (if the step evaluated), {@link #onCheckpoint} (if it
 * saved). A fresh run's step-0 validation loss comes as {@code onEval} with step 0 before step 1.
 * A slow listener slows training by its own time.
 *
 * <p><b>Exceptions.</b> An exception thrown by a listener is not caught: it propagates out of
 * {@code run} unchanged, so the run stops before the next step. Nothing of the step is lost or
 * half-written: its metrics line and checkpoint were written before the call, so the run resumes
 * from its latest checkpoint like any interrupted run. Throwing is therefore also a way to stop a
 * run early on purpose.
 */
public interface TrainingListener {
  /** One optimizer step's figures. */
  default void onStep(StepMetrics m) {}

  /** A held-out evaluation (only where the phase has held-out data, as in metrics.jsonl). */
  default void onEval(EvalMetrics m) {}

  /** A checkpoint file was written (completely: checkpoints are written atomically). */
  default void onCheckpoint(Path file, long step) {}

  /** The listener that does nothing. */
  TrainingListener NONE = new TrainingListener() {};
}
