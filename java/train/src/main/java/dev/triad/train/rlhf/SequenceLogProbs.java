package dev.triad.train.rlhf;

import dev.triad.autograd.Autograd;
import dev.triad.nn.Gpt;
import dev.triad.tensor.Ops;
import dev.triad.tensor.Scope;
import dev.triad.tensor.Tensor;

/**
 * The log-probability a model gives to the response part of each sequence: for sequence b,
 * {@code sum over t with responseMask[b][t]} of {@code log p(tokens[b][t] | tokens[b][<t])}. This is
 * the sequence score of DPO (and of any policy-gradient method on whole replies).
 *
 * <p>Sequences are right-padded to the batch's longest; causal attention means padding never
 * influences the real positions, and padded positions have target {@link Gpt#IGNORE}, so they add
 * nothing. Position t's target is {@code tokens[t+1]} when token t+1 is a response token, else
 * ignored: exactly the tokens SFT's loss covers ({@code ChatTemplate.Rendered.loss()}). A mask that
 * is true on the first token has no effect there (nothing predicts the first token).
 */
public final class SequenceLogProbs {
  private SequenceLogProbs() {}

  /** Right-padded host arrays of a batch: tokens and next-token targets, row-major [B, T]. */
  public record Padded(int[] tokens, int[] targets, int batch, int length, long responseTokens) {}

  /**
   * Pads {@code tokens} (each with its mask of the same length) to the longest sequence with
   * {@code padToken} and builds the targets.
   */
  public static Padded pad(int[][] tokens, boolean[][] responseMask, int padToken) {
    if (tokens == null || responseMask == null || tokens.length == 0) {
      throw new IllegalArgumentException("sequence log-probs: no sequences");
    }
    if (tokens.length != responseMask.length) {
      throw new IllegalArgumentException("sequence log-probs: " + tokens.length + " sequences but "
          + responseMask.length + " masks");
    }
    int B = tokens.length;
    int T = 0;
    for (int b = 0; b < B; b++) {
      if (tokens[b] == null || tokens[b].length == 0) {
        throw new IllegalArgumentException("sequence log-probs: sequence " + b + " is empty");
      }
      if (responseMask[b] == null || responseMask[b].length != tokens[b].length) {
        throw new IllegalArgumentException("sequence log-probs: sequence " + b + " has " + tokens[b].length
            + " tokens but its mask has " + (responseMask[b] == null ? "none" : responseMask[b].length + " entries"));
      }
      T = Math.max(T, tokens[b].length);
    }
    int[] tok = new int[B * T];
    int[] tgt = new int[B * T];
    java.util.Arrays.fill(tok, padToken);
    java.util.Arrays.fill(tgt, Gpt.IGNORE);
    long counted = 0;
    for (int b = 0; b < B; b++) {
      int[] s = tokens[b];
      System.arraycopy(s, 0, tok, b * T, s.length);
      for (int t = 0; t + 1 < s.length; t++) {
        if (responseMask[b][t + 1]) {
          tgt[b * T + t] = s[t + 1];
          counted++;
        }
      }
    }
    return new Padded(tok, tgt, B, T, counted);
  }

  /**
   * Differentiable per-sequence response log-probs, shape [B], on the model's device (in the
   * current Scope, graph recorded when the model's parameters require gradients).
   */
  public static Tensor of(Gpt model, int[][] tokens, boolean[][] responseMask) {
    return of(model, pad(tokens, responseMask, 0));
  }

  /** The same from an already padded batch. */
  public static Tensor of(Gpt model, Padded p) {
    return Ops.sum(TokenLogProbs.of(model, p), 1); // [B,T] summed; ignored positions are 0
  }

  /** The same values without recording a graph, as doubles (e.g. for a frozen reference model). */
  public static double[] noGrad(Gpt model, int[][] tokens, boolean[][] responseMask) {
    try (Autograd.NoGrad ng = Autograd.noGrad(); Scope s = Scope.open()) {
      float[] v = of(model, tokens, responseMask).toFloatArray();
      double[] out = new double[v.length];
      for (int i = 0; i < v.length; i++) {
        out[i] = v[i];
      }
      return out;
    }
  }
}
