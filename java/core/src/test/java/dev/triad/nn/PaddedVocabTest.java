package dev.triad.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.triad.testing.TestUtil;
import dev.triad.tensor.Device;
import dev.triad.tensor.Ops;
import dev.triad.tensor.Scope;
import dev.triad.tensor.Tensor;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A padded vocabulary (as on CUDA: wte rounded up to 128 rows) on the CPU: the loss is the loss
 * over the real columns only, and the padding rows of wte get exactly no gradient. The padding
 * rows are set to large values first, so padding logits that leaked into the softmax would move
 * the loss far beyond the tolerance.
 */
class PaddedVocabTest {
  private static final GptConfig CFG = new GptConfig("padded", 1, 2, 16, 50, 8);

  /** Mean over rows of lse(logits[r, :V]) - logits[r, target], in double. */
  private static double referenceLoss(float[] logits, int[] targets, int stride, int vocab) {
    double sum = 0;
    for (int r = 0; r < targets.length; r++) {
      double max = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < vocab; j++) {
        max = Math.max(max, logits[r * stride + j]);
      }
      double s = 0;
      for (int j = 0; j < vocab; j++) {
        s += Math.exp(logits[r * stride + j] - max);
      }
      sum += max + Math.log(s) - logits[r * stride + targets[r]];
    }
    return sum / targets.length;
  }

  @Test
  void paddingColumnsNeitherEnterTheLossNorGetGradients() {
    Random rng = TestUtil.freshRandom();
    int batch = 2, t = 6, c = CFG.nEmbd(), v = CFG.vocabSize();
    int[] tokens = rng.ints(batch * t, 0, v).toArray();
    int[] targets = rng.ints(batch * t, 0, v).toArray();
    try (Gpt model = new Gpt(CFG, Device.CPU, rng.nextLong(), true); Scope s = Scope.open()) {
      assertEquals(128, model.paddedVocab);
      assertEquals(128, model.wte.size(0));
      float[] wte = model.wte.toFloatArray();
      for (int i = v * c; i < wte.length; i++) {
        wte[i] = 3.0f;  // padding rows: large logits if they were ever predicted
      }
      model.wte.write(wte);
      Tensor tok = Tensor.ofIds(tokens, v, Device.CPU, batch, t);
      Tensor tgt = Tensor.ofTargets(targets, v, Gpt.IGNORE, Device.CPU, batch, t);

      float[] logits = model.logits(tok).toFloatArray();
      double expected = referenceLoss(logits, targets, model.paddedVocab, v);
      double withPadding = referenceLoss(logits, targets, model.paddedVocab, model.paddedVocab);
      assertTrue(Math.abs(withPadding - expected) > 0.1, "padding must matter for this test to mean anything");

      Tensor loss = model.loss(tok, tgt, targets.length);
      assertEquals(expected, loss.item(), 1e-5 * Math.max(1, Math.abs(expected)), "loss over the real columns");
      assertEquals(loss.item(), model.loss(tok, tgt).item(), 0.0, "the counting overload agrees");
      loss.backward();
      float[] g = model.wte.grad().toFloatArray();
      for (int i = v * c; i < g.length; i++) {
        assertEquals(0.0f, g[i], 0.0f, "padding row " + (i / c) + " of wte got a gradient");
      }
      boolean realGrad = false;
      for (int i = 0; i < v * c; i++) {
        realGrad |= g[i] != 0.0f;
      }
      assertTrue(realGrad, "the real rows get gradients");
    }
  }

  @Test
  void meanOverNonIgnoredTargetsUsesTheGivenCount() {
    try (Scope s = Scope.open()) {
      Tensor logits = Tensor.of(new float[] {1, 2, 3, 9, 0, 1, 2, 9}, 2, 4);  // column 3 is padding
      Tensor tgt = Tensor.ofTargets(new int[] {2, -1}, 3, -1, Device.CPU, 2);
      double lse = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
      assertEquals(lse - 3, Ops.crossEntropyMean(logits, tgt, 3, -1, 1).item(), 1e-6);
      assertEquals(lse - 3, Ops.crossEntropyMean(logits, tgt, 3, -1).item(), 1e-6);
      assertEquals(Ops.countNotIgnored(new int[] {2, -1, 0}, -1), 2);
    }
  }

  @Test
  void hostSideIdChecksNameTheBadId() {
    var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> Tensor.ofIds(new int[] {1, 50, 2}, 50, Device.CPU, 3));
    assertTrue(e.getMessage().contains("id 50 at index 1 is out of range [0, 50)"), e.getMessage());
    e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> Tensor.ofTargets(new int[] {-1, -2}, 50, -1, Device.CPU, 2));
    assertTrue(e.getMessage().contains("target -2 at index 1"), e.getMessage());
  }
}
