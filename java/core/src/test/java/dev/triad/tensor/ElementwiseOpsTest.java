package dev.triad.tensor;

import static dev.triad.testing.TestUtil.assertClose;
import static dev.triad.testing.TestUtil.dot;
import static dev.triad.testing.TestUtil.freshRandom;
import static dev.triad.testing.TestUtil.numericalGradient;
import static dev.triad.testing.TestUtil.randn;
import static dev.triad.testing.TestUtil.toDouble;
import static dev.triad.testing.TestUtil.uniform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.triad.testing.TestUtil.SeededRandom;
import java.util.Random;
import java.util.function.BinaryOperator;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Unary, binary, where and residual ops: forward against a float64 reference, backward (through
 * autograd, L = sum(G * y) with random G) against float64 central differences of sum(G * ref).
 *
 * <p>Tolerances: forward atol 1e-6 + rtol 1e-5 (an f32 op is within ~1 ulp of the exact result
 * of its f32 inputs); backward atol 1e-5 + rtol 1e-4 (f32 gradient vs float64 differences, whose
 * own error is ~1e-9). Inputs keep a distance >= 1e-2 from kinks (relu 0, clamp bounds, min/max
 * ties), far above the difference step 1e-6.
 */
class ElementwiseOpsTest {
  private static final double FWD_ATOL = 1e-6, FWD_RTOL = 1e-5;
  private static final double BWD_ATOL = 1e-5, BWD_RTOL = 1e-4;
  private static final long[] SHAPE = {2, 3, 4}; // [B,T,C]
  private static final int N = 24;

  // ---------------------------------------------------------------------------------------------
  // unary
  // ---------------------------------------------------------------------------------------------

  /** Checks y = op(x) and dL/dx for L = sum(G * y) against ref. */
  private static void checkUnary(String name, UnaryOperator<Tensor> op, DoubleUnaryOperator ref, float[] x,
      SeededRandom rng) {
    String what = name + " (" + rng + ")";
    try (Scope s = Scope.open()) {
      Tensor xt = Tensor.of(x, SHAPE).requiresGrad(true);
      Tensor y = op.apply(xt);
      assertArrayEquals(SHAPE, y.shape(), what + " shape");
      double[] xd = toDouble(x);
      double[] expected = new double[N];
      for (int i = 0; i < N; i++) {
        expected[i] = ref.applyAsDouble(xd[i]);
      }
      assertClose(expected, y.toFloatArray(), FWD_ATOL, FWD_RTOL, what + " forward");

      float[] g = randn(rng, N);
      Tensor loss = Ops.sum(Ops.mul(y, Tensor.of(g, SHAPE)));
      loss.backward();
      double[] gd = toDouble(g);
      double[] num = numericalGradient(v -> {
        double[] yv = new double[N];
        for (int i = 0; i < N; i++) {
          yv[i] = ref.applyAsDouble(v[i]);
        }
        return dot(gd, yv);
      }, xd);
      assertClose(num, xt.grad().toFloatArray(), BWD_ATOL, BWD_RTOL, what + " dx");
    }
  }

  /** n values from N(0, std) with |x - k| >= gap for every kink k. */
  private static float[] awayFrom(Random rng, int n, double std, double gap, double... kinks) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      float v;
      boolean ok;
      do {
        v = (float) (rng.nextGaussian() * std);
        ok = true;
        for (double k : kinks) {
          ok &= Math.abs(v - k) >= gap;
        }
      } while (!ok);
      a[i] = v;
    }
    return a;
  }

  @Test
  void exp() {
    SeededRandom rng = (SeededRandom) freshRandom();
    checkUnary("exp", Ops::exp, Math::exp, randn(rng, N, 1.5), rng);
  }

  @Test
  void logOnPositiveInputs() {
    SeededRandom rng = (SeededRandom) freshRandom();
    checkUnary("log", Ops::log, Math::log, uniform(rng, N, 0.2, 4.0), rng);
  }

  @Test
  void affine() {
    SeededRandom rng = (SeededRandom) freshRandom();
    float scale = (float) (rng.nextGaussian() * 2), shift = (float) rng.nextGaussian();
    checkUnary("affine(" + scale + ", " + shift + ")", x -> Ops.affine(x, scale, shift),
        v -> (double) scale * v + shift, randn(rng, N), rng);
  }

  @Test
  void mulScalarAddScalarNeg() {
    SeededRandom rng = (SeededRandom) freshRandom();
    float s = (float) (rng.nextGaussian() * 3);
    checkUnary("mulScalar(" + s + ")", x -> Ops.mulScalar(x, s), v -> s * v, randn(rng, N), rng);
    checkUnary("addScalar(" + s + ")", x -> Ops.addScalar(x, s), v -> v + s, randn(rng, N), rng);
    checkUnary("neg", Ops::neg, v -> -v, randn(rng, N), rng);
  }

  @Test
  void clamp() {
    SeededRandom rng = (SeededRandom) freshRandom();
    float lo = -0.5f, hi = 0.7f;
    // about half the values fall outside [lo, hi]: both the clipped (gradient 0) and the
    // passing (gradient 1) branches are exercised
    float[] x = awayFrom(rng, N, 1.0, 1e-2, lo, hi);
    checkUnary("clamp", t -> Ops.clamp(t, lo, hi), v -> Math.min(Math.max(v, lo), hi), x, rng);
  }

  @Test
  void clampAtEqualBoundsIsConstant() {
    SeededRandom rng = (SeededRandom) freshRandom();
    float c = 0.25f;
    checkUnary("clamp(c, c)", t -> Ops.clamp(t, c, c), v -> c, awayFrom(rng, N, 1.0, 1e-2, c), rng);
  }

  @Test
  void square() {
    SeededRandom rng = (SeededRandom) freshRandom();
    checkUnary("square", Ops::square, v -> v * v, randn(rng, N, 2.0), rng);
  }

  @Test
  void sqrtOnPositiveInputs() {
    SeededRandom rng = (SeededRandom) freshRandom();
    checkUnary("sqrt", Ops::sqrt, Math::sqrt, uniform(rng, N, 0.1, 5.0), rng);
  }

  @Test
  void tanh() {
    SeededRandom rng = (SeededRandom) freshRandom();
    checkUnary("tanh", Ops::tanh, Math::tanh, randn(rng, N, 1.5), rng);
  }

  @Test
  void relu() {
    SeededRandom rng = (SeededRandom) freshRandom();
    checkUnary("relu", Ops::relu, v -> Math.max(v, 0.0), awayFrom(rng, N, 1.0, 1e-2, 0.0), rng);
  }

  // ---------------------------------------------------------------------------------------------
  // binary
  // ---------------------------------------------------------------------------------------------

  /** b shapes exercised: same shape, suffix [C], one element [1], and a rank-0 scalar. */
  private static final long[][] B_SHAPES = {{2, 3, 4}, {4}, {3, 4}, {1}, {}};

  /**
   * Checks out = op(a, b) with b broadcast (b[i % nb]) and the gradients of both a and b for
   * L = sum(G * out).
   */
  private static void checkBinary(String name, BinaryOperator<Tensor> op, DoubleBinaryOperator ref,
      long[] bShape, float[] a, float[] b, SeededRandom rng) {
    String what = name + " with b " + java.util.Arrays.toString(bShape) + " (" + rng + ")";
    int nb = b.length;
    try (Scope s = Scope.open()) {
      Tensor at = Tensor.of(a, SHAPE).requiresGrad(true);
      Tensor bt = Tensor.of(b, bShape).requiresGrad(true);
      Tensor y = op.apply(at, bt);
      assertArrayEquals(SHAPE, y.shape(), what + " shape");
      double[] ad = toDouble(a), bd = toDouble(b);
      double[] expected = new double[N];
      for (int i = 0; i < N; i++) {
        expected[i] = ref.applyAsDouble(ad[i], bd[i % nb]);
      }
      assertClose(expected, y.toFloatArray(), FWD_ATOL, FWD_RTOL, what + " forward");

      float[] g = randn(rng, N);
      double[] gd = toDouble(g);
      Ops.sum(Ops.mul(y, Tensor.of(g, SHAPE))).backward();
      double[] numA = numericalGradient(v -> {
        double[] yv = new double[N];
        for (int i = 0; i < N; i++) {
          yv[i] = ref.applyAsDouble(v[i], bd[i % nb]);
        }
        return dot(gd, yv);
      }, ad);
      double[] numB = numericalGradient(v -> {
        double[] yv = new double[N];
        for (int i = 0; i < N; i++) {
          yv[i] = ref.applyAsDouble(ad[i], v[i % nb]);
        }
        return dot(gd, yv);
      }, bd);
      assertClose(numA, at.grad().toFloatArray(), BWD_ATOL, BWD_RTOL, what + " da");
      assertArrayEquals(bShape, bt.grad().shape(), what + " db shape");
      // db sums up to 24 terms: a little more room
      assertClose(numB, bt.grad().toFloatArray(), 4 * BWD_ATOL, BWD_RTOL, what + " db");
    }
  }

  private static int numel(long[] shape) {
    return Math.toIntExact(Shapes.numel(shape));
  }

  private static void checkBinaryAllShapes(String name, BinaryOperator<Tensor> op, DoubleBinaryOperator ref,
      boolean bAwayFromZero) {
    SeededRandom rng = (SeededRandom) freshRandom();
    for (long[] bs : B_SHAPES) {
      float[] a = randn(rng, N);
      float[] b = randn(rng, numel(bs));
      if (bAwayFromZero) { // |b| in [0.5, 2]: the quotient and its derivatives stay moderate
        for (int i = 0; i < b.length; i++) {
          b[i] = (float) ((rng.nextBoolean() ? 1 : -1) * (0.5 + 1.5 * rng.nextDouble()));
        }
      }
      checkBinary(name, op, ref, bs, a, b, rng);
    }
  }

  @Test
  void add() {
    checkBinaryAllShapes("add", Ops::add, (x, y) -> x + y, false);
  }

  @Test
  void sub() {
    checkBinaryAllShapes("sub", Ops::sub, (x, y) -> x - y, false);
  }

  @Test
  void mul() {
    checkBinaryAllShapes("mul", Ops::mul, (x, y) -> x * y, false);
  }

  @Test
  void div() {
    checkBinaryAllShapes("div", Ops::div, (x, y) -> x / y, true);
  }

  /** a with |a[i] - b[i % nb]| >= 1e-2 everywhere (no min/max ties or near-ties). */
  private static float[] awayFromB(Random rng, float[] b) {
    float[] a = new float[N];
    for (int i = 0; i < N; i++) {
      do {
        a[i] = (float) rng.nextGaussian();
      } while (Math.abs(a[i] - b[i % b.length]) < 1e-2);
    }
    return a;
  }

  private static void checkMinMax(String name, BinaryOperator<Tensor> op, DoubleBinaryOperator ref) {
    SeededRandom rng = (SeededRandom) freshRandom();
    for (long[] bs : B_SHAPES) {
      float[] b = randn(rng, numel(bs));
      checkBinary(name, op, ref, bs, awayFromB(rng, b), b, rng);
    }
  }

  @Test
  void minimum() {
    checkMinMax("minimum", Ops::minimum, Math::min);
  }

  @Test
  void maximum() {
    checkMinMax("maximum", Ops::maximum, Math::max);
  }

  /** On exact ties the value is the common one and the whole gradient goes to a (documented). */
  @Test
  void minimumMaximumTiesSendGradientToA() {
    for (boolean isMax : new boolean[] {false, true}) {
      try (Scope s = Scope.open()) {
        Tensor a = Tensor.of(new float[] {1f, 2f, 3f}, 3).requiresGrad(true);
        Tensor b = Tensor.of(new float[] {1f, 5f, -1f}, 3).requiresGrad(true);
        Tensor y = isMax ? Ops.maximum(a, b) : Ops.minimum(a, b);
        assertArrayEquals(isMax ? new float[] {1f, 5f, 3f} : new float[] {1f, 2f, -1f}, y.toFloatArray());
        Ops.sum(Ops.mul(y, Tensor.of(new float[] {10f, 20f, 30f}, 3))).backward();
        String what = isMax ? "maximum" : "minimum";
        assertArrayEquals(isMax ? new float[] {10f, 0f, 30f} : new float[] {10f, 20f, 0f},
            a.grad().toFloatArray(), what + " da");
        assertArrayEquals(isMax ? new float[] {0f, 20f, 0f} : new float[] {0f, 0f, 30f},
            b.grad().toFloatArray(), what + " db");
      }
    }
  }

  /** greater/less: exact 0/1 (0 on ties for both) and never recorded for autograd. */
  @Test
  void greaterAndLess() {
    SeededRandom rng = (SeededRandom) freshRandom();
    for (long[] bs : B_SHAPES) {
      String what = "b " + java.util.Arrays.toString(bs) + " (" + rng + ")";
      int nb = numel(bs);
      float[] b = randn(rng, nb);
      float[] a = randn(rng, N);
      for (int i = 0; i < N; i += 3) {
        a[i] = b[i % nb]; // exact ties
      }
      try (Scope s = Scope.open()) {
        Tensor at = Tensor.of(a, SHAPE).requiresGrad(true);
        Tensor bt = Tensor.of(b, bs).requiresGrad(true);
        Tensor gt = Ops.greater(at, bt);
        Tensor lt = Ops.less(at, bt);
        float[] eg = new float[N], el = new float[N];
        for (int i = 0; i < N; i++) {
          eg[i] = a[i] > b[i % nb] ? 1f : 0f;
          el[i] = a[i] < b[i % nb] ? 1f : 0f;
        }
        assertArrayEquals(SHAPE, gt.shape(), what);
        assertArrayEquals(eg, gt.toFloatArray(), "greater " + what);
        assertArrayEquals(el, lt.toFloatArray(), "less " + what);
        assertFalse(gt.requiresGrad(), "greater must not require grad " + what);
        assertFalse(lt.requiresGrad(), "less must not require grad " + what);
        assertNull(gt.gradFn(), what);
        assertNull(lt.gradFn(), what);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // where, residual
  // ---------------------------------------------------------------------------------------------

  @Test
  void where() {
    SeededRandom rng = (SeededRandom) freshRandom();
    String what = "where (" + rng + ")";
    float[] cond = new float[N];
    for (int i = 0; i < N; i++) {
      // zero, one, and arbitrary non-zero values (incl. negative): only "!= 0" matters
      int k = rng.nextInt(4);
      cond[i] = k == 0 ? 0f : k == 1 ? 1f : k == 2 ? -2.5f : (float) rng.nextGaussian() + 3f;
    }
    cond[0] = 0f;
    cond[1] = 1f;
    float[] a = randn(rng, N), b = randn(rng, N);
    try (Scope s = Scope.open()) {
      Tensor ct = Tensor.of(cond, SHAPE);
      Tensor at = Tensor.of(a, SHAPE).requiresGrad(true);
      Tensor bt = Tensor.of(b, SHAPE).requiresGrad(true);
      Tensor y = Ops.where(ct, at, bt);
      float[] expected = new float[N];
      for (int i = 0; i < N; i++) {
        expected[i] = cond[i] != 0 ? a[i] : b[i];
      }
      assertArrayEquals(expected, y.toFloatArray(), what + " forward (a selection: exact)");

      float[] g = randn(rng, N);
      double[] gd = toDouble(g), ad = toDouble(a), bd = toDouble(b);
      Ops.sum(Ops.mul(y, Tensor.of(g, SHAPE))).backward();
      double[] numA = numericalGradient(v -> {
        double sum = 0;
        for (int i = 0; i < N; i++) {
          sum += gd[i] * (cond[i] != 0 ? v[i] : bd[i]);
        }
        return sum;
      }, ad);
      double[] numB = numericalGradient(v -> {
        double sum = 0;
        for (int i = 0; i < N; i++) {
          sum += gd[i] * (cond[i] != 0 ? ad[i] : v[i]);
        }
        return sum;
      }, bd);
      assertClose(numA, at.grad().toFloatArray(), BWD_ATOL, BWD_RTOL, what + " da");
      assertClose(numB, bt.grad().toFloatArray(), BWD_ATOL, BWD_RTOL, what + " db");
    }
  }

  @Test
  void whereWithOnlyOneDifferentiableBranch() {
    SeededRandom rng = (SeededRandom) freshRandom();
    float[] cond = {1, 0, 1, 0};
    float[] a = randn(rng, 4), b = randn(rng, 4);
    try (Scope s = Scope.open()) {
      Tensor at = Tensor.of(a, 4);
      Tensor bt = Tensor.of(b, 4).requiresGrad(true);
      Ops.sum(Ops.where(Tensor.of(cond, 4), at, bt)).backward();
      assertNull(at.grad(), "a does not require grad");
      assertArrayEquals(new float[] {0, 1, 0, 1}, bt.grad().toFloatArray(), "db (" + rng + ")");
    }
  }

  @Test
  void residual() {
    SeededRandom rng = (SeededRandom) freshRandom();
    checkBinary("residual", Ops::residual, (x, y) -> x + y, SHAPE, randn(rng, N), randn(rng, N), rng);
  }

  /** x + f(x): the gradient reaching x is the sum over both paths. */
  @Test
  void residualAroundAFunctionOfX() {
    SeededRandom rng = (SeededRandom) freshRandom();
    String what = "residual(x, tanh(x)) (" + rng + ")";
    float[] x = randn(rng, N);
    float[] g = randn(rng, N);
    try (Scope s = Scope.open()) {
      Tensor xt = Tensor.of(x, SHAPE).requiresGrad(true);
      Tensor y = Ops.residual(xt, Ops.tanh(xt));
      Ops.sum(Ops.mul(y, Tensor.of(g, SHAPE))).backward();
      double[] gd = toDouble(g);
      double[] num = numericalGradient(v -> {
        double sum = 0;
        for (int i = 0; i < N; i++) {
          sum += gd[i] * (v[i] + Math.tanh(v[i]));
        }
        return sum;
      }, toDouble(x));
      assertClose(num, xt.grad().toFloatArray(), BWD_ATOL, BWD_RTOL, what);
    }
  }

  /** Only the input that requires a gradient gets one (binary backward with a NULL da or db). */
  @Test
  void binaryGradientOnlyForInputsThatRequireIt() {
    SeededRandom rng = (SeededRandom) freshRandom();
    float[] a = randn(rng, N), b = randn(rng, 4);
    try (Scope s = Scope.open()) {
      Tensor at = Tensor.of(a, SHAPE);
      Tensor bt = Tensor.of(b, 4).requiresGrad(true);
      Ops.sum(Ops.mul(at, bt)).backward();
      assertNull(at.grad());
      double[] expected = new double[4];
      for (int i = 0; i < N; i++) {
        expected[i % 4] += a[i];
      }
      assertClose(expected, bt.grad().toFloatArray(), 1e-5, 1e-5, "db = column sums of a (" + rng + ")");
    }
  }
}
