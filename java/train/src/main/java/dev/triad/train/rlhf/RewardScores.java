package dev.triad.train.rlhf;

import dev.triad.autograd.Autograd;
import dev.triad.nn.RewardModel;
import dev.triad.tensor.Scope;
import dev.triad.tensor.Tensor;
import java.util.Arrays;

/**
 * A reward model's scores of whole sequences, read at each one's last token: how the reward phase
 * trains on pairs and how the RL phases grade replies. The batch is right-padded with a pad token,
 * which causal attention keeps from the real positions.
 */
public final class RewardScores {
  private RewardScores() {}

  /** The scores [N] on the model's device, in the current Scope; differentiable when recording. */
  public static Tensor of(RewardModel rm, int[][] seqs, int padToken) {
    int n = seqs.length, t = paddedLength(seqs);
    int[] tokens = new int[n * t];
    Arrays.fill(tokens, padToken);
    int[] last = new int[n];
    for (int i = 0; i < n; i++) {
      System.arraycopy(seqs[i], 0, tokens, i * t, seqs[i].length);
      last[i] = seqs[i].length - 1;
    }
    return rm.rewards(Tensor.ofInts(tokens, rm.device(), n, t), null, last);
  }

  /** The same as host values, in one forward pass without a graph (a frozen model grading replies). */
  public static double[] noGrad(RewardModel rm, int[][] seqs, int padToken) {
    try (Autograd.NoGrad ng = Autograd.noGrad(); Scope s = Scope.open()) {
      float[] v = of(rm, seqs, padToken).toFloatArray();
      double[] out = new double[v.length];
      for (int i = 0; i < v.length; i++) {
        out[i] = v[i];
      }
      return out;
    }
  }

  /** The length the batch is padded to: its longest sequence. */
  public static int paddedLength(int[][] seqs) {
    int t = 0;
    for (int[] s : seqs) {
      t = Math.max(t, s.length);
    }
    return t;
  }
}
