package dev.triad.tensor;

import static dev.triad.testing.TestUtil.assertClose;
import static dev.triad.testing.TestUtil.dot;
import static dev.triad.testing.TestUtil.freshRandom;
import static dev.triad.testing.TestUtil.numericalGradient;
import static dev.triad.testing.TestUtil.randn;
import static dev.triad.testing.TestUtil.toDouble;
import static dev.triad.testing.TestUtil.uniform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.triad.nativ.TriadNative;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Ops.crossEntropy (ignore_index rows, per-token weights, padding columns [vocabReal, V) that
 * never get probability or gradient; gradients through the loss output, the logprob output, and
 * both) and Ops.crossEntropyMean, against float64 references and their central differences, plus
 * the native range check of targets.
 *
 * <p>Tolerances: the log-sum-exp is over <= 32 real columns of logits ~N(0, 2^2) (|x| < ~8);
 * fp32 exp/log and the final subtraction give ~1 ulp of values ~10 (~1e-6), so forward atol 1e-5
 * / rtol 1e-5. Gradients are softmax probabilities (<= 1) times upstream values ~N(0,1) (times a
 * weight <= 2), computed in fp32 from the saved fp32 lse (its rounding ~1e-6 relative) -> atol
 * 1e-5 / rtol 1e-4.
 */
class CrossEntropyTest {
  private static final int IGNORE = -100;
  private static final double FWD_ATOL = 1e-5, FWD_RTOL = 1e-5;
  private static final double GRAD_ATOL = 1e-5, GRAD_RTOL = 1e-4;

  /**
   * float64 reference; returns {loss, logprob}, each [N]. logprob[n] = x[n,t] - log sum_{j<Vr}
   * exp(x[n,j]) and loss[n] = -w[n] * logprob[n] (w = 1 when null); both 0 when t == ignore.
   */
  static double[][] crossEntropyRef(double[] x, int[] targets, double[] w, int N, int V, int Vr, int ignore) {
    double[] loss = new double[N], logprob = new double[N];
    for (int n = 0; n < N; n++) {
      if (targets[n] == ignore) {
        continue;
      }
      double max = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < Vr; j++) {
        max = Math.max(max, x[n * V + j]);
      }
      double sum = 0;
      for (int j = 0; j < Vr; j++) {
        sum += Math.exp(x[n * V + j] - max);
      }
      double lse = max + Math.log(sum);
      logprob[n] = x[n * V + targets[n]] - lse;
      loss[n] = -(w == null ? 1.0 : w[n]) * logprob[n];
    }
    return new double[][] {loss, logprob};
  }

  /** Random logits whose padding columns are large (they would dominate any softmax that read them). */
  private static float[] logitsWithHugePadding(Random rng, int N, int V, int Vr) {
    float[] x = randn(rng, N * V, 2.0);
    for (int n = 0; n < N; n++) {
      for (int j = Vr; j < V; j++) {
        x[n * V + j] = (float) (30 + 5 * rng.nextGaussian());
      }
    }
    return x;
  }

  /** Targets in [0, Vr) with rows 2 and 7 ignored and row 0 at the last real class. */
  private static int[] targets(Random rng, int N, int Vr) {
    int[] t = new int[N];
    for (int n = 0; n < N; n++) {
      t[n] = rng.nextInt(Vr);
    }
    t[0] = Vr - 1;
    t[2] = IGNORE;
    t[7] = IGNORE;
    return t;
  }

  @ParameterizedTest(name = "through loss={0}, logprob={1}, weights={2}")
  @CsvSource({
    "true, false, false", "true, false, true", "false, true, false", "false, true, true",
    "true, true, false", "true, true, true"
  })
  void forwardAndBackward(boolean viaLoss, boolean viaLogprob, boolean withWeights) {
    Random rng = freshRandom();
    int B = 2, T = 6, N = B * T, V = 37, Vr = 32;
    String ctx = "crossEntropy loss=" + viaLoss + " logprob=" + viaLogprob + " weights=" + withWeights + " " + rng;
    float[] xf = logitsWithHugePadding(rng, N, V, Vr);
    int[] tgt = targets(rng, N, Vr);
    float[] wf = uniform(rng, N, 0.1, 2.0);
    wf[5] = 0f; // a zero weight: loss 0, logprob still the real value
    float[] glf = randn(rng, N), gpf = randn(rng, N);
    double[] xd = toDouble(xf), wd = withWeights ? toDouble(wf) : null, gl = toDouble(glf), gp = toDouble(gpf);
    try (Scope s = Scope.open()) {
      Tensor x = Tensor.of(xf, B, T, V).requiresGrad(true);
      Tensor w = withWeights ? Tensor.of(wf, B, T) : null;
      Ops.CrossEntropy ce = Ops.crossEntropy(x, Tensor.ofInts(tgt, B, T), w, Vr, IGNORE);
      assertArrayEquals(new long[] {B, T}, ce.loss.shape(), ctx + ": loss shape");
      assertArrayEquals(new long[] {B, T}, ce.logprob.shape(), ctx + ": logprob shape");
      double[][] ref = crossEntropyRef(xd, tgt, wd, N, V, Vr, IGNORE);
      float[] loss = ce.loss.toFloatArray(), logprob = ce.logprob.toFloatArray();
      assertClose(ref[0], loss, FWD_ATOL, FWD_RTOL, ctx + ": loss");
      assertClose(ref[1], logprob, FWD_ATOL, FWD_RTOL, ctx + ": logprob");
      for (int n : new int[] {2, 7}) {
        assertEquals(0f, loss[n], ctx + ": loss of ignored row " + n);
        assertEquals(0f, logprob[n], ctx + ": logprob of ignored row " + n);
      }

      Tensor l = null;
      if (viaLoss) {
        l = Ops.sum(Ops.mul(ce.loss, Tensor.of(glf, B, T)));
      }
      if (viaLogprob) {
        Tensor lp = Ops.sum(Ops.mul(ce.logprob, Tensor.of(gpf, B, T)));
        l = l == null ? lp : Ops.add(l, lp);
      }
      l.backward();
      double[] exp = numericalGradient(v -> {
        double[][] r = crossEntropyRef(v, tgt, wd, N, V, Vr, IGNORE);
        return (viaLoss ? dot(gl, r[0]) : 0) + (viaLogprob ? dot(gp, r[1]) : 0);
      }, xd);
      float[] dx = x.grad().toFloatArray();
      assertClose(exp, dx, GRAD_ATOL, GRAD_RTOL, ctx + ": dlogits");
      for (int n = 0; n < N; n++) {
        for (int j = 0; j < V; j++) {
          if (j >= Vr || tgt[n] == IGNORE) {
            assertEquals(0f, dx[n * V + j], ctx + ": dlogits[" + n + "," + j + "] must be exactly 0 (padding or ignored)");
          }
        }
      }
    }
  }

  /** Hand-computable: equal real logits -> logprob = -ln(Vr), whatever the padding columns hold. */
  @Test
  void uniformRealLogitsGiveLogVocabReal() {
    Random rng = freshRandom();
    int N = 3, V = 11, Vr = 7;
    float[] x = logitsWithHugePadding(rng, N, V, Vr);
    for (int n = 0; n < N; n++) {
      Arrays.fill(x, n * V, n * V + Vr, 0.7f);
    }
    try (Scope s = Scope.open()) {
      Ops.CrossEntropy ce = Ops.crossEntropy(Tensor.of(x, N, V), Tensor.ofInts(new int[] {0, 6, 3}, N),
          Tensor.of(new float[] {1f, 2f, 0.5f}, N), Vr, IGNORE);
      double l = Math.log(Vr);
      assertClose(new double[] {-l, -l, -l}, ce.logprob.toFloatArray(), 1e-6, 1e-6, "logprob, " + rng);
      assertClose(new double[] {l, 2 * l, 0.5 * l}, ce.loss.toFloatArray(), 1e-6, 1e-6, "loss, " + rng);
    }
  }

  /** Backward twice from separate forwards: gradients accumulate into the leaf (not overwrite). */
  @Test
  void gradientsAccumulateAcrossBackwardCalls() {
    Random rng = freshRandom();
    int N = 5, V = 13, Vr = 13;
    String ctx = "crossEntropy accumulate " + rng;
    float[] xf = randn(rng, N * V);
    int[] tgt = new int[N];
    for (int n = 0; n < N; n++) {
      tgt[n] = rng.nextInt(Vr);
    }
    double[] xd = toDouble(xf);
    try (Scope s = Scope.open()) {
      Tensor x = Tensor.of(xf, N, V).requiresGrad(true);
      Tensor t = Tensor.ofInts(tgt, N);
      Ops.sum(Ops.crossEntropy(x, t, null, Vr, IGNORE).loss).backward();
      Ops.sum(Ops.crossEntropy(x, t, null, Vr, IGNORE).logprob).backward();
      Ops.sum(Ops.crossEntropy(x, t, null, Vr, IGNORE).loss).backward();
      // net: loss counted twice, logprob once = -loss once => gradient of sum(loss)
      double[] exp = numericalGradient(v -> {
        double s2 = 0;
        for (double d : crossEntropyRef(v, tgt, null, N, V, Vr, IGNORE)[0]) {
          s2 += d;
        }
        return s2;
      }, xd);
      assertClose(exp, x.grad().toFloatArray(), GRAD_ATOL, GRAD_RTOL, ctx + ": dlogits");
    }
  }

  // ---- crossEntropyMean ----

  /** float64 reference: mean of -logprob over non-ignored rows (0 when all are ignored). */
  static double crossEntropyMeanRef(double[] x, int[] targets, int N, int V, int ignore) {
    double[] loss = crossEntropyRef(x, targets, null, N, V, V, ignore)[0];
    double sum = 0;
    int count = 0;
    for (int n = 0; n < N; n++) {
      if (targets[n] != ignore) {
        sum += loss[n];
        count++;
      }
    }
    return count == 0 ? 0 : sum / count;
  }

  @Test
  void crossEntropyMeanForwardAndBackward() {
    Random rng = freshRandom();
    int B = 2, T = 5, N = B * T, V = 17, ignore = -1;
    String ctx = "crossEntropyMean " + rng;
    float[] xf = randn(rng, N * V, 2.0);
    int[] tgt = new int[N];
    for (int n = 0; n < N; n++) {
      tgt[n] = rng.nextInt(5) == 0 ? ignore : rng.nextInt(V);
    }
    tgt[1] = ignore;
    tgt[4] = V - 1;
    double[] xd = toDouble(xf);
    try (Scope s = Scope.open()) {
      Tensor x = Tensor.of(xf, B, T, V).requiresGrad(true);
      Tensor loss = Ops.crossEntropyMean(x, Tensor.ofInts(tgt, B, T), ignore);
      assertEquals(1, loss.numel(), ctx + ": scalar");
      assertClose(new double[] {crossEntropyMeanRef(xd, tgt, N, V, ignore)}, loss.toFloatArray(), FWD_ATOL, FWD_RTOL,
          ctx + " targets " + Arrays.toString(tgt) + ": value");
      loss.backward(); // upstream 1: the loss is already a scalar
      assertClose(numericalGradient(v -> crossEntropyMeanRef(v, tgt, N, V, ignore), xd), x.grad().toFloatArray(),
          GRAD_ATOL, GRAD_RTOL, ctx + ": dlogits");
    }
  }

  @Test
  void crossEntropyMeanAllIgnoredIsZero() {
    Random rng = freshRandom();
    int N = 4, V = 11;
    try (Scope s = Scope.open()) {
      Tensor x = Tensor.of(randn(rng, N * V), N, V).requiresGrad(true);
      Tensor loss = Ops.crossEntropyMean(x, Tensor.ofInts(new int[] {IGNORE, IGNORE, IGNORE, IGNORE}, N), IGNORE);
      assertEquals(0f, loss.item(), "all-ignored mean loss, " + rng);
      loss.backward();
      assertArrayEquals(new float[N * V], x.grad().toFloatArray(), "all-ignored gradient, " + rng);
    }
  }

  // ---- data-dependent errors ----

  private static void assertTargetRejected(int bad, int N, int V, int Vr) {
    Random rng = freshRandom();
    int[] tgt = new int[N];
    for (int n = 0; n < N; n++) {
      tgt[n] = rng.nextInt(Vr);
    }
    tgt[N - 2] = bad;
    long before = TriadNative.triad_live_buffers(TriadNative.TRIAD_DEVICE_CPU);
    try (Scope s = Scope.open()) {
      Tensor x = Tensor.of(randn(rng, N * V), N, V).requiresGrad(true);
      Tensor t = Tensor.ofInts(tgt, N);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> Ops.crossEntropy(x, t, null, Vr, IGNORE), "target " + bad + ", " + rng);
      assertTrue(e.getMessage().contains("target " + bad), "message should name target " + bad + ": " + e.getMessage());
      // the JVM and the library are fine afterwards: a valid call on the same tensors works
      t.close();
      int[] ok = tgt.clone();
      ok[N - 2] = 0;
      float[] lp = Ops.crossEntropy(x, Tensor.ofInts(ok, N), null, Vr, IGNORE).logprob.toFloatArray();
      assertTrue(lp[N - 2] < 0 && Float.isFinite(lp[N - 2]), "valid call after an error, " + rng);
    }
    assertEquals(before, TriadNative.triad_live_buffers(TriadNative.TRIAD_DEVICE_CPU), "live native buffers");
  }

  @Test
  void targetInPaddingColumnsFails() {
    assertTargetRejected(32, 6, 37, 32); // == vocabReal: a padding column, not a class
    assertTargetRejected(35, 6, 37, 32);
  }

  @Test
  void targetAtLeastVFails() {
    assertTargetRejected(40, 6, 37, 32);
  }

  @Test
  void negativeTargetOtherThanIgnoreIndexFails() {
    assertTargetRejected(-1, 6, 37, 32);
  }
}
