package dev.triad.train;

/**
 * A held-out evaluation as {@link TrainingListener#onEval} sees it.
 *
 * @param step the step after which it ran (0: before training, in a fresh run)
 * @param valLoss the held-out loss ({@code val_loss} in metrics.jsonl)
 */
public record EvalMetrics(long step, double valLoss) {}
