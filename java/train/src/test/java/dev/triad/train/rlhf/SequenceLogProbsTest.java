package dev.triad.train.rlhf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.triad.testing.TestUtil;
import dev.triad.autograd.Autograd;
import dev.triad.nn.Gpt;
import dev.triad.nn.GptConfig;
import dev.triad.tensor.Device;
import dev.triad.tensor.Ops;
import dev.triad.tensor.Scope;
import dev.triad.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Sequence log-probs against a float64 recomputation from each sequence's own logits (response
 * tokens only: prompt tokens and padding excluded), invariance to padding, the no-grad variant,
 * the gradient path, and the reference cache against fresh per-pair computations.
 */
class SequenceLogProbsTest {
  private static final GptConfig CFG = new GptConfig("test", 2, 2, 16, 19, 24);

  /** Sum over t with mask[t+1] of log softmax(logits[t])[tokens[t+1]], in float64, the sequence alone. */
  private static double reference(Gpt model, int[] tokens, boolean[] mask) {
    int v = CFG.vocabSize();
    int vp = model.paddedVocab;
    try (Scope s = Scope.open()) {
      float[] logits = model.logits(Tensor.ofInts(tokens, 1, tokens.length)).toFloatArray();
      double sum = 0;
      for (int t = 0; t + 1 < tokens.length; t++) {
        if (!mask[t + 1]) {
          continue;
        }
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < v; j++) {
          max = Math.max(max, logits[t * vp + j]);
        }
        double z = 0;
        for (int j = 0; j < v; j++) {
          z += Math.exp(logits[t * vp + j] - max);
        }
        sum += logits[t * vp + tokens[t + 1]] - max - Math.log(z);
      }
      return sum;
    }
  }

  private static boolean[] mask(int length, int promptLength) {
    boolean[] m = new boolean[length];
    for (int t = promptLength; t < length; t++) {
      m[t] = true;
    }
    return m;
  }

  @Test
  void equalsFloat64RecomputationOverResponseTokensOnly() {
    Random rng = TestUtil.freshRandom();
    int[][] tokens = {rng.ints(7, 0, 19).toArray(), rng.ints(12, 0, 19).toArray(), rng.ints(4, 0, 19).toArray(),
        rng.ints(9, 0, 19).toArray()};
    boolean[][] masks = {mask(7, 3), mask(12, 10), mask(4, 1), mask(9, 2)};
    masks[3][5] = false; // a gap inside the response: that token is not counted
    masks[3][0] = true;  // the first token is never predicted, whatever its mask says
    try (Gpt model = new Gpt(CFG, Device.CPU, rng.nextLong()); Scope s = Scope.open()) {
      float[] got = SequenceLogProbs.of(model, tokens, masks).toFloatArray();
      assertEquals(tokens.length, got.length);
      for (int b = 0; b < tokens.length; b++) {
        double want = reference(model, tokens[b], masks[b]);
        assertEquals(want, got[b], 1e-4 + 1e-5 * Math.abs(want), "sequence " + b + ", " + rng);
      }
      // prompt tokens are excluded: the whole-sequence sum differs from the response-only sum
      double all = reference(model, tokens[0], mask(7, 1));
      assertNotEquals(all, got[0], 1e-3, "the prompt's tokens must not be counted");
      // the no-grad variant gives the same values
      assertArrayEquals(TestUtil.toDouble(got), SequenceLogProbs.noGrad(model, tokens, masks), 0.0);
    }
  }

  @Test
  void paddingNeverChangesTheResult() {
    Random rng = TestUtil.freshRandom();
    int[][] tokens = {rng.ints(6, 0, 19).toArray(), rng.ints(10, 0, 19).toArray()};
    boolean[][] masks = {mask(6, 2), mask(10, 4)};
    try (Gpt model = new Gpt(CFG, Device.CPU, rng.nextLong()); Scope s = Scope.open()) {
      // the pad token's value: bit-identical (causal attention, ignored targets)
      float[] pad0 = SequenceLogProbs.of(model, SequenceLogProbs.pad(tokens, masks, 0)).toFloatArray();
      float[] pad17 = SequenceLogProbs.of(model, SequenceLogProbs.pad(tokens, masks, 17)).toFloatArray();
      assertArrayEquals(pad0, pad17, "pad token changed the result, " + rng);
      // the amount of padding: each sequence alone (no padding) and next to a longer one
      int[][] withLong = {tokens[0], tokens[1], rng.ints(24, 0, 19).toArray()};
      boolean[][] withLongMasks = {masks[0], masks[1], mask(24, 20)};
      float[] padded = SequenceLogProbs.of(model, withLong, withLongMasks).toFloatArray();
      for (int b = 0; b < 2; b++) {
        float alone = SequenceLogProbs.of(model, new int[][] {tokens[b]}, new boolean[][] {masks[b]}).toFloatArray()[0];
        // BLAS may block matmuls of other shapes differently: float rounding only
        assertEquals(alone, pad0[b], 2e-5 * (1 + Math.abs(alone)), "sequence " + b + " in a batch, " + rng);
        assertEquals(alone, padded[b], 2e-5 * (1 + Math.abs(alone)), "sequence " + b + " padded to 24, " + rng);
      }
      SequenceLogProbs.Padded p = SequenceLogProbs.pad(tokens, masks, 0);
      assertEquals(10, p.length());
      assertEquals(4 + 6, p.responseTokens()); // positions 2..5 and 4..9
      assertEquals(Gpt.IGNORE, p.targets()[0], "the prompt token 1 is not a target");
      assertEquals(tokens[0][2], p.targets()[1]);
      for (int t = 5; t < 10; t++) {
        assertEquals(Gpt.IGNORE, p.targets()[t], "padding / last position of sequence 0 has a target");
      }
    }
  }

  @Test
  void gradientIsThatOfTheSummedTokenLoss() {
    Random rng = TestUtil.freshRandom();
    int[][] tokens = {rng.ints(8, 0, 19).toArray(), rng.ints(5, 0, 19).toArray()};
    boolean[][] masks = {mask(8, 3), mask(5, 2)};
    try (Gpt model = new Gpt(CFG, Device.CPU, rng.nextLong())) {
      SequenceLogProbs.Padded p = SequenceLogProbs.pad(tokens, masks, 0);
      try (Scope s = Scope.open()) {
        Ops.neg(Ops.sum(SequenceLogProbs.of(model, p))).backward();
      }
      float[] ours = model.wte.grad().toFloatArray();
      model.zeroGrad();
      try (Scope s = Scope.open()) {
        Tensor targets = Tensor.ofInts(p.targets(), 2, p.length());
        Tensor mean = model.loss(Tensor.ofInts(p.tokens(), 2, p.length()), targets);
        Ops.mulScalar(mean, p.responseTokens()).backward();
      }
      TestUtil.assertClose(model.wte.grad().toFloatArray(), ours, 1e-6, 1e-4, "wte gradient, " + rng);
      model.zeroGrad();
      try (Autograd.NoGrad ng = Autograd.noGrad(); Scope s = Scope.open()) {
        assertNull(SequenceLogProbs.of(model, p).gradFn(), "no graph under noGrad");
      }
    }
  }

  @Test
  void referenceCacheEqualsFreshComputation() {
    Random rng = TestUtil.freshRandom();
    List<Triple> triples = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      triples.add(new Triple(rng.ints(2 + rng.nextInt(6), 0, 19).toArray(), rng.ints(1 + rng.nextInt(5), 0, 19).toArray(),
          rng.ints(1 + rng.nextInt(8), 0, 19).toArray()));
    }
    try (Gpt model = new Gpt(CFG, Device.CPU, rng.nextLong())) {
      ReferenceLogProbs cache = ReferenceLogProbs.compute(model, triples, 2);
      assertEquals(5, cache.size());
      for (int i = 0; i < triples.size(); i++) {
        Triple t = triples.get(i);
        double c = SequenceLogProbs.noGrad(model, new int[][] {t.chosenSequence()}, new boolean[][] {t.chosenMask()})[0];
        double r = SequenceLogProbs.noGrad(model, new int[][] {t.rejectedSequence()}, new boolean[][] {t.rejectedMask()})[0];
        assertEquals(c, cache.chosen()[i], 2e-5 * (1 + Math.abs(c)), "chosen " + i + ", " + rng);
        assertEquals(r, cache.rejected()[i], 2e-5 * (1 + Math.abs(r)), "rejected " + i + ", " + rng);
        assertEquals(reference(model, t.chosenSequence(), t.chosenMask()), c, 1e-4 + 1e-5 * Math.abs(c));
      }
    }
  }

  @Test
  void rejectsMalformedBatches() {
    assertThrows(IllegalArgumentException.class, () -> SequenceLogProbs.pad(new int[][] {{1, 2}}, new boolean[][] {{true}}, 0));
    assertThrows(IllegalArgumentException.class, () -> SequenceLogProbs.pad(new int[][] {{}}, new boolean[][] {{}}, 0));
    assertThrows(IllegalArgumentException.class, () -> SequenceLogProbs.pad(new int[0][], new boolean[0][], 0));
    try (Gpt model = new Gpt(CFG, Device.CPU, 1); Scope s = Scope.open()) {
      int[][] tooLong = {new int[25]};
      assertThrows(IllegalArgumentException.class, () -> SequenceLogProbs.of(model, tooLong, new boolean[][] {mask(25, 1)}));
    }
  }
}
