package dev.triad.tensor;

import static dev.triad.testing.TestUtil.assertClose;
import static dev.triad.testing.TestUtil.freshRandom;
import static dev.triad.testing.TestUtil.randn;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.triad.testing.TestUtil.SeededRandom;
import dev.triad.autograd.Autograd;
import dev.triad.nativ.Status;
import dev.triad.nativ.TriadNative;
import org.junit.jupiter.api.Test;

/**
 * Tensor creation and transfer, reshape views, dtype casts, scopes and autograd bookkeeping.
 * Round trips are exact; bf16 rounding is checked exactly against an independent
 * round-to-nearest-even reference (and within 2^-8 relative, bf16's half ulp).
 */
class TensorTest {

  // ---------------------------------------------------------------------------------------------
  // creation and transfer
  // ---------------------------------------------------------------------------------------------

  @Test
  void ofAndToFloatArrayRoundTrip() {
    SeededRandom rng = (SeededRandom) freshRandom();
    float[] data = randn(rng, 24, 10.0);
    data[0] = Float.MIN_VALUE;
    data[1] = -0.0f;
    data[2] = Float.MAX_VALUE;
    data[3] = Float.NEGATIVE_INFINITY;
    try (Scope s = Scope.open()) {
      Tensor t = Tensor.of(data, 2, 3, 4);
      assertArrayEquals(new long[] {2, 3, 4}, t.shape());
      assertEquals(3, t.rank());
      assertEquals(24, t.numel());
      assertEquals(4, t.size(-1));
      assertEquals(2, t.size(0));
      assertEquals(3, t.size(-2));
      assertEquals(DType.F32, t.dtype());
      assertEquals(Device.CPU, t.device());
      assertEquals("f32[2, 3, 4] on cpu", t.describe());
      float[] back = t.toFloatArray();
      assertArrayEquals(data, back, "(" + rng + ")");
      assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(back[1]), "sign of zero kept");
      // the tensor holds a copy: changing the Java array afterwards changes nothing
      data[5] = 1234f;
      assertFalse(t.toFloatArray()[5] == 1234f);
    }
  }

  @Test
  void ofIntsAndToIntArrayRoundTrip() {
    SeededRandom rng = (SeededRandom) freshRandom();
    int[] data = new int[12];
    for (int i = 0; i < data.length; i++) {
      data[i] = rng.nextInt();
    }
    data[0] = Integer.MIN_VALUE;
    data[1] = Integer.MAX_VALUE;
    try (Scope s = Scope.open()) {
      Tensor t = Tensor.ofInts(data, 3, 4);
      assertEquals(DType.I32, t.dtype());
      assertArrayEquals(new long[] {3, 4}, t.shape());
      assertArrayEquals(data, t.toIntArray(), "(" + rng + ")");
    }
  }

  @Test
  void zerosFullAndScalar() {
    try (Scope s = Scope.open()) {
      assertArrayEquals(new float[6], Tensor.zeros(2, 3).toFloatArray());
      assertArrayEquals(new int[4], Tensor.zeros(DType.I32, Device.CPU, 4).toIntArray());
      assertArrayEquals(new float[] {2.5f, 2.5f, 2.5f}, Tensor.full(2.5f, DType.F32, Device.CPU, 3).toFloatArray());
      assertArrayEquals(new int[] {-7, -7}, Tensor.full(-7f, DType.I32, Device.CPU, 2).toIntArray());
      Tensor sc = Tensor.scalar(-3.25f);
      assertEquals(0, sc.rank());
      assertArrayEquals(new long[0], sc.shape());
      assertEquals(1, sc.numel());
      assertEquals(-3.25f, sc.item());
      assertEquals(4f, Tensor.of(new float[] {4f}, 1, 1).item(), "item of a one-element rank-2 tensor");
    }
  }

  @Test
  void toDeviceCopiesIntoNewMemory() {
    try (Scope s = Scope.open()) {
      Tensor a = Tensor.of(new float[] {1, 2, 3}, 3);
      Tensor b = a.to(Device.CPU);
      Status.check(TriadNative.triad_fill(a.buf(), 9f));
      assertArrayEquals(new float[] {1, 2, 3}, b.toFloatArray(), "a copy, not a view");
    }
  }

  @Test
  void detachCopiesWithoutGradient() {
    try (Scope s = Scope.open()) {
      Tensor x = Tensor.of(new float[] {1, 2, 3}, 3).requiresGrad(true);
      Tensor y = Ops.mul(x, x);
      Tensor d = Ops.detach(y);
      assertTrue(y.requiresGrad());
      assertFalse(d.requiresGrad());
      assertNull(d.gradFn());
      assertArrayEquals(new float[] {1, 4, 9}, d.toFloatArray());
      Status.check(TriadNative.triad_fill(y.buf(), 0f));
      assertArrayEquals(new float[] {1, 4, 9}, d.toFloatArray(), "own memory");
    }
  }

  // ---------------------------------------------------------------------------------------------
  // reshape
  // ---------------------------------------------------------------------------------------------

  @Test
  void reshapeWithInferredDimensionSharesMemory() {
    SeededRandom rng = (SeededRandom) freshRandom();
    float[] data = randn(rng, 24);
    try (Scope s = Scope.open()) {
      Tensor t = Tensor.of(data, 2, 3, 4);
      Tensor v = t.reshape(-1, 4);
      assertArrayEquals(new long[] {6, 4}, v.shape());
      assertArrayEquals(new long[] {2, 12}, t.reshape(2, -1).shape());
      assertArrayEquals(new long[] {24}, t.reshape(-1).shape());
      assertArrayEquals(new long[] {4, 3, 2}, t.reshape(4, -1, 2).shape());
      assertArrayEquals(data, v.toFloatArray(), "row-major order kept (" + rng + ")");
      // a write through the view shows in the original, and the other way round
      Status.check(TriadNative.triad_fill(v.buf(), 7f));
      float[] sevens = new float[24];
      java.util.Arrays.fill(sevens, 7f);
      assertArrayEquals(sevens, t.toFloatArray(), "view shares memory");
      Status.check(TriadNative.triad_fill(t.buf(), -1f));
      assertEquals(-1f, v.toFloatArray()[23]);
    }
  }

  @Test
  void viewOutlivesOriginalAndMemoryIsFreedWithTheLast() {
    long buffers = Device.CPU.liveBuffers();
    Tensor t = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
    Tensor v;
    try (Scope s = Scope.open()) {
      v = s.keep(t.reshape(-1));
    }
    assertEquals(buffers + 1, Device.CPU.liveBuffers(), "one buffer for tensor and view");
    t.close();
    assertTrue(t.isClosed());
    assertFalse(v.isClosed(), "the view keeps the memory alive");
    assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, v.toFloatArray());
    assertEquals(buffers + 1, Device.CPU.liveBuffers());
    v.close();
    assertEquals(buffers, Device.CPU.liveBuffers(), "freed when the last handle closes");
  }

  @Test
  void gradientFlowsThroughReshape() {
    SeededRandom rng = (SeededRandom) freshRandom();
    float[] x = randn(rng, 12), g = randn(rng, 12), w = randn(rng, 4);
    try (Scope s = Scope.open()) {
      Tensor xt = Tensor.of(x, 3, 4).requiresGrad(true);
      // leaf -> view -> op
      Ops.sum(Ops.mul(xt.reshape(-1), Tensor.of(g, 12))).backward();
      assertArrayEquals(new long[] {3, 4}, xt.grad().shape());
      assertArrayEquals(g, xt.grad().toFloatArray(), "d/dx sum(reshape(x) * G) = G (" + rng + ")");
      xt.zeroGrad();
      // op -> view -> op: y = x * w ([3,4] * [4]) viewed as [2, 6]
      Tensor y = Ops.mul(xt, Tensor.of(w, 4)).reshape(2, -1);
      Ops.sum(Ops.mul(y, Tensor.of(g, 2, 6))).backward();
      double[] expected = new double[12];
      for (int i = 0; i < 12; i++) {
        expected[i] = (double) g[i] * w[i % 4];
      }
      assertClose(expected, xt.grad().toFloatArray(), 1e-6, 1e-6, "through op and view (" + rng + ")");
    }
  }

  // ---------------------------------------------------------------------------------------------
  // casts
  // ---------------------------------------------------------------------------------------------

  /** Round to nearest even bf16, computed from the two neighbouring bf16 candidates. */
  private static float bf16Reference(float f) {
    int bits = Float.floatToRawIntBits(f);
    float down = Float.intBitsToFloat(bits & 0xFFFF0000); // toward zero
    float up = Float.intBitsToFloat((bits & 0xFFFF0000) + 0x10000); // away from zero
    double dDown = Math.abs((double) f - down), dUp = Math.abs((double) up - f);
    if (dDown < dUp) {
      return down;
    }
    if (dUp < dDown) {
      return up;
    }
    return ((Float.floatToRawIntBits(down) >> 16) & 1) == 0 ? down : up;
  }

  @Test
  void bf16CastRoundTrip() {
    SeededRandom rng = (SeededRandom) freshRandom();
    int n = 64;
    float[] x = randn(rng, n, 100.0);
    // exact ties between two bf16 values: round to the even one
    x[0] = Float.intBitsToFloat(0x3F808000); // 1 + 2^-8: tie between 1 (even) and 1 + 2^-7 -> 1
    x[1] = Float.intBitsToFloat(0x3F818000); // tie between 1 + 2^-7 (odd) and 1 + 2^-6 -> up
    x[2] = -x[1];
    x[3] = 1e-30f;
    try (Scope s = Scope.open()) {
      Tensor b = Tensor.of(x, 8, 8).to(DType.BF16);
      assertEquals(DType.BF16, b.dtype());
      assertArrayEquals(new long[] {8, 8}, b.shape());
      float[] back = b.to(DType.F32).toFloatArray();
      float[] direct = b.toFloatArray(); // toFloatArray converts bf16 itself
      assertArrayEquals(back, direct);
      float[] expected = new float[n];
      for (int i = 0; i < n; i++) {
        expected[i] = bf16Reference(x[i]);
        assertTrue(Math.abs(back[i] - x[i]) <= Math.abs(x[i]) * 0x1p-8,
            "element " + i + ": " + x[i] + " -> " + back[i] + " beyond half a bf16 ulp (" + rng + ")");
      }
      assertEquals(1f, back[0], "tie rounds to even (down)");
      assertEquals(Float.intBitsToFloat(0x3F820000), back[1], "tie rounds to even (up)");
      assertArrayEquals(expected, back, "round to nearest even (" + rng + ")");
    }
  }

  @Test
  void bf16RepresentableValuesAreExact() {
    SeededRandom rng = (SeededRandom) freshRandom();
    float[] x = randn(rng, 32, 1000.0);
    for (int i = 0; i < x.length; i++) {
      x[i] = Float.intBitsToFloat(Float.floatToRawIntBits(x[i]) & 0xFFFF0000);
    }
    x[0] = 0f;
    x[1] = -2f;
    x[2] = 0.5f;
    x[3] = Float.POSITIVE_INFINITY;
    try (Scope s = Scope.open()) {
      assertArrayEquals(x, Tensor.of(x, 32).to(DType.BF16).to(DType.F32).toFloatArray(), "(" + rng + ")");
    }
  }

  @Test
  void intFloatCasts() {
    try (Scope s = Scope.open()) {
      int[] ids = {0, -5, 7, 1 << 20, -(1 << 23)};
      float[] asFloat = Tensor.ofInts(ids, 5).to(DType.F32).toFloatArray();
      assertArrayEquals(new float[] {0f, -5f, 7f, 1 << 20, -(1 << 23)}, asFloat);
      // f32 -> i32 truncates toward zero
      assertArrayEquals(new int[] {1, -1, 2, 0, -3},
          Tensor.of(new float[] {1.7f, -1.7f, 2.5f, -0.2f, -3f}, 5).to(DType.I32).toIntArray());
    }
  }

  // ---------------------------------------------------------------------------------------------
  // scopes
  // ---------------------------------------------------------------------------------------------

  @Test
  void scopeClosesWhatWasCreatedInside() {
    long buffers = Device.CPU.liveBuffers();
    Tensor a, b;
    try (Scope s = Scope.open()) {
      a = Tensor.zeros(3);
      b = Ops.exp(a);
      assertEquals(2, s.size());
      assertEquals(buffers + 2, Device.CPU.liveBuffers());
    }
    assertTrue(a.isClosed());
    assertTrue(b.isClosed());
    assertEquals(buffers, Device.CPU.liveBuffers());
  }

  @Test
  void keepLetsATensorEscape() {
    long buffers = Device.CPU.liveBuffers();
    Tensor kept, dropped;
    try (Scope s = Scope.open()) {
      kept = s.keep(Tensor.of(new float[] {1, 2}, 2));
      dropped = Tensor.zeros(2);
      assertEquals(1, s.size());
    }
    assertFalse(kept.isClosed());
    assertTrue(dropped.isClosed());
    assertArrayEquals(new float[] {1, 2}, kept.toFloatArray());
    kept.close();
    assertEquals(buffers, Device.CPU.liveBuffers());
  }

  @Test
  void nestedScopesAndAdoptInto() {
    long buffers = Device.CPU.liveBuffers();
    Tensor outerT, innerT, moved;
    try (Scope outer = Scope.open()) {
      outerT = Tensor.zeros(2);
      try (Scope inner = Scope.open()) {
        innerT = Tensor.zeros(2);
        moved = inner.adoptInto(outer, Tensor.full(1f, DType.F32, Device.CPU, 2));
        assertEquals(1, inner.size());
        assertEquals(2, outer.size());
      }
      assertTrue(innerT.isClosed(), "inner scope closed its tensor");
      assertFalse(outerT.isClosed(), "outer tensor untouched by the inner scope");
      assertFalse(moved.isClosed(), "adopted tensor now belongs to the outer scope");
      assertArrayEquals(new float[] {1, 1}, moved.toFloatArray());
      Tensor afterInner = Tensor.zeros(1); // the outer scope is innermost again
      assertEquals(3, outer.size());
      assertNotNull(afterInner);
    }
    assertTrue(outerT.isClosed());
    assertTrue(moved.isClosed());
    assertEquals(buffers, Device.CPU.liveBuffers());
  }

  @Test
  void closingTwiceIsHarmless() {
    long buffers = Device.CPU.liveBuffers();
    Scope s = Scope.open();
    Tensor t = Tensor.zeros(4);
    Tensor kept = s.keep(Tensor.zeros(4));
    t.close();
    t.close();
    s.close();
    s.close();
    assertTrue(t.isClosed());
    kept.close();
    kept.close();
    assertEquals(buffers, Device.CPU.liveBuffers());
    // the scope stack is intact: a new scope works normally
    try (Scope s2 = Scope.open()) {
      Tensor.zeros(1);
      assertEquals(1, s2.size());
    }
    assertEquals(buffers, Device.CPU.liveBuffers());
  }

  @Test
  void tensorsOutsideAnyScopeAreUnowned() {
    long buffers = Device.CPU.liveBuffers();
    Tensor t = Tensor.zeros(3); // no scope open: the caller owns it
    try (Scope s = Scope.open()) {
      assertEquals(0, s.size());
    }
    assertFalse(t.isClosed());
    t.close();
    assertEquals(buffers, Device.CPU.liveBuffers());
  }

  // ---------------------------------------------------------------------------------------------
  // autograd bookkeeping
  // ---------------------------------------------------------------------------------------------

  @Test
  void noGradDisablesRecording() {
    try (Scope s = Scope.open()) {
      Tensor x = Tensor.of(new float[] {1, 2}, 2).requiresGrad(true);
      assertTrue(Autograd.isEnabled());
      Autograd.NoGrad ng = Autograd.noGrad();
      try (ng) {
        assertFalse(Autograd.isEnabled());
        Tensor y = Ops.mul(x, x);
        assertFalse(y.requiresGrad());
        assertNull(y.gradFn());
        assertFalse(x.reshape(-1).requiresGrad(), "views are not recorded either");
        try (Autograd.NoGrad nested = Autograd.noGrad()) {
          assertFalse(Autograd.isEnabled());
        }
        assertFalse(Autograd.isEnabled(), "still disabled after the nested region");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Ops.sum(y).backward());
        assertTrue(e.getMessage().contains("does not require a gradient"), e.getMessage());
      }
      ng.close(); // closing again must not re-enable twice
      assertTrue(Autograd.isEnabled());
      try (Autograd.NoGrad again = Autograd.noGrad()) {
        assertFalse(Autograd.isEnabled(), "a second close must not have under-counted");
      }
      Tensor z = Ops.mul(x, x);
      assertTrue(z.requiresGrad());
      assertNotNull(z.gradFn());
      assertEquals("mul", z.gradFn().name());
    }
  }

  @Test
  void gradientAccumulatesOverBackwardCalls() {
    SeededRandom rng = (SeededRandom) freshRandom();
    float[] x = randn(rng, 6), g1 = randn(rng, 6), g2 = randn(rng, 6);
    try (Scope s = Scope.open()) {
      Tensor xt = Tensor.of(x, 2, 3).requiresGrad(true);
      Ops.sum(Ops.mul(xt, Tensor.of(g1, 2, 3))).backward();
      Tensor first = xt.grad();
      Ops.sum(Ops.mul(Ops.square(xt), Tensor.of(g2, 2, 3))).backward();
      assertSame(first, xt.grad(), "the same gradient tensor keeps accumulating");
      double[] expected = new double[6];
      for (int i = 0; i < 6; i++) {
        expected[i] = g1[i] + 2.0 * x[i] * g2[i];
      }
      assertClose(expected, xt.grad().toFloatArray(), 1e-6, 1e-5, "G1 + 2 x G2 (" + rng + ")");
      xt.zeroGrad();
      assertNull(xt.grad());
      Ops.sum(Ops.mul(xt, Tensor.of(g2, 2, 3))).backward();
      assertArrayEquals(g2, xt.grad().toFloatArray(), "after zeroGrad it starts from zero (" + rng + ")");
    }
  }

  /** A tensor used twice in one graph receives the sum of both contributions. */
  @Test
  void fanOutSumsContributions() {
    try (Scope s = Scope.open()) {
      Tensor x = Tensor.of(new float[] {1, -2, 3}, 3).requiresGrad(true);
      Ops.sum(Ops.add(Ops.mul(x, x), x)).backward(); // d/dx (x^2 + x) = 2x + 1
      assertArrayEquals(new float[] {3, -3, 7}, x.grad().toFloatArray());
    }
  }

  /** backward from a leaf adds 1 to its gradient like from any other loss: it accumulates too. */
  @Test
  void backwardFromALeafAccumulates() {
    try (Scope s = Scope.open()) {
      Tensor x = Tensor.scalar(3f).requiresGrad(true);
      x.backward();
      assertEquals(1f, x.grad().item());
      x.backward();
      assertEquals(2f, x.grad().item(), "leaf gradients accumulate across backward calls");
    }
  }

  @Test
  void intermediateGradientsAreFreedAfterBackward() {
    try (Scope s = Scope.open()) {
      Tensor x = Tensor.of(new float[] {1, 2}, 2).requiresGrad(true);
      Tensor y = Ops.exp(x);
      Tensor loss = Ops.sum(y);
      loss.backward();
      assertNotNull(x.grad(), "leaf keeps its gradient");
      assertNull(y.grad(), "intermediate gradient freed");
      assertThrows(IllegalStateException.class, loss::backward, "graph released: a second walk fails");
    }
  }

  @Test
  void backwardOnNonScalarOrNonGradTensorThrows() {
    try (Scope s = Scope.open()) {
      Tensor x = Tensor.of(new float[] {1, 2}, 2).requiresGrad(true);
      IllegalArgumentException e1 = assertThrows(IllegalArgumentException.class, () -> Ops.mul(x, x).backward());
      assertTrue(e1.getMessage().contains("one-element"), e1.getMessage());
      IllegalStateException e2 = assertThrows(IllegalStateException.class,
          () -> Ops.sum(Tensor.of(new float[] {1, 2}, 2)).backward());
      assertTrue(e2.getMessage().contains("does not require a gradient"), e2.getMessage());
      Tensor loss = Ops.sum(x);
      loss.close();
      IllegalStateException e3 = assertThrows(IllegalStateException.class, loss::backward);
      assertTrue(e3.getMessage().contains("closed"), e3.getMessage());
      // an input closed before backward is reported, not read after free
      Tensor y = Ops.exp(x);
      Tensor l2 = Ops.sum(y);
      y.close();
      IllegalStateException e4 = assertThrows(IllegalStateException.class, l2::backward);
      assertTrue(e4.getMessage().contains("closed"), e4.getMessage());
    }
  }

  @Test
  void requiresGradRules() {
    try (Scope s = Scope.open()) {
      IllegalArgumentException e1 = assertThrows(IllegalArgumentException.class,
          () -> Tensor.ofInts(new int[] {1}, 1).requiresGrad(true));
      assertTrue(e1.getMessage().contains("floating-point"), e1.getMessage());
      Tensor x = Tensor.zeros(2).requiresGrad(true);
      Tensor y = Ops.exp(x);
      IllegalStateException e2 = assertThrows(IllegalStateException.class, () -> y.requiresGrad(true));
      assertTrue(e2.getMessage().contains("leaf") && e2.getMessage().contains("exp"), e2.getMessage());
      assertTrue(x.requiresGrad(false) != null && !x.requiresGrad());
    }
  }
}
