package dev.triad.tensor;

import static dev.triad.testing.TestUtil.assertClose;
import static dev.triad.testing.TestUtil.dot;
import static dev.triad.testing.TestUtil.freshRandom;
import static dev.triad.testing.TestUtil.numericalGradient;
import static dev.triad.testing.TestUtil.randn;
import static dev.triad.testing.TestUtil.toDouble;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.triad.nativ.TriadNative;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Ops.embedding with positions null/given and wpe null/given: forward against a float64
 * reference, the gradients of wte and wpe against central differences of it, and the native
 * range checks of token and position ids.
 *
 * <p>Tolerances: the forward is a copy or one fp32 addition (error <= 1 ulp ~ 5e-7 for values
 * ~3), so atol 1e-6 / rtol 1e-6. Each gradient element is a sum of at most B*T = 14 upstream
 * values ~N(0,1) in fp32 (error ~1e-6), so atol 1e-5 / rtol 1e-4.
 */
class EmbeddingTest {
  private static final int B = 2, T = 7, C = 8, V = 11, P = 9;
  private static final double FWD_ATOL = 1e-6, FWD_RTOL = 1e-6;
  private static final double GRAD_ATOL = 1e-5, GRAD_RTOL = 1e-4;

  /**
   * float64 reference: out[b,t,:] = wte[tokens[b,t],:] + wpe[pos,:] with pos = positions[b,t]
   * (or t when positions is null); no position term when wpe is null.
   */
  static double[] embeddingRef(int[] tokens, int[] positions, double[] wte, double[] wpe, int B, int T, int C) {
    double[] out = new double[B * T * C];
    for (int b = 0; b < B; b++) {
      for (int t = 0; t < T; t++) {
        int bt = b * T + t;
        int pos = positions == null ? t : positions[bt];
        for (int c = 0; c < C; c++) {
          double v = wte[tokens[bt] * C + c];
          if (wpe != null) {
            v += wpe[pos * C + c];
          }
          out[bt * C + c] = v;
        }
      }
    }
    return out;
  }

  @ParameterizedTest(name = "positions={0}, wpe={1}")
  @CsvSource({"false, false", "false, true", "true, true", "true, false"})
  void forwardAndBackward(boolean withPositions, boolean withWpe) {
    Random rng = freshRandom();
    String ctx = "embedding positions=" + withPositions + " wpe=" + withWpe + " " + rng;
    // B*T = 14 > V = 11 tokens, so some ids repeat and their gradients must accumulate
    int[] tokens = new int[B * T];
    int[] positions = new int[B * T];
    for (int i = 0; i < tokens.length; i++) {
      tokens[i] = rng.nextInt(V);
      positions[i] = rng.nextInt(P);
    }
    tokens[3] = tokens[10]; // a repeat for sure, across batch rows
    tokens[0] = V - 1; // the last valid id
    positions[1] = positions[12];
    positions[2] = P - 1;
    float[] wteF = randn(rng, V * C), wpeF = randn(rng, P * C), gF = randn(rng, B * T * C);
    double[] wte = toDouble(wteF), wpe = withWpe ? toDouble(wpeF) : null, g = toDouble(gF);
    int[] pos = withPositions ? positions : null;
    try (Scope s = Scope.open()) {
      Tensor tok = Tensor.ofInts(tokens, B, T);
      Tensor posT = withPositions ? Tensor.ofInts(positions, B, T) : null;
      Tensor wteT = Tensor.of(wteF, V, C).requiresGrad(true);
      Tensor wpeT = withWpe ? Tensor.of(wpeF, P, C).requiresGrad(true) : null;
      Tensor y = Ops.embedding(tok, posT, wteT, wpeT);
      assertArrayEquals(new long[] {B, T, C}, y.shape(), ctx + ": output shape");
      assertClose(embeddingRef(tokens, pos, wte, wpe, B, T, C), y.toFloatArray(), FWD_ATOL, FWD_RTOL, ctx + ": forward");

      Ops.sum(Ops.mul(y, Tensor.of(gF, B, T, C))).backward();
      double[] expDwte = numericalGradient(w -> dot(g, embeddingRef(tokens, pos, w, wpe, B, T, C)), wte);
      assertClose(expDwte, wteT.grad().toFloatArray(), GRAD_ATOL, GRAD_RTOL, ctx + ": dwte");
      if (withWpe) {
        double[] expDwpe = numericalGradient(w -> dot(g, embeddingRef(tokens, pos, wte, w, B, T, C)), wpe);
        assertClose(expDwpe, wpeT.grad().toFloatArray(), GRAD_ATOL, GRAD_RTOL, ctx + ": dwpe");
      }
    }
  }

  /** Only wpe requires a gradient (wte frozen): dwte is not computed, dwpe still is. */
  @Test
  void gradientOnlyToPositions() {
    Random rng = freshRandom();
    String ctx = "embedding wpe-only " + rng;
    int[] tokens = new int[B * T];
    for (int i = 0; i < tokens.length; i++) {
      tokens[i] = rng.nextInt(V);
    }
    float[] wteF = randn(rng, V * C), wpeF = randn(rng, P * C), gF = randn(rng, B * T * C);
    double[] wte = toDouble(wteF), wpe = toDouble(wpeF), g = toDouble(gF);
    try (Scope s = Scope.open()) {
      Tensor wteT = Tensor.of(wteF, V, C);
      Tensor wpeT = Tensor.of(wpeF, P, C).requiresGrad(true);
      Tensor y = Ops.embedding(Tensor.ofInts(tokens, B, T), null, wteT, wpeT);
      Ops.sum(Ops.mul(y, Tensor.of(gF, B, T, C))).backward();
      assertEquals(null, wteT.grad(), ctx + ": wte must get no gradient");
      double[] expDwpe = numericalGradient(w -> dot(g, embeddingRef(tokens, null, wte, w, B, T, C)), wpe);
      assertClose(expDwpe, wpeT.grad().toFloatArray(), GRAD_ATOL, GRAD_RTOL, ctx + ": dwpe");
    }
  }

  // ---- data-dependent errors: raised natively, named in the message, nothing leaked ----

  private static IllegalArgumentException embedExpectingError(int[] tokens, int[] positions, boolean withWpe) {
    long before = TriadNative.triad_live_buffers(TriadNative.TRIAD_DEVICE_CPU);
    IllegalArgumentException e;
    try (Scope s = Scope.open()) {
      Tensor wte = Tensor.zeros(V, C).requiresGrad(true);
      Tensor wpe = withWpe ? Tensor.zeros(P, C) : null;
      Tensor tok = Tensor.ofInts(tokens, B, T);
      Tensor pos = positions == null ? null : Tensor.ofInts(positions, B, T);
      e = assertThrows(IllegalArgumentException.class, () -> Ops.embedding(tok, pos, wte, wpe));
    }
    assertEquals(before, TriadNative.triad_live_buffers(TriadNative.TRIAD_DEVICE_CPU),
        "live native buffers after a failed embedding");
    return e;
  }

  private static int[] validTokens(Random rng) {
    int[] tokens = new int[B * T];
    for (int i = 0; i < tokens.length; i++) {
      tokens[i] = rng.nextInt(V);
    }
    return tokens;
  }

  @Test
  void tokenIdAtLeastVocabularyFails() {
    Random rng = freshRandom();
    int[] tokens = validTokens(rng);
    int bad = V + 4;
    tokens[9] = bad;
    IllegalArgumentException e = embedExpectingError(tokens, null, true);
    assertTrue(e.getMessage().contains("token id " + bad), rng + ": message should name token id " + bad + ": " + e.getMessage());
    // the id == V boundary is out of range too
    tokens[9] = V;
    e = embedExpectingError(tokens, null, false);
    assertTrue(e.getMessage().contains("token id " + V), rng + ": message should name token id " + V + ": " + e.getMessage());
    assertStillWorks();
  }

  @Test
  void negativeTokenIdFails() {
    Random rng = freshRandom();
    int[] tokens = validTokens(rng);
    tokens[4] = -3;
    IllegalArgumentException e = embedExpectingError(tokens, null, false);
    assertTrue(e.getMessage().contains("token id -3"), rng + ": message should name token id -3: " + e.getMessage());
    assertStillWorks();
  }

  @Test
  void positionIdOutOfRangeFails() {
    Random rng = freshRandom();
    int[] positions = new int[B * T];
    for (int i = 0; i < positions.length; i++) {
      positions[i] = rng.nextInt(P);
    }
    positions[6] = P + 2;
    IllegalArgumentException e = embedExpectingError(validTokens(rng), positions, true);
    assertTrue(e.getMessage().contains("position id " + (P + 2)),
        rng + ": message should name position id " + (P + 2) + ": " + e.getMessage());
    assertStillWorks();
  }

  @Test
  void sequenceLongerThanLearnedPositionsFails() {
    try (Scope s = Scope.open()) {
      Tensor tok = Tensor.ofInts(new int[2 * (P + 1)], 2, P + 1);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> Ops.embedding(tok, null, Tensor.zeros(V, C), Tensor.zeros(P, C)));
      assertTrue(e.getMessage().contains("T=" + (P + 1)), e.getMessage());
    }
  }

  /** After a native error the library (and JVM) still computes correctly. */
  private static void assertStillWorks() {
    try (Scope s = Scope.open()) {
      float[] wte = new float[V * C];
      for (int i = 0; i < wte.length; i++) {
        wte[i] = i;
      }
      Tensor y = Ops.embedding(Tensor.ofInts(new int[] {2, 5}, 1, 2), null, Tensor.of(wte, V, C), null);
      float[] out = y.toFloatArray();
      assertEquals(2f * C, out[0]); // hand-computable: row 2 of wte starts at 2*C
      assertEquals(5f * C + C - 1, out[2 * C - 1]);
    }
  }
}
