package dev.triad.train.rlhf;

import java.util.ArrayList;
import java.util.List;

/**
 * PPO's training targets of a scored rollout: each reply's per-token rewards ({@link Gae#rewards}:
 * -beta * KL to the reference per token, the reward model's score added at the last), its GAE
 * advantages and returns, and the advantages whitened over the whole rollout.
 */
final class PpoAdvantages {
  private PpoAdvantages() {}

  /**
   * Row-major [B, T] like the padded rollout: 1 where a position predicts a reply token, the
   * whitened advantages and the returns there (0 elsewhere); and the per-token KL summed over all replies.
   */
  record Result(float[] mask, double[] advantages, double[] returns, double klSum) {}

  /**
   * @param lpOld the rollout's per-token log-probs under the policy that sampled it, [B*T]
   * @param lpRef the same under the frozen reference
   * @param vOld the critic's values, [B*T]
   * @param scores the reward model's score of each reply
   */
  static Result compute(Rollout ro, int T, float[] lpOld, float[] lpRef, float[] vOld, double[] scores, double beta,
      double gamma, double lambda) {
    return compute(ro, T, lpOld, lpRef, vOld, scores, beta, gamma, lambda, Gae::whiten);
  }

  /** The same, whitening the advantages with {@code whiten} (data-parallel: over every rank's rollout). */
  static Result compute(Rollout ro, int T, float[] lpOld, float[] lpRef, float[] vOld, double[] scores, double beta,
      double gamma, double lambda, java.util.function.UnaryOperator<double[]> whiten) {
    int B = ro.prompts().length;
    float[] mask = new float[B * T];
    double[] adv = new double[B * T];
    double[] ret = new double[B * T];
    List<Double> flatAdv = new ArrayList<>();
    double klSum = 0;
    for (int b = 0; b < B; b++) {
      int start = ro.prompts()[b].length - 1; // position predicting the first reply token
      int n = ro.sequences()[b].length - ro.prompts()[b].length;
      double[] kl = new double[n];
      double[] v = new double[n];
      for (int i = 0; i < n; i++) {
        int idx = b * T + start + i;
        kl[i] = lpOld[idx] - lpRef[idx];
        v[i] = vOld[idx];
        mask[idx] = 1f;
        klSum += kl[i];
      }
      Gae.Result g = Gae.compute(Gae.rewards(kl, beta, scores[b]), v, gamma, lambda);
      for (int i = 0; i < n; i++) {
        adv[b * T + start + i] = g.advantages()[i];
        ret[b * T + start + i] = g.returns()[i];
        flatAdv.add(g.advantages()[i]);
      }
    }
    double[] w = whiten.apply(flatAdv.stream().mapToDouble(Double::doubleValue).toArray());
    for (int i = 0, k = 0; i < mask.length; i++) {
      if (mask[i] != 0) {
        adv[i] = w[k++];
      }
    }
    return new Result(mask, adv, ret, klSum);
  }
}
