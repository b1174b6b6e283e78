package dev.triad.tensor;

import static dev.triad.testing.TestUtil.assertClose;
import static dev.triad.testing.TestUtil.dot;
import static dev.triad.testing.TestUtil.freshRandom;
import static dev.triad.testing.TestUtil.numericalGradient;
import static dev.triad.testing.TestUtil.randn;
import static dev.triad.testing.TestUtil.toDouble;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.triad.autograd.Reference;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The two ops of the mixed-precision policy: {@link Ops#cast} (differentiable f32 <-> bf16) and the
 * fused {@link Ops#mlp} (bias + GELU in the fc matmul's epilogue, GELU backward in the backward
 * matmul's), against float64 references and against the unfused composition.
 */
class MixedPrecisionOpsTest {
  /** Round-to-nearest-even of an f32 value to bf16, as a float (NaN-free inputs). */
  static float bf16(float f) {
    int bits = Float.floatToRawIntBits(f);
    int rounded = bits + 0x7FFF + ((bits >>> 16) & 1);
    return Float.intBitsToFloat(rounded & 0xFFFF0000);
  }

  static float[] bf16(float[] a) {
    float[] out = new float[a.length];
    for (int i = 0; i < a.length; i++) {
      out[i] = bf16(a[i]);
    }
    return out;
  }

  @Test
  void castForwardRoundsToNearestEvenAndBackwardCastsTheGradientBack() {
    Random rng = freshRandom();
    int n = 37;
    float[] xf = randn(rng, n, 3.0), wf = randn(rng, n);
    // exact ties: 1 + 2^-8 sits halfway between two bf16 values (rounds to even: down); 1 + 3 * 2^-8 rounds up
    xf[0] = 1f + 1f / 256;
    xf[1] = 1f + 3f / 256;
    try (Scope s = Scope.open()) {
      Tensor x = Tensor.of(xf, n).requiresGrad(true);
      Tensor y = Ops.cast(x, DType.BF16);
      assertEquals(DType.BF16, y.dtype());
      float[] yv = y.toFloatArray();
      for (int i = 0; i < n; i++) {
        assertEquals(bf16(xf[i]), yv[i], 0f, "cast to bf16 of x[" + i + "] = " + xf[i] + " (" + rng + ")");
      }
      assertEquals(1f, yv[0], 0f, "tie rounds to even (down)");
      assertEquals(1f + 4f / 256, yv[1], 0f, "tie rounds to even (up)");
      // loss = sum(cast(x) * w) in bf16 data; dx = w rounded to bf16 (the mul's bf16 gradient), widened
      Tensor w = Tensor.of(wf, n).to(DType.BF16);
      Ops.sum(Ops.mul(y, w)).backward();
      assertEquals(DType.F32, x.grad().dtype(), "the gradient of an f32 input is f32");
      float[] dx = x.grad().toFloatArray();
      for (int i = 0; i < n; i++) {
        assertEquals(bf16(wf[i]), dx[i], 0f, "dx[" + i + "] (" + rng + ")");
      }
    }
  }

  @Test
  void castFromBf16ToF32IsExactAndItsGradientRoundsOnce() {
    Random rng = freshRandom();
    int n = 29;
    float[] xf = bf16(randn(rng, n)), gf = randn(rng, n);
    try (Scope s = Scope.open()) {
      Tensor x = Tensor.of(xf, n).to(DType.BF16).requiresGrad(true);
      Tensor y = Ops.cast(x, DType.F32);
      assertEquals(DType.F32, y.dtype());
      assertClose(xf, y.toFloatArray(), 0, 0, "bf16 -> f32 is exact");
      Ops.sum(Ops.mul(y, Tensor.of(gf, n))).backward(); // f32 loss: dy = g in f32
      assertEquals(DType.BF16, x.grad().dtype());
      assertClose(bf16(gf), x.grad().toFloatArray(), 0, 0, "dx = bf16(g) " + rng);
      // a second use adds into the same gradient (backward adds)
    }
  }

  @Test
  void castGradientAccumulatesWithOtherUses() {
    Random rng = freshRandom();
    int n = 11;
    float[] xf = randn(rng, n), gf = randn(rng, n);
    try (Scope s = Scope.open()) {
      Tensor x = Tensor.of(xf, n).requiresGrad(true);
      Tensor g = Tensor.of(gf, n);
      // loss = sum(x * g) + sum(cast(cast(x, bf16), f32) * g): dx = g + bf16(g)
      Tensor twice = Ops.cast(Ops.cast(x, DType.BF16), DType.F32);
      Ops.add(Ops.sum(Ops.mul(x, g)), Ops.sum(Ops.mul(twice, g))).backward();
      float[] dx = x.grad().toFloatArray();
      for (int i = 0; i < n; i++) {
        assertEquals(gf[i] + bf16(gf[i]), dx[i], 1e-6f * Math.abs(gf[i]), "dx[" + i + "] " + rng);
      }
    }
  }

  @Test
  void castToTheSameDTypeIsTheTensorItselfAndBadDTypesAreRejected() {
    try (Scope s = Scope.open()) {
      Tensor x = Tensor.of(new float[] {1, 2}, 2);
      assertSame(x, Ops.cast(x, DType.F32));
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Ops.cast(x, DType.I32));
      assertTrue(e.getMessage().contains("cast") && e.getMessage().contains("i32"), e.getMessage());
      Tensor ids = Tensor.ofInts(new int[] {1}, 1);
      assertThrows(IllegalArgumentException.class, () -> Ops.cast(ids, DType.F32));
    }
  }

  /** y = gelu(x Wfc^T + bfc) Wproj^T + bproj in float64. x [rows,C], wFc [H,C], wProj [C2,H]. */
  static double[] mlpRef(double[] x, double[] wFc, double[] bFc, double[] wProj, double[] bProj, int rows, int c,
      int h, int c2) {
    return Reference.linear(Reference.gelu(Reference.linear(x, wFc, bFc, rows, c, h)), wProj, bProj, rows, h, c2);
  }

  @ParameterizedTest(name = "biases={0}")
  @ValueSource(booleans = {true, false})
  void mlpForwardAndBackwardMatchTheFloat64Reference(boolean biases) {
    Random rng = freshRandom();
    int batch = 2, t = 3, rows = batch * t, c = 5, h = 12, c2 = 4;
    String ctx = "mlp biases=" + biases + " " + rng;
    float[] xf = randn(rng, rows * c), wf = randn(rng, h * c, 0.5), bf = randn(rng, h), pf = randn(rng, c2 * h, 0.5),
        qf = randn(rng, c2), gf = randn(rng, rows * c2);
    double[] xd = toDouble(xf), wd = toDouble(wf), pd = toDouble(pf), gd = toDouble(gf);
    double[] bd = biases ? toDouble(bf) : null, qd = biases ? toDouble(qf) : null;
    try (Scope s = Scope.open()) {
      Tensor x = Tensor.of(xf, batch, t, c).requiresGrad(true);
      Tensor wFc = Tensor.of(wf, h, c).requiresGrad(true);
      Tensor bFc = biases ? Tensor.of(bf, h).requiresGrad(true) : null;
      Tensor wProj = Tensor.of(pf, c2, h).requiresGrad(true);
      Tensor bProj = biases ? Tensor.of(qf, c2).requiresGrad(true) : null;
      Tensor y = Ops.mlp(x, wFc, bFc, wProj, bProj);
      assertEquals(3, y.rank());
      assertEquals(c2, y.size(2));
      assertClose(mlpRef(xd, wd, bd, pd, qd, rows, c, h, c2), y.toFloatArray(), 1e-5, 1e-4, ctx + ": forward");
      Ops.sum(Ops.mul(y, Tensor.of(gf, batch, t, c2))).backward();
      assertClose(numericalGradient(v -> dot(gd, mlpRef(v, wd, bd, pd, qd, rows, c, h, c2)), xd),
          x.grad().toFloatArray(), 1e-4, 1e-3, ctx + ": dx");
      assertClose(numericalGradient(v -> dot(gd, mlpRef(xd, v, bd, pd, qd, rows, c, h, c2)), wd),
          wFc.grad().toFloatArray(), 1e-4, 1e-3, ctx + ": dWfc");
      assertClose(numericalGradient(v -> dot(gd, mlpRef(xd, wd, bd, v, qd, rows, c, h, c2)), pd),
          wProj.grad().toFloatArray(), 1e-4, 1e-3, ctx + ": dWproj");
      if (biases) {
        assertClose(numericalGradient(v -> dot(gd, mlpRef(xd, wd, v, pd, qd, rows, c, h, c2)), bd),
            bFc.grad().toFloatArray(), 1e-4, 1e-3, ctx + ": dbfc");
        assertClose(numericalGradient(v -> dot(gd, mlpRef(xd, wd, bd, pd, v, rows, c, h, c2)), qd),
            bProj.grad().toFloatArray(), 1e-4, 1e-3, ctx + ": dbproj");
      }
    }
  }

  /** The fused op and linear + gelu + linear agree (f32: to rounding; bf16: within bf16 steps). */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"F32", "BF16"})
  void mlpMatchesTheUnfusedComposition(String dtypeName) {
    DType dt = DType.valueOf(dtypeName);
    Random rng = freshRandom();
    int rows = 8, c = 16, h = 64;
    String ctx = "mlp vs linear+gelu+linear " + dt + " " + rng;
    float[] xf = randn(rng, rows * c), wf = randn(rng, h * c, 0.25), bf = randn(rng, h, 0.1),
        pf = randn(rng, c * h, 0.125), qf = randn(rng, c, 0.1), gf = randn(rng, rows * c);
    float[][] fused = run(dt, true, xf, wf, bf, pf, qf, gf, rows, c, h);
    float[][] plain = run(dt, false, xf, wf, bf, pf, qf, gf, rows, c, h);
    // bf16: the unfused path rounds the fc output and the GELU gradient to bf16 once more
    double atol = dt == DType.F32 ? 1e-5 : 0.03, rtol = dt == DType.F32 ? 1e-4 : 0.02;
    String[] what = {"y", "dx", "dWfc", "dbfc", "dWproj", "dbproj"};
    for (int i = 0; i < what.length; i++) {
      assertClose(plain[i], fused[i], atol * (i == 0 ? 1 : 4), rtol, ctx + ": " + what[i]);
    }
  }

  private static float[][] run(DType dt, boolean fused, float[] xf, float[] wf, float[] bf, float[] pf, float[] qf,
      float[] gf, int rows, int c, int h) {
    try (Scope s = Scope.open()) {
      Tensor x = Tensor.of(xf, rows, c).to(dt).requiresGrad(true);
      Tensor wFc = Tensor.of(wf, h, c).to(dt).requiresGrad(true);
      Tensor bFc = Tensor.of(bf, h).to(dt).requiresGrad(true);
      Tensor wProj = Tensor.of(pf, c, h).to(dt).requiresGrad(true);
      Tensor bProj = Tensor.of(qf, c).to(dt).requiresGrad(true);
      Tensor y = fused ? Ops.mlp(x, wFc, bFc, wProj, bProj)
          : Ops.linear(Ops.gelu(Ops.linear(x, wFc, bFc)), wProj, bProj);
      assertEquals(dt, y.dtype());
      Ops.sum(Ops.cast(Ops.mul(y, Tensor.of(gf, rows, c).to(dt)), DType.F32)).backward();
      return new float[][] {y.toFloatArray(), x.grad().toFloatArray(), wFc.grad().toFloatArray(),
          bFc.grad().toFloatArray(), wProj.grad().toFloatArray(), bProj.grad().toFloatArray()};
    }
  }

  @Test
  void mlpWithOnlyTheProjectionTrainableSkipsTheFcGradients() {
    Random rng = freshRandom();
    int rows = 3, c = 4, h = 8;
    try (Scope s = Scope.open()) {
      Tensor x = Tensor.of(randn(rng, rows * c), rows, c);
      Tensor wFc = Tensor.of(randn(rng, h * c), h, c);
      Tensor wProj = Tensor.of(randn(rng, c * h), c, h).requiresGrad(true);
      Ops.sum(Ops.mlp(x, wFc, null, wProj, null)).backward();
      assertNull(wFc.grad());
      assertNull(x.grad());
      double[] hid = Reference.gelu(Reference.linear(toDouble(x.toFloatArray()), toDouble(wFc.toFloatArray()), null,
          rows, c, h));
      double[] expect = new double[c * h]; // dWproj[o,j] = sum_r h[r,j] (g = 1)
      for (int o = 0; o < c; o++) {
        for (int j = 0; j < h; j++) {
          for (int r = 0; r < rows; r++) {
            expect[o * h + j] += hid[r * h + j];
          }
        }
      }
      assertClose(expect, wProj.grad().toFloatArray(), 1e-5, 1e-4, "dWproj " + rng);
    }
  }

  @Test
  void mlpRejectsMismatchedShapesAndDTypes() {
    try (Scope s = Scope.open()) {
      Tensor x = Tensor.zeros(2, 4);
      Tensor wFc = Tensor.zeros(8, 4);
      Tensor wProj = Tensor.zeros(4, 8);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> Ops.mlp(x, wFc, null, Tensor.zeros(4, 7), null));
      assertTrue(e.getMessage().contains("wProj"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> Ops.mlp(x, Tensor.zeros(8, 3), null, wProj, null));
      assertTrue(e.getMessage().contains("wFc"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> Ops.mlp(x, wFc, null, wProj.to(DType.BF16), null));
      assertTrue(e.getMessage().contains("bf16"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> Ops.mlp(x, wFc, Tensor.zeros(7), wProj, null));
      assertTrue(e.getMessage().contains("bFc"), e.getMessage());
    }
  }
}
