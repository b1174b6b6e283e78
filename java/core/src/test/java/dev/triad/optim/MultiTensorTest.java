package dev.triad.optim;

import static dev.triad.testing.TestUtil.freshRandom;
import static dev.triad.testing.TestUtil.randn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.triad.internal.TensorAccess;
import dev.triad.nativ.Status;
import dev.triad.nativ.TriadNative;
import dev.triad.tensor.DType;
import dev.triad.tensor.Device;
import dev.triad.tensor.MultiTensor;
import dev.triad.tensor.Scope;
import dev.triad.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The multi-tensor sum of squares and AdamW step against the per-tensor calls they replace:
 * bit-identical on the CPU (and, run from CudaHostOverheadTest, on CUDA), over sizes that cross
 * the 65536-element chunks and the 4096-element blocks, with per-tensor weight decay and the clip
 * factor computed natively from the squared norm. The sums are also checked against float64.
 */
class MultiTensorTest {
  static final int[] SIZES = {1, 7, 4096, 65536, 65537, 200_003, 3};

  static List<Tensor> tensors(Random rng, Device d, float std) {
    List<Tensor> out = new ArrayList<>();
    for (int n : SIZES) {
      out.add(Tensor.of(randn(rng, n, std), d, n));
    }
    return out;
  }

  static List<Tensor> copies(List<Tensor> ts) {
    List<Tensor> out = new ArrayList<>();
    for (Tensor t : ts) {
      out.add(t.to(t.device()));
    }
    return out;
  }

  static void assertBits(Tensor expected, Tensor actual, String what, boolean exact) {
    float[] e = expected.toFloatArray(), a = actual.toFloatArray();
    int differ = 0;
    for (int i = 0; i < e.length; i++) {
      if (Float.floatToIntBits(e[i]) != Float.floatToIntBits(a[i])) {
        differ++;
        if (!exact) {
          assertEquals(e[i], a[i], 1e-6 * Math.max(1, Math.abs(e[i])), what + " element " + i);
        }
      }
    }
    if (differ > 0) {
      System.out.println(what + ": " + differ + " of " + e.length + " elements differ in their bits");
    }
    if (exact) {
      assertEquals(0, differ, what + ": elements differing from the per-tensor calls");
    }
  }

  /** sum_squares_multi == per-tensor sum_squares in order, bit for bit; both near float64. */
  static void sumSquaresMatches(Device d) {
    sumSquaresMatches(d, DType.F32);
  }

  /** As above over tensors of {@code dtype} (bf16: widened exactly, summed as the f32 kernel does). */
  static void sumSquaresMatches(Device d, DType dtype) {
    Random rng = freshRandom();
    try (Scope s = Scope.open()) {
      List<Tensor> xs = new ArrayList<>();
      for (Tensor x : tensors(rng, d, 1.5f)) {
        xs.add(dtype == DType.F32 ? x : x.to(dtype));
      }
      Tensor single = Tensor.full(0.25f, DType.F32, d, 1);
      Tensor multi = Tensor.full(0.25f, DType.F32, d, 1);
      double ref = 0.25;
      for (Tensor x : xs) {
        Status.check(TriadNative.triad_sum_squares(TensorAccess.buf(single), TensorAccess.buf(x), x.numel()));
        for (float v : x.toFloatArray()) {
          ref += (double) v * v;
        }
      }
      MultiTensor.sumSquares(multi, xs);
      assertEquals(Float.floatToIntBits(single.item()), Float.floatToIntBits(multi.item()),
          "multi " + multi.item() + " vs per-tensor " + single.item());
      assertEquals(ref, multi.item(), 1e-6 * ref);
    }
  }

  /**
   * Two steps of adamw_step_multi (clip factor from norm_sq, per-tensor weight decay, optional
   * f32 copies) against per-tensor adamw_step(_copy) with grad_scale = GradClip.clipFactor.
   */
  static void adamwMatches(Device d, boolean withCopies, boolean exact) {
    Random rng = freshRandom();
    try (Scope s = Scope.open();
        TriadNative.AdamWParams p = new TriadNative.AdamWParams()) {
      List<Tensor> p1 = tensors(rng, d, 0.5f), p2 = copies(p1);
      List<Tensor> m1 = new ArrayList<>(), v1 = new ArrayList<>(), c1 = new ArrayList<>(), c2 = new ArrayList<>();
      float[] wd = new float[SIZES.length];
      for (int i = 0; i < SIZES.length; i++) {
        m1.add(Tensor.zeros(DType.F32, d, SIZES[i]));
        v1.add(Tensor.zeros(DType.F32, d, SIZES[i]));
        c1.add(Tensor.full(-7f, DType.F32, d, SIZES[i]));
        c2.add(Tensor.full(-7f, DType.F32, d, SIZES[i]));
        wd[i] = i % 2 == 0 ? 0.1f : 0f;
      }
      List<Tensor> m2 = copies(m1), v2 = copies(v1);
      for (int step = 1; step <= 2; step++) {
        List<Tensor> grads = tensors(rng, d, 2f);
        Tensor normSq = Tensor.zeros(DType.F32, d, 1);
        MultiTensor.sumSquares(normSq, grads);
        double maxNorm = 0.5 * Math.sqrt(normSq.item());  // clipping is active
        float factor = GradClip.clipFactor(Math.sqrt(normSq.item()), maxNorm);
        assertTrue(factor < 1f);
        p.lr(0.01f).beta1(0.9f).beta2(0.95f).eps(1e-8f).step(step);
        for (int i = 0; i < SIZES.length; i++) {
          p.weight_decay(wd[i]).grad_scale(factor);
          Status.check(TriadNative.triad_adamw_step_copy(TensorAccess.buf(p1.get(i)), TensorAccess.buf(grads.get(i)), TensorAccess.buf(m1.get(i)),
              TensorAccess.buf(v1.get(i)), withCopies && i != 1 ? TensorAccess.buf(c1.get(i)) : null, SIZES[i], p));
        }
        p.weight_decay(123f).grad_scale(1f);  // per-tensor decays replace it
        List<Tensor> someCopies = new ArrayList<>(c2);
        someCopies.set(1, null);  // a null entry: that tensor writes no copy
        MultiTensor.adamwStep(p2, grads, m2, v2, withCopies ? someCopies : null, wd,
            new MultiTensor.AdamWStep(0.01f, 0.9f, 0.95f, 1e-8f, 1f, step), normSq, maxNorm);
      }
      for (int i = 0; i < SIZES.length; i++) {
        assertBits(p1.get(i), p2.get(i), "param " + i, exact);
        assertBits(m1.get(i), m2.get(i), "m " + i, exact);
        assertBits(v1.get(i), v2.get(i), "v " + i, exact);
        if (withCopies) {
          assertBits(c1.get(i), c2.get(i), "copy " + i, exact);
        }
        if (withCopies && i == 1) {
          assertEquals(-7f, c2.get(i).toFloatArray()[0], 0f, "copy 1 had a null entry and stays untouched");
        } else if (withCopies) {
          assertBits(p2.get(i), c2.get(i), "copy " + i + " equals the updated param", true);
        }
      }
    }
  }

  @Test
  void sumSquaresMultiIsBitIdenticalOnCpu() {
    sumSquaresMatches(Device.CPU);
    sumSquaresMatches(Device.CPU, DType.BF16);
  }

  @Test
  void adamwMultiIsBitIdenticalOnCpu() {
    adamwMatches(Device.CPU, false, true);
    adamwMatches(Device.CPU, true, true);
  }

  @Test
  void noNormMeansNoClipping() {
    try (Scope s = Scope.open(); TriadNative.AdamWParams p = new TriadNative.AdamWParams()) {
      Tensor a = Tensor.of(new float[] {1f, -2f}, 2), b = Tensor.of(new float[] {1f, -2f}, 2);
      Tensor g = Tensor.of(new float[] {10f, 10f}, 2);
      Tensor m1 = Tensor.zeros(2), v1 = Tensor.zeros(2), m2 = Tensor.zeros(2), v2 = Tensor.zeros(2);
      p.lr(0.1f).beta1(0.9f).beta2(0.99f).eps(1e-8f).weight_decay(0f).grad_scale(0.5f).step(1);
      Status.check(TriadNative.triad_adamw_step(TensorAccess.buf(a), TensorAccess.buf(g), TensorAccess.buf(m1), TensorAccess.buf(v1), 2, p));
      MultiTensor.adamwStep(List.of(b), List.of(g), List.of(m2), List.of(v2), null, new float[] {0f},
          new MultiTensor.AdamWStep(0.1f, 0.9f, 0.99f, 1e-8f, 0.5f, 1), null, 1.0);
      assertEquals(a.toFloatArray()[1], b.toFloatArray()[1], 0f);
      assertEquals(m1.toFloatArray()[0], m2.toFloatArray()[0], 0f);
      assertEquals(0.5f, m2.toFloatArray()[0], 1e-6f);  // 0.1 * 10 * grad_scale 0.5
    }
  }

  @Test
  void badArgumentsAreNamed() {
    try (Scope s = Scope.open()) {
      MultiTensor.AdamWStep p = new MultiTensor.AdamWStep(0.1f, 0.9f, 0.99f, 1e-8f, 1f, 1);
      Tensor a = Tensor.zeros(4), shortGrad = Tensor.zeros(3), m = Tensor.zeros(4), v = Tensor.zeros(4);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MultiTensor.adamwStep(
          List.of(a, a), List.of(a, shortGrad), List.of(m, m), List.of(v, v), null, new float[2], p, null, 0));
      assertTrue(e.getMessage().contains("adamw_step_multi") && e.getMessage().contains("grads[1]"), e.getMessage());
      RuntimeException r = assertThrows(RuntimeException.class,
          () -> MultiTensor.sumSquares(Tensor.zeros(1), List.of(a, Tensor.zeros(DType.I32, Device.CPU, 4))));
      assertTrue(r.getMessage().contains("xs[1]"), r.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> MultiTensor.adamwStep(
          List.of(a), List.of(a, a), List.of(m), List.of(v), null, new float[1], p, null, 0));
      assertTrue(e.getMessage().contains("differ in length"), e.getMessage());
    }
  }

  @Test
  void gradClipGlobalNormUsesTheMultiSum() {
    Random rng = freshRandom();
    try (Scope s = Scope.open()) {
      List<Tensor> ps = new ArrayList<>();
      double ref = 0;
      for (int n : SIZES) {
        Tensor p = Tensor.zeros(DType.F32, Device.CPU, n).requiresGrad(true);
        float[] g = randn(rng, n, 1f);
        TensorAccess.setGrad(p, Tensor.of(g, n));
        for (float x : g) {
          ref += (double) x * x;
        }
        ps.add(p);
      }
      assertEquals(Math.sqrt(ref), GradClip.globalNorm(ps), 1e-6 * Math.sqrt(ref));
    }
  }
}
