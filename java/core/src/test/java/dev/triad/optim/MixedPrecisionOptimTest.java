package dev.triad.optim;

import static dev.triad.testing.TestUtil.freshRandom;
import static dev.triad.testing.TestUtil.randn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.triad.tensor.DType;
import dev.triad.tensor.Ops;
import dev.triad.tensor.Scope;
import dev.triad.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * AdamW with f32 master weights for bf16 parameters, and clipping over bf16 gradients. A bf16
 * parameter set and an f32 one that start at the same (bf16-exact) values and get the same
 * (bf16-exact) gradients must keep bit-identical masters and moments: the master path is the f32
 * optimizer, plus one round-to-nearest-even copy per step.
 */
class MixedPrecisionOptimTest {
  static float bf16(float f) {
    int bits = Float.floatToRawIntBits(f);
    return Float.intBitsToFloat((bits + 0x7FFF + ((bits >>> 16) & 1)) & 0xFFFF0000);
  }

  static float[] bf16(float[] a) {
    float[] out = new float[a.length];
    for (int i = 0; i < a.length; i++) {
      out[i] = bf16(a[i]);
    }
    return out;
  }

  /** Sets p.grad = g (bf16-exact values, so the bf16 gradient holds them exactly). */
  private static void setGrad(Tensor p, float[] g) {
    p.zeroGrad();
    try (Scope s = Scope.open()) {
      Ops.sum(Ops.mul(p, Tensor.of(g, p.shape()).to(p.dtype()))).backward();
    }
  }

  private static void assertBits(float[] expected, float[] actual, String what) {
    assertEquals(expected.length, actual.length, what + ": length");
    for (int i = 0; i < expected.length; i++) {
      if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
        throw new AssertionError(what + "[" + i + "]: expected " + expected[i] + ", got " + actual[i]);
      }
    }
  }

  @Test
  void bf16ParametersTrainOnF32MastersBitIdenticalToAnF32Optimizer() {
    Random rng = freshRandom();
    long[][] shapes = {{6, 5}, {5}, {3, 2, 4}};
    float[] lrs = {0.05f, 0.02f, 0.03f, 0.01f};
    float[] scales = {1f, 0.5f, 1f, 0.25f};
    try (Scope s = Scope.open()) {
      List<Tensor> p32 = new ArrayList<>(), p16 = new ArrayList<>();
      for (long[] shape : shapes) {
        float[] v = bf16(randn(rng, Math.toIntExact(dev.triad.tensor.Shapes.numel(shape))));
        p32.add(Tensor.of(v, shape).requiresGrad(true));
        p16.add(Tensor.of(v, shape).to(DType.BF16).requiresGrad(true));
      }
      try (AdamW a32 = new AdamW(p32, lrs[0], 0.9f, 0.95f, 1e-8f, 0.1f);
           AdamW a16 = new AdamW(p16, lrs[0], 0.9f, 0.95f, 1e-8f, 0.1f)) {
        for (int i = 0; i < shapes.length; i++) {
          assertSame(p32.get(i), a32.master(i), "an f32 parameter is its own master");
          assertFalse(a32.hasSeparateMaster(i));
          assertTrue(a16.hasSeparateMaster(i));
          assertEquals(DType.F32, a16.master(i).dtype());
          assertBits(p16.get(i).toFloatArray(), a16.master(i).toFloatArray(), "master starts as the widened bf16");
        }
        for (int t = 0; t < lrs.length; t++) {
          a32.setLearningRate(lrs[t]);
          a16.setLearningRate(lrs[t]);
          for (int i = 0; i < shapes.length; i++) {
            float[] g = bf16(randn(rng, Math.toIntExact(p32.get(i).numel())));
            setGrad(p32.get(i), g);
            setGrad(p16.get(i), g);
            assertEquals(DType.BF16, p16.get(i).grad().dtype());
          }
          a32.step(scales[t]);
          a16.step(scales[t]);
          for (int i = 0; i < shapes.length; i++) {
            String ctx = "step " + (t + 1) + ", parameter " + i + " (" + rng + ")";
            float[] master = a16.master(i).toFloatArray();
            assertBits(p32.get(i).toFloatArray(), master, ctx + ": master vs the f32 optimizer's parameter");
            assertBits(a32.firstMoment(i).toFloatArray(), a16.firstMoment(i).toFloatArray(), ctx + ": m");
            assertBits(a32.secondMoment(i).toFloatArray(), a16.secondMoment(i).toFloatArray(), ctx + ": v");
            assertBits(bf16(master), p16.get(i).toFloatArray(), ctx + ": bf16 parameter = RNE(master)");
          }
        }
        // the masters carry what bf16 cannot: after small updates they differ from their bf16 copies
        float[] m0 = a16.master(0).toFloatArray(), q0 = p16.get(0).toFloatArray();
        boolean differs = false;
        for (int i = 0; i < m0.length; i++) {
          differs |= m0[i] != q0[i];
        }
        assertTrue(differs, "the f32 masters hold bits the bf16 parameters lack");
      }
    }
  }

  @Test
  void syncParametersFromMastersRoundsEachMasterToNearestEven() {
    Random rng = freshRandom();
    try (Scope s = Scope.open()) {
      Tensor p = Tensor.of(bf16(randn(rng, 20)), 4, 5).to(DType.BF16).requiresGrad(true);
      try (AdamW opt = new AdamW(List.of(p), 1e-3f, 0f)) {
        float[] m = randn(rng, 20);
        m[0] = 1f + 1f / 256; // a tie: rounds to even (1.0)
        opt.master(0).write(m);
        opt.syncParametersFromMasters();
        assertBits(bf16(m), p.toFloatArray(), "parameter after sync " + rng);
        assertEquals(1f, p.toFloatArray()[0]);
      }
    }
  }

  @Test
  void globalNormOverBf16GradientsAccumulatesInF32AndMatchesDouble() {
    Random rng = freshRandom();
    try (Scope s = Scope.open()) {
      List<Tensor> p16 = new ArrayList<>(), p32 = new ArrayList<>();
      double ref = 0;
      for (int n : new int[] {300, 7, 1024}) {
        float[] v = randn(rng, n);
        float[] g = bf16(randn(rng, n, 3.0));
        Tensor a = Tensor.of(v, n).to(DType.BF16).requiresGrad(true);
        Tensor b = Tensor.of(v, n).requiresGrad(true);
        setGrad(a, g);
        setGrad(b, g);
        p16.add(a);
        p32.add(b);
        for (float x : g) {
          ref += (double) x * x;
        }
      }
      double n16 = GradClip.globalNorm(p16);
      assertEquals(Math.sqrt(ref), n16, 1e-6 * Math.sqrt(ref), "bf16 gradient norm vs double " + rng);
      assertEquals(GradClip.globalNorm(p32), n16, 0.0, "bf16 and f32 gradients of the same values have one norm");
      // clip scales the bf16 gradients in place (rounded to bf16)
      double before = GradClip.clip(p16, 1.0);
      assertEquals(n16, before, 0.0);
      assertEquals(1.0, GradClip.globalNorm(p16), 0.01, "norm after clipping to 1 (bf16 rounding)");
      assertNotEquals(0.0, before);
    }
  }
}
