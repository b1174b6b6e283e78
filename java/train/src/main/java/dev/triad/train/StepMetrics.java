package dev.triad.train;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One optimizer step as {@link TrainingListener#onStep} sees it: the values of the step's
 * {@code metrics.jsonl} line (its keys in parentheses), plus the run's elapsed time.
 *
 * @param step the step just completed, from 1 ({@code step})
 * @param totalSteps the step the run trains to
 * @param loss the mean training loss over the step's micro-batches ({@code loss}); NaN for PPO,
 *     whose policy and value losses are in {@code phase}
 * @param lr the learning rate the step used ({@code lr})
 * @param gradNorm the global gradient norm before clipping ({@code grad_norm}); NaN for PPO
 * @param tokens tokens the step trained on ({@code tokens}; PPO: the policy update's tokens)
 * @param tokensPerSecond {@code tokens} over the step's time ({@code tokens_per_s}; PPO:
 *     {@code train_tokens_per_s})
 * @param stepMillis the step's wall time in ms ({@code step_ms}; PPO: rollout and update)
 * @param mfu model FLOPs utilisation ({@code mfu}), NaN where it is not known
 * @param elapsedSeconds wall time since this invocation of {@code run} opened its metrics
 * @param phase the phase's own figures under their metrics.jsonl names (GRPO's
 *     {@code reward_mean}, PPO's {@code reward}, {@code kl}, ...; empty for most phases), in order
 */
public record StepMetrics(long step, long totalSteps, double loss, double lr, double gradNorm, long tokens,
    double tokensPerSecond, double stepMillis, double mfu, double elapsedSeconds, Map<String, Object> phase) {
  public StepMetrics {
    phase = Collections.unmodifiableMap(new LinkedHashMap<>(phase));
  }
}
