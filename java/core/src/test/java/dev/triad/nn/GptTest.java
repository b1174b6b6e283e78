package dev.triad.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.triad.autograd.Reference;
import dev.triad.internal.TensorAccess;
import dev.triad.tensor.Device;
import dev.triad.tensor.Scope;
import dev.triad.tensor.Tensor;
import dev.triad.testing.TestUtil;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The GPT model against a float64 reference written from the GPT-2 definition: loss value, and
 * the gradient of every parameter against central finite differences (eps 1e-6) of the reference.
 * Tolerance atol 3e-5 + rtol 3e-3: fp32 through two blocks, reductions of a few dozen terms.
 */
class GptTest {
  private static final GptConfig TINY = new GptConfig("test", 2, 2, 8, 11, 8);

  /** Reference GPT-2 loss from a flat parameter vector laid out as the model's state dict. */
  private static double referenceLoss(GptConfig cfg, Map<String, int[]> slices, double[] flat, int[] tokens,
      int[] targets, int batch, int t) {
    Function<String, double[]> p = n -> Arrays.copyOfRange(flat, slices.get(n)[0], slices.get(n)[0] + slices.get(n)[1]);
    int c = cfg.nEmbd(), rows = batch * t;
    double[] wte = p.apply("wte.weight"), wpe = p.apply("wpe.weight");
    double[] x = new double[rows * c];
    for (int r = 0; r < rows; r++) {
      for (int i = 0; i < c; i++) {
        x[r * c + i] = wte[tokens[r] * c + i] + wpe[(r % t) * c + i];
      }
    }
    for (int l = 0; l < cfg.nLayer(); l++) {
      String h = "h." + l + ".";
      double[] a = Reference.layerNorm(x, p.apply(h + "ln_1.weight"), p.apply(h + "ln_1.bias"), rows, c, 1e-5);
      double[] qkv = Reference.linear(a, p.apply(h + "attn.c_attn.weight"), p.apply(h + "attn.c_attn.bias"), rows, c, 3 * c);
      double[] att = Reference.attention(qkv, batch, t, cfg.nHead(), cfg.headDim());
      x = Reference.add(x, Reference.linear(att, p.apply(h + "attn.c_proj.weight"), p.apply(h + "attn.c_proj.bias"), rows, c, c));
      double[] m = Reference.layerNorm(x, p.apply(h + "ln_2.weight"), p.apply(h + "ln_2.bias"), rows, c, 1e-5);
      double[] f = Reference.gelu(Reference.linear(m, p.apply(h + "mlp.c_fc.weight"), p.apply(h + "mlp.c_fc.bias"), rows, c, 4 * c));
      x = Reference.add(x, Reference.linear(f, p.apply(h + "mlp.c_proj.weight"), p.apply(h + "mlp.c_proj.bias"), rows, 4 * c, c));
    }
    x = Reference.layerNorm(x, p.apply("ln_f.weight"), p.apply("ln_f.bias"), rows, c, 1e-5);
    return Reference.crossEntropyMean(Reference.linear(x, wte, null, rows, c, cfg.vocabSize()), targets, cfg.vocabSize());
  }

  @Test
  void fullModelGradientsMatchFiniteDifferences() {
    Random rng = TestUtil.freshRandom();
    int batch = 2, t = 5;
    int[] tokens = rng.ints(batch * t, 0, TINY.vocabSize()).toArray();
    int[] targets = rng.ints(batch * t, 0, TINY.vocabSize()).toArray();
    try (Gpt model = new Gpt(TINY, Device.CPU, rng.nextLong())) {
      // larger weights than GPT-2's init so every path carries signal worth checking
      Map<String, int[]> slices = new LinkedHashMap<>();
      double[] flat = new double[(int) model.parameterCount()];
      int off = 0;
      for (Map.Entry<String, Tensor> e : model.namedParameters().entrySet()) {
        float[] v = TestUtil.randn(rng, (int) e.getValue().numel(), 0.4);
        if (e.getKey().contains("ln_") && e.getKey().endsWith("weight")) {
          for (int i = 0; i < v.length; i++) {
            v[i] += 1f;
          }
        }
        try (Tensor src = Tensor.of(v, e.getValue().shape())) {
          dev.triad.nativ.Status.check(dev.triad.nativ.TriadNative.triad_buffer_copy(TensorAccess.buf(e.getValue()), 0, TensorAccess.buf(src), 0, v.length));
        }
        slices.put(e.getKey(), new int[] {off, v.length});
        for (float f : v) {
          flat[off++] = f;
        }
      }
      Function<double[], Double> reference = w -> referenceLoss(TINY, slices, w, tokens, targets, batch, t);
      try (Scope s = Scope.open()) {
        Tensor loss = model.loss(Tensor.ofInts(tokens, batch, t), Tensor.ofInts(targets, batch, t));
        assertEquals(reference.apply(flat), loss.item(), 2e-5, "loss " + rng);
        loss.backward();
      }
      double[] expected = TestUtil.numericalGradient(reference, flat);
      for (Map.Entry<String, Tensor> e : model.namedParameters().entrySet()) {
        int[] sl = slices.get(e.getKey());
        TestUtil.assertClose(Arrays.copyOfRange(expected, sl[0], sl[0] + sl[1]), e.getValue().grad().toFloatArray(),
            3e-5, 3e-3, "gradient of " + e.getKey() + " " + rng);
      }
    }
  }

  @Test
  void parameterNamesShapesAndCountFollowGpt2() {
    try (Gpt model = new Gpt(TINY, Device.CPU, 1)) {
      Map<String, Tensor> p = model.namedParameters();
      assertEquals(4 + 12 * TINY.nLayer(), p.size());
      assertEquals(Arrays.toString(new long[] {11, 8}), Arrays.toString(p.get("wte.weight").shape()));
      assertEquals(Arrays.toString(new long[] {24, 8}), Arrays.toString(p.get("h.1.attn.c_attn.weight").shape()));
      assertEquals(Arrays.toString(new long[] {8, 32}), Arrays.toString(p.get("h.0.mlp.c_proj.weight").shape()));
      assertEquals(TINY.parameterCount(false), model.parameterCount());
    }
    // GPT-2 124M: the well-known 124,439,808 parameters with the tied head and unpadded vocabulary
    assertEquals(124_439_808L, GptConfig.preset("gpt2", 50257).parameterCount(false));
  }

  @Test
  void initialisationIsSeededAndScaled() {
    try (Gpt a = new Gpt(TINY, Device.CPU, 7); Gpt b = new Gpt(TINY, Device.CPU, 7); Gpt c = new Gpt(TINY, Device.CPU, 8)) {
      float[] wa = a.wte.toFloatArray();
      assertTrue(Arrays.equals(wa, b.wte.toFloatArray()), "same seed, same weights");
      assertTrue(!Arrays.equals(wa, c.wte.toFloatArray()), "different seed, different weights");
      double sumSq = 0;
      float[] proj = a.blocks.get(0).attn.cProj.weight.toFloatArray();
      for (float v : proj) {
        sumSq += v * v;
      }
      double std = Math.sqrt(sumSq / proj.length);
      assertEquals(0.02 / Math.sqrt(2 * TINY.nLayer()), std, 0.004, "residual projections are scaled down");
      assertTrue(Arrays.stream(toDouble(a.blocks.get(0).ln1.weight.toFloatArray())).allMatch(v -> v == 1.0));
    }
  }

  private static double[] toDouble(float[] f) {
    return TestUtil.toDouble(f);
  }

  @Test
  void sequenceLongerThanTheContextIsRejected() {
    try (Gpt model = new Gpt(TINY, Device.CPU, 1); Scope s = Scope.open()) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> model.logits(Tensor.ofInts(new int[9], 1, 9)));
      assertTrue(e.getMessage().contains("T=9 exceeds the model's context of 8"), e.getMessage());
    }
  }

  @Test
  void unknownPresetNamesTheKnownOnes() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GptConfig.preset("gpt5", 10));
    assertTrue(e.getMessage().contains("gpt2-medium"), e.getMessage());
  }
}
