package dev.triad.tensor;

import static dev.triad.testing.TestUtil.freshRandom;
import static dev.triad.testing.TestUtil.randn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.triad.testing.TestUtil.SeededRandom;
import dev.triad.autograd.Autograd;
import dev.triad.optim.AdamW;
import dev.triad.optim.GradClip;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Native memory is returned: after many ops (forward and backward) inside scopes, after optimizer
 * and parameter close, and after ops that fail, Device.CPU.liveBytes() and liveBuffers() are back
 * at their starting values. Counts are exact (no tolerance).
 */
class LeakTest {

  private static void assertNoLeak(long bytes, long buffers, String what) {
    assertEquals(buffers, Device.CPU.liveBuffers(), what + ": live buffers");
    assertEquals(bytes, Device.CPU.liveBytes(), what + ": live bytes");
  }

  /** The counters see every allocation: a tensor nobody closes shows up (so the checks can fail). */
  @Test
  void countersTrackAllocations() {
    long bytes = Device.CPU.liveBytes(), buffers = Device.CPU.liveBuffers();
    Tensor t = Tensor.zeros(3, 5);
    Tensor b = Tensor.zeros(DType.BF16, Device.CPU, 7);
    assertEquals(buffers + 2, Device.CPU.liveBuffers());
    assertEquals(bytes + 3 * 5 * 4 + 7 * 2, Device.CPU.liveBytes());
    t.close();
    b.close();
    assertNoLeak(bytes, buffers, "after close");
  }

  /** One small transformer-ish step: most ops, their backward, and an update. */
  private static void step(Random rng, Tensor wQkv, Tensor lnW, Tensor lnB, Tensor wOut, Tensor bOut, AdamW opt) {
    int B = 2, T = 3, C = 4, V = 6;
    try (Scope s = Scope.open()) {
      Tensor x = Tensor.of(randn(rng, B * T * C), B, T, C).requiresGrad(true);
      Tensor h = Ops.layerNorm(x, lnW, lnB, 1e-5f);
      Tensor qkv = Ops.linear(h, wQkv, null);
      Tensor att = Ops.attention(qkv, 2, Tensor.ofInts(new int[] {0, 0, 1, 0, 1, 1}, B, T));
      Tensor r = Ops.residual(x, Ops.gelu(att));
      Tensor y = Ops.add(Ops.mul(Ops.tanh(r), Tensor.of(randn(rng, C), C)), Tensor.scalar(0.1f));
      y = Ops.where(Ops.greater(y, Tensor.scalar(0f)), y, Ops.mulScalar(y, 0.5f));
      y = Ops.clamp(Ops.sub(Ops.maximum(y, Ops.neg(y)), Ops.minimum(y, Ops.addScalar(y, 1f))), -5f, 5f);
      Tensor logits = Ops.linear(Ops.relu(y).reshape(-1, C), wOut, bOut); // [6, V]
      Tensor targets = Tensor.ofInts(new int[] {0, 1, 2, 3, 4, -1}, B * T);
      Ops.CrossEntropy ce = Ops.crossEntropy(logits, targets, null, V, -1);
      Tensor lsm = Ops.logSoftmax(logits);
      Tensor picked = Ops.gather(lsm, Tensor.ofInts(new int[] {1, 1, 1, 2, 2, 2}, B * T));
      Tensor sq = Ops.sqrt(Ops.addScalar(Ops.square(Ops.mean(logits, 0)), 1f));
      Tensor e = Ops.log(Ops.exp(Ops.div(Ops.sum(sq, -1), Tensor.scalar(2f))));
      Tensor mm = Ops.matmul(logits.reshape(2, 3, V), logits.reshape(2, 3, V), false, true); // [2,3,3]
      Tensor loss = Ops.add(Ops.add(Ops.mean(ce.loss), Ops.mulScalar(Ops.sum(picked), -0.01f)),
          Ops.add(e, Ops.mulScalar(Ops.mean(mm), 1e-3f)));
      Ops.sum(Ops.sum(ce.logprob, 0)); // an output whose graph is never walked
      loss.backward();
      try (Autograd.NoGrad ng = Autograd.noGrad()) {
        Ops.sample(Ops.detach(logits), V, 1f, 3, 0.9f, 7, 0);
        Tensor.randn(1, 2, 0f, 1f, Device.CPU, 8);
        Tensor.rand(1, 2, 0f, 1f, Device.CPU, 8);
        Ops.crossEntropyMean(logits, targets, -1).item();
      }
      List<Tensor> params = List.of(wQkv, lnW, lnB, wOut, bOut);
      opt.step(GradClip.clipFactor(GradClip.globalNorm(params), 1.0));
      GradClip.clip(params, 0.5);
      logits.to(DType.BF16).to(DType.F32).toFloatArray();
      opt.zeroGrad();
    }
  }

  @Test
  void manyOpsInsideScopesFreeEverything() {
    SeededRandom rng = (SeededRandom) freshRandom();
    long bytes = Device.CPU.liveBytes(), buffers = Device.CPU.liveBuffers();
    Tensor wQkv = Tensor.of(randn(rng, 12 * 4, 0.3), 12, 4).requiresGrad(true);
    Tensor lnW = Tensor.full(1f, DType.F32, Device.CPU, 4).requiresGrad(true);
    Tensor lnB = Tensor.zeros(4).requiresGrad(true);
    Tensor wOut = Tensor.of(randn(rng, 6 * 4, 0.3), 6, 4).requiresGrad(true);
    Tensor bOut = Tensor.zeros(6).requiresGrad(true);
    List<Tensor> params = List.of(wQkv, lnW, lnB, wOut, bOut);
    long afterParams = Device.CPU.liveBuffers();
    assertEquals(buffers + 5, afterParams);
    AdamW opt = new AdamW(params, 1e-3f, 0.1f);
    assertEquals(afterParams + 10, Device.CPU.liveBuffers(), "two moments per parameter");
    long withOpt = Device.CPU.liveBuffers(), withOptBytes = Device.CPU.liveBytes();
    for (int i = 0; i < 20; i++) { // ~50 ops + their backward each
      step(rng, wQkv, lnW, lnB, wOut, bOut, opt);
      assertEquals(withOpt, Device.CPU.liveBuffers(), "after step " + i + " (" + rng + ")");
      assertEquals(withOptBytes, Device.CPU.liveBytes(), "after step " + i + " (" + rng + ")");
    }
    assertEquals(20, opt.stepCount());
    opt.close();
    opt.close();
    assertEquals(afterParams, Device.CPU.liveBuffers(), "AdamW.close frees its moments");
    // a gradient left on a parameter is freed with it
    try (Scope s = Scope.open()) {
      Ops.sum(Ops.mul(wOut, wOut)).backward();
    }
    assertTrue(wOut.grad() != null);
    assertEquals(afterParams + 1, Device.CPU.liveBuffers());
    params.forEach(Tensor::close);
    assertNoLeak(bytes, buffers, "after closing parameters (" + rng + ")");
  }

  @Test
  void failingOpsDoNotLeak() {
    long bytes = Device.CPU.liveBytes(), buffers = Device.CPU.liveBuffers();
    for (int i = 0; i < 20; i++) {
      try (Scope s = Scope.open()) {
        Tensor logits = Tensor.zeros(2, 5);
        // native failures after the outputs (and unscoped saved tensors) were allocated
        assertThrows(IllegalArgumentException.class,
            () -> Ops.crossEntropy(logits, Tensor.ofInts(new int[] {0, 7}, 2), null, 5, -1));
        assertThrows(IllegalArgumentException.class,
            () -> Ops.embedding(Tensor.ofInts(new int[] {9}, 1, 1), null, Tensor.zeros(3, 2), Tensor.zeros(2, 2)));
        assertThrows(IllegalArgumentException.class,
            () -> Ops.gather(logits, Tensor.ofInts(new int[] {0, 5}, 2)));
        // Java-side failures
        assertThrows(IllegalArgumentException.class, () -> Ops.add(logits, Tensor.zeros(2)));
        assertThrows(IllegalArgumentException.class, () -> Tensor.of(new float[3], 2, 2));
        if (!Device.CUDA.isAvailable()) {
          assertThrows(IllegalStateException.class, () -> Tensor.of(new float[] {1}, Device.CUDA, 1));
        }
        // backward that fails on a closed input still releases the graph's gradients
        Tensor x = Tensor.zeros(3).requiresGrad(true);
        Tensor y = Ops.exp(x);
        Tensor loss = Ops.sum(y);
        y.close();
        assertThrows(IllegalStateException.class, loss::backward);
      }
      assertNoLeak(bytes, buffers, "iteration " + i);
    }
  }

  @Test
  void keptAndViewedTensorsAreFreedWhenClosed() {
    long bytes = Device.CPU.liveBytes(), buffers = Device.CPU.liveBuffers();
    Tensor kept;
    Tensor view;
    try (Scope s = Scope.open()) {
      Tensor x = Tensor.of(new float[] {1, 2, 3, 4}, 2, 2).requiresGrad(true);
      Tensor ln = Ops.layerNorm(x, Tensor.full(1f, DType.F32, Device.CPU, 2), Tensor.zeros(2), 1e-5f);
      kept = s.keep(ln); // carries its saved mean/rstd
      view = s.keep(Ops.detach(kept).reshape(-1));
    }
    assertTrue(Device.CPU.liveBuffers() > buffers);
    kept.close();
    view.close();
    assertNoLeak(bytes, buffers, "kept tensors");
  }
}
