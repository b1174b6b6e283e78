package dev.triad.train.rlhf;

import dev.triad.nn.Gpt;
import java.util.List;

/**
 * The frozen reference model's response log-probs of every pair, computed once (no gradient) and
 * kept as doubles: DPO needs them every step, and the reference never changes, so a second model
 * need not stay in memory during training.
 */
public record ReferenceLogProbs(double[] chosen, double[] rejected) {
  public ReferenceLogProbs {
    if (chosen.length != rejected.length) {
      throw new IllegalArgumentException("reference log-probs: " + chosen.length + " chosen but " + rejected.length
          + " rejected values");
    }
  }

  public int size() {
    return chosen.length;
  }

  /** Log-probs of the pairs of {@code triples} under {@code reference}, {@code batch} pairs per forward pass. */
  public static ReferenceLogProbs compute(Gpt reference, List<Triple> triples, int batch) {
    if (batch < 1) {
      throw new IllegalArgumentException("reference log-probs: batch must be >= 1, got " + batch);
    }
    int n = triples.size();
    double[] c = new double[n];
    double[] r = new double[n];
    for (int i = 0; i < n; i += batch) {
      List<Triple> chunk = triples.subList(i, Math.min(n, i + batch));
      double[] v = SequenceLogProbs.noGrad(reference, pairSequences(chunk), pairMasks(chunk));
      int b = chunk.size();
      System.arraycopy(v, 0, c, i, b);
      System.arraycopy(v, b, r, i, b);
    }
    return new ReferenceLogProbs(c, r);
  }

  /** The 2B sequences of B pairs: every chosen sequence, then every rejected one. */
  static int[][] pairSequences(List<Triple> pairs) {
    int b = pairs.size();
    int[][] out = new int[2 * b][];
    for (int i = 0; i < b; i++) {
      out[i] = pairs.get(i).chosenSequence();
      out[b + i] = pairs.get(i).rejectedSequence();
    }
    return out;
  }

  /** The masks of {@link #pairSequences}. */
  static boolean[][] pairMasks(List<Triple> pairs) {
    int b = pairs.size();
    boolean[][] out = new boolean[2 * b][];
    for (int i = 0; i < b; i++) {
      out[i] = pairs.get(i).chosenMask();
      out[b + i] = pairs.get(i).rejectedMask();
    }
    return out;
  }
}
