package dev.triad.train.rlhf;

import dev.triad.autograd.Autograd;
import dev.triad.nn.RewardModel;
import dev.triad.tensor.Scope;
import dev.triad.tensor.Tensor;
import java.util.Arrays;

/** A frozen reward model's scores of whole sequences, read at each one's last token: how RL phases grade replies. */
public final class RewardScores {
  private RewardScores() {}

  /**
   * The score of each sequence, in one forward pass without a graph; the batch is right-padded with
   * {@code padToken}, which causal attention keeps from the real positions.
   */
  public static double[] of(RewardModel rm, int[][] seqs, int padToken) {
    int n = seqs.length, t = 0;
    for (int[] s : seqs) {
      t = Math.max(t, s.length);
    }
    int[] tokens = new int[n * t];
    Arrays.fill(tokens, padToken);
    int[] last = new int[n];
    for (int i = 0; i < n; i++) {
      System.arraycopy(seqs[i], 0, tokens, i * t, seqs[i].length);
      last[i] = seqs[i].length - 1;
    }
    try (Autograd.NoGrad ng = Autograd.noGrad(); Scope s = Scope.open()) {
      float[] v = rm.rewards(Tensor.ofInts(tokens, rm.device(), n, t), null, last).toFloatArray();
      double[] out = new double[n];
      for (int i = 0; i < n; i++) {
        out[i] = v[i];
      }
      return out;
    }
  }
}
