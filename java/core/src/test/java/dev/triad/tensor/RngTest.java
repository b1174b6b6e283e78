package dev.triad.tensor;

import static dev.triad.testing.TestUtil.freshRandom;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.triad.testing.TestUtil.SeededRandom;
import dev.triad.nativ.Status;
import dev.triad.nativ.TriadNative;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Counter-based RNG (Tensor.randn / Tensor.rand) and token sampling (Ops.sample).
 *
 * <p>Determinism and resumption are checked bit for bit. Statistical checks use fresh seeds and
 * 5-sigma bounds (a false failure has probability ~1e-6 per bound): means within 5 sigma/sqrt(n),
 * standard deviations within 5 sigma/sqrt(2n), bucket and category frequencies within
 * 5 sqrt(p(1-p)/n).
 */
class RngTest {

  private static long seed(Random rng) {
    return rng.nextLong() >>> 1; // non-negative, any size
  }

  private static float[] randn(long seed, long offset, int n) {
    try (Scope s = Scope.open()) {
      return Tensor.randn(seed, offset, 0f, 1f, Device.CPU, n).toFloatArray();
    }
  }

  private static float[] rand(long seed, long offset, int n) {
    try (Scope s = Scope.open()) {
      return Tensor.rand(seed, offset, -1f, 3f, Device.CPU, n).toFloatArray();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // randn / rand
  // ---------------------------------------------------------------------------------------------

  @Test
  void sameSeedAndOffsetGiveSameValues() {
    SeededRandom rng = (SeededRandom) freshRandom();
    long seed = seed(rng), offset = rng.nextInt(1000);
    assertArrayEquals(randn(seed, offset, 257), randn(seed, offset, 257), "randn (" + rng + ")");
    assertArrayEquals(rand(seed, offset, 257), rand(seed, offset, 257), "rand (" + rng + ")");
    try (Scope s = Scope.open()) { // the shape does not matter, only the flat position
      assertArrayEquals(randn(seed, offset, 24),
          Tensor.randn(seed, offset, 0f, 1f, Device.CPU, 2, 3, 4).toFloatArray(), "randn shape (" + rng + ")");
      assertArrayEquals(rand(seed, offset, 24),
          Tensor.rand(seed, offset, -1f, 3f, Device.CPU, 4, 6).toFloatArray(), "rand shape (" + rng + ")");
    }
  }

  /** Elements [k, n) of the stream started at 0 equal the stream started at offset k. */
  @Test
  void offsetResumesTheStream() {
    SeededRandom rng = (SeededRandom) freshRandom();
    long seed = seed(rng);
    int n = 300;
    float[] fullN = randn(seed, 0, n), fullU = rand(seed, 0, n);
    // offsets that do and do not fall on Philox block (4-element) boundaries
    for (int k : new int[] {1, 2, 3, 4, 5, 7, 64, 131, 299}) {
      String what = "offset " + k + " (" + rng + ")";
      assertArrayEquals(Arrays.copyOfRange(fullN, k, n), randn(seed, k, n - k), "randn " + what);
      assertArrayEquals(Arrays.copyOfRange(fullU, k, n), rand(seed, k, n - k), "rand " + what);
    }
    // a large offset: resuming at 10^6 + j equals elements j.. of the stream at 10^6
    float[] far = randn(seed, 1_000_000L, 16);
    assertArrayEquals(Arrays.copyOfRange(far, 5, 16), randn(seed, 1_000_005L, 11), "far offset (" + rng + ")");
  }

  /** Values do not depend on the CPU thread count (parallel paths kick in above ~16k elements). */
  @Test
  void independentOfThreadCount() {
    SeededRandom rng = (SeededRandom) freshRandom();
    long seed = seed(rng);
    int n = 40_000;
    int original = TriadNative.triad_cpu_threads();
    try {
      Status.check(TriadNative.triad_set_cpu_threads(1));
      float[] n1 = randn(seed, 3, n), u1 = rand(seed, 3, n);
      Status.check(TriadNative.triad_set_cpu_threads(Math.max(2, original)));
      assertArrayEquals(n1, randn(seed, 3, n), "randn (" + rng + ")");
      assertArrayEquals(u1, rand(seed, 3, n), "rand (" + rng + ")");
    } finally {
      Status.check(TriadNative.triad_set_cpu_threads(original));
    }
  }

  @Test
  void differentSeedsAndOffsetsDiffer() {
    SeededRandom rng = (SeededRandom) freshRandom();
    long seed = seed(rng);
    int n = 1000;
    for (float[][] pair : new float[][][] {
        {randn(seed, 0, n), randn(seed + 1, 0, n)},
        {randn(seed, 0, n), randn(seed ^ (1L << 40), 0, n)}, // high half of the seed matters
        {rand(seed, 0, n), rand(seed + 1, 0, n)},
        {randn(seed, 0, n), randn(seed, 1, n)},
        {rand(seed, 0, n), rand(seed, 1, n)}}) {
      int same = 0;
      for (int i = 0; i < n; i++) {
        same += pair[0][i] == pair[1][i] ? 1 : 0;
      }
      assertTrue(same <= 2, same + " of " + n + " elements coincide (" + rng + ")");
    }
  }

  @Test
  void normalMeanAndStd() {
    SeededRandom rng = (SeededRandom) freshRandom();
    long seed = seed(rng);
    int n = 200_000;
    float mu = 2f, sigma = 3f;
    float[] x;
    try (Scope s = Scope.open()) {
      x = Tensor.randn(seed, rng.nextInt(1 << 20), mu, sigma, Device.CPU, n).toFloatArray();
    }
    double sum = 0, sq = 0;
    int within1 = 0;
    for (float v : x) {
      assertTrue(Float.isFinite(v), "finite (" + rng + ")");
      sum += v;
      within1 += Math.abs(v - mu) < sigma ? 1 : 0;
    }
    double mean = sum / n;
    for (float v : x) {
      sq += (v - mean) * (v - mean);
    }
    double std = Math.sqrt(sq / (n - 1));
    String what = " (" + rng + ")";
    assertEquals(mu, mean, 5 * sigma / Math.sqrt(n), "mean" + what);
    assertEquals(sigma, std, 5 * sigma / Math.sqrt(2.0 * n), "std" + what);
    double p1 = 0.6826894921370859; // P(|Z| < 1)
    assertEquals(p1, within1 / (double) n, 5 * Math.sqrt(p1 * (1 - p1) / n), "P(|z| < 1)" + what);
  }

  @Test
  void uniformRangeMeanStdAndBuckets() {
    SeededRandom rng = (SeededRandom) freshRandom();
    long seed = seed(rng);
    int n = 200_000;
    float lo = -1f, hi = 3f;
    float[] x = rand(seed, rng.nextInt(1 << 20), n);
    int[] buckets = new int[10];
    double sum = 0;
    for (float v : x) {
      if (!(v >= lo && v < hi)) {
        fail(v + " outside [" + lo + ", " + hi + ") (" + rng + ")");
      }
      sum += v;
      buckets[Math.min(9, (int) ((v - lo) / (hi - lo) * 10))]++;
    }
    double mean = sum / n, sq = 0;
    for (float v : x) {
      sq += (v - mean) * (v - mean);
    }
    double sigma = (hi - lo) / Math.sqrt(12);
    String what = " (" + rng + ")";
    assertEquals((lo + hi) / 2.0, mean, 5 * sigma / Math.sqrt(n), "mean" + what);
    // variance of a uniform sample's std: sigma^2 * 0.8 / (4n) -> sd(std) = sigma sqrt(0.2/n)
    assertEquals(sigma, Math.sqrt(sq / (n - 1)), 5 * sigma * Math.sqrt(0.2 / n), "std" + what);
    for (int b = 0; b < 10; b++) {
      assertEquals(0.1, buckets[b] / (double) n, 5 * Math.sqrt(0.09 / n), "bucket " + b + what);
    }
  }

  /**
   * Regression: with lo 1, hi 2 the top raw value x = 1 - 2^-24 gives 1 + x = 2 - 2^-24, which
   * rounds (to even) up to 2 = hi. Element 9320226 of stream seed 0 is such a value (found by
   * scanning the stream once); it must stay below hi.
   */
  @Test
  void uniformNeverReturnsHi() {
    try (Scope s = Scope.open()) {
      float[] x = Tensor.rand(0, 9_320_224L, 1f, 2f, Device.CPU, 5).toFloatArray();
      for (float v : x) {
        assertTrue(v >= 1f && v < 2f, v + " outside [1, 2): " + Arrays.toString(x));
      }
      assertEquals(Math.nextDown(2f), x[2], "the largest float below hi");
      // a degenerate range still gives lo
      assertArrayEquals(new float[] {3f, 3f}, Tensor.rand(0, 9_320_226L, 3f, 3f, Device.CPU, 2).toFloatArray());
    }
  }

  // ---------------------------------------------------------------------------------------------
  // sample
  // ---------------------------------------------------------------------------------------------

  private static int[] sample(float[] logits, int rows, int v, long vocabReal, float temperature, int topK,
      float topP, long seed, long offset) {
    try (Scope s = Scope.open()) {
      Tensor out = Ops.sample(Tensor.of(logits, rows, v), vocabReal, temperature, topK, topP, seed, offset);
      assertArrayEquals(new long[] {rows}, out.shape());
      assertEquals(DType.I32, out.dtype());
      return out.toIntArray();
    }
  }

  /** Logits drawn from a few integer values, so rows have ties at the maximum. */
  private static float[] tiedLogits(Random rng, int n) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = rng.nextInt(4) - 1.5f;
    }
    return x;
  }

  /** First index of the maximum over columns [0, vocabReal) of each row. */
  private static int[] argmax(float[] x, int rows, int v, int vocabReal) {
    int[] out = new int[rows];
    for (int r = 0; r < rows; r++) {
      int best = 0;
      for (int j = 1; j < vocabReal; j++) {
        if (x[r * v + j] > x[r * v + best]) {
          best = j;
        }
      }
      out[r] = best;
    }
    return out;
  }

  @Test
  void greedyIsArgmaxWithTiesToLowestIndex() {
    SeededRandom rng = (SeededRandom) freshRandom();
    int rows = 64, v = 9;
    float[] x = tiedLogits(rng, rows * v);
    // one hand-made row: maximum 5 at columns 2 and 6
    float[] row = {0, 1, 5, -3, 2, 4, 5, 0, 1};
    System.arraycopy(row, 0, x, 0, v);
    int[] expected = argmax(x, rows, v, v);
    assertEquals(2, expected[0]);
    for (float temperature : new float[] {0f, -1f}) {
      assertArrayEquals(expected, sample(x, rows, v, v, temperature, 0, 1f, seed(rng), 0),
          "temperature " + temperature + " (" + rng + ")");
    }
    // greedy ignores top-k, top-p and the stream
    assertArrayEquals(expected, sample(x, rows, v, v, 0f, 3, 0.5f, seed(rng), 17), "(" + rng + ")");
  }

  @Test
  void paddingColumnsAreNeverChosen() {
    SeededRandom rng = (SeededRandom) freshRandom();
    int rows = 500, v = 8, vocabReal = 5;
    float[] x = new float[rows * v];
    for (int r = 0; r < rows; r++) {
      for (int j = 0; j < v; j++) {
        // padding columns carry by far the largest logits
        x[r * v + j] = j < vocabReal ? (float) rng.nextGaussian() : 50f + j;
      }
    }
    int[] greedy = sample(x, rows, v, vocabReal, 0f, 0, 1f, seed(rng), 0);
    assertArrayEquals(argmax(x, rows, v, vocabReal), greedy, "greedy (" + rng + ")");
    float[][] settings = {{1f, 0, 1f}, {3f, 0, 1f}, {1f, 3, 1f}, {1f, 0, 0.5f}, {1f, 100, 1f}};
    for (float[] st : settings) {
      int[] got = sample(x, rows, v, vocabReal, st[0], (int) st[1], st[2], seed(rng), rng.nextInt(1000));
      for (int r = 0; r < rows; r++) {
        assertTrue(got[r] >= 0 && got[r] < vocabReal, "row " + r + " chose " + got[r] + " with temperature "
            + st[0] + ", topK " + (int) st[1] + ", topP " + st[2] + " (" + rng + ")");
      }
    }
  }

  @Test
  void topKOneIsGreedy() {
    SeededRandom rng = (SeededRandom) freshRandom();
    int rows = 64, v = 7;
    float[] x = tiedLogits(rng, rows * v);
    for (int r = 0; r < rows; r += 2) { // half the rows continuous (no ties)
      for (int j = 0; j < v; j++) {
        x[r * v + j] = (float) rng.nextGaussian();
      }
    }
    for (int vocabReal : new int[] {v, 5}) {
      int[] greedy = sample(x, rows, v, vocabReal, 0f, 0, 1f, 0, 0);
      assertArrayEquals(argmax(x, rows, v, vocabReal), greedy);
      for (float temperature : new float[] {0.5f, 1f, 10f}) {
        assertArrayEquals(greedy, sample(x, rows, v, vocabReal, temperature, 1, 1f, seed(rng), rng.nextInt(100)),
            "top-k 1 at temperature " + temperature + ", vocabReal " + vocabReal + " (" + rng + ")");
      }
    }
  }

  /** Softmax of x / temperature over the first vocabReal entries, in float64. */
  private static double[] softmax(float[] x, int vocabReal, double temperature) {
    double mx = Double.NEGATIVE_INFINITY;
    for (int j = 0; j < vocabReal; j++) {
      mx = Math.max(mx, x[j] / temperature);
    }
    double[] p = new double[vocabReal];
    double sum = 0;
    for (int j = 0; j < vocabReal; j++) {
      p[j] = Math.exp(x[j] / temperature - mx);
      sum += p[j];
    }
    for (int j = 0; j < vocabReal; j++) {
      p[j] /= sum;
    }
    return p;
  }

  /** Samples `rows` copies of one logit row and checks the frequencies against p (5 sigma each). */
  private static void checkFrequencies(float[] row, int vocabReal, float temperature, int topK, float topP,
      double[] p, SeededRandom rng, String what) {
    int rows = 20_000, v = row.length;
    float[] x = new float[rows * v];
    for (int r = 0; r < rows; r++) {
      System.arraycopy(row, 0, x, r * v, v);
    }
    int[] got = sample(x, rows, v, vocabReal, temperature, topK, topP, seed(rng), rng.nextInt(1 << 20));
    int[] counts = new int[v];
    for (int t : got) {
      counts[t]++;
    }
    for (int j = 0; j < v; j++) {
      double pj = j < p.length ? p[j] : 0;
      double bound = 5 * Math.sqrt(pj * (1 - pj) / rows) + 1e-12;
      assertEquals(pj, counts[j] / (double) rows, bound, what + ": frequency of token " + j + " in "
          + Arrays.toString(counts) + " vs " + Arrays.toString(p) + " (" + rng + ")");
    }
  }

  @Test
  void frequenciesMatchSoftmax() {
    SeededRandom rng = (SeededRandom) freshRandom();
    float[] row = new float[7];
    for (int j = 0; j < 6; j++) {
      row[j] = (float) rng.nextGaussian();
    }
    row[6] = 3f; // padding (vocabReal 6)
    checkFrequencies(row, 6, 1f, 0, 1f, softmax(row, 6, 1.0), rng, "temperature 1");
    checkFrequencies(row, 6, 0.6f, 0, 1f, softmax(row, 6, 0.6), rng, "temperature 0.6");
    checkFrequencies(row, 6, 2.5f, 0, 1f, softmax(row, 6, 2.5), rng, "temperature 2.5");
  }

  /** Indices of p sorted by descending probability, ties by lower index. */
  private static Integer[] order(double[] p) {
    Integer[] ord = new Integer[p.length];
    for (int i = 0; i < p.length; i++) {
      ord[i] = i;
    }
    Arrays.sort(ord, (a, b) -> p[a] != p[b] ? Double.compare(p[b], p[a]) : Integer.compare(a, b));
    return ord;
  }

  /** p restricted to the first `keep` entries of its descending order, renormalised. */
  private static double[] restrict(double[] p, int keep) {
    Integer[] ord = order(p);
    double[] q = new double[p.length];
    double total = 0;
    for (int i = 0; i < keep; i++) {
      total += p[ord[i]];
    }
    for (int i = 0; i < keep; i++) {
      q[ord[i]] = p[ord[i]] / total;
    }
    return q;
  }

  @Test
  void topKAndTopPFrequencies() {
    SeededRandom rng = (SeededRandom) freshRandom();
    float[] row = new float[6];
    for (int j = 0; j < 6; j++) {
      row[j] = (float) (rng.nextGaussian() * 0.7);
    }
    double[] p = softmax(row, 6, 1.0);
    checkFrequencies(row, 6, 1f, 3, 1f, restrict(p, 3), rng, "top-k 3");

    // top-p half way between the cumulative probabilities of the top 2 and top 3 tokens:
    // exactly the top 3 are kept
    Integer[] ord = order(p);
    double c2 = p[ord[0]] + p[ord[1]], c3 = c2 + p[ord[2]];
    float topP = (float) ((c2 + c3) / 2);
    checkFrequencies(row, 6, 1f, 0, topP, restrict(p, 3), rng, "top-p " + topP);

    // top-p below the largest probability keeps just the top token
    checkFrequencies(row, 6, 1f, 0, (float) (p[ord[0]] / 2), restrict(p, 1), rng, "top-p tiny");

    // top-k 4 then top-p over the renormalised top 4: halfway between its 1st and 2nd cumulative
    double[] q4 = restrict(p, 4);
    double d1 = q4[ord[0]], d2 = d1 + q4[ord[1]];
    float topP4 = (float) ((d1 + d2) / 2);
    checkFrequencies(row, 6, 1f, 4, topP4, restrict(p, 2), rng, "top-k 4 + top-p " + topP4);
  }

  @Test
  void samplingIsDeterministicPerSeedAndRowsUseConsecutiveStreams() {
    SeededRandom rng = (SeededRandom) freshRandom();
    int rows = 300, v = 6;
    float[] row = {0.1f, 0.3f, -0.2f, 0.0f, 0.25f, -0.1f};
    float[] x = new float[rows * v];
    for (int r = 0; r < rows; r++) {
      System.arraycopy(row, 0, x, r * v, v);
    }
    long seed = seed(rng);
    int[] a = sample(x, rows, v, v, 1f, 0, 1f, seed, 0);
    assertArrayEquals(a, sample(x, rows, v, v, 1f, 0, 1f, seed, 0), "same seed (" + rng + ")");
    // row n draws from (seed, offset + n): with identical rows, offset 7 shifts the result by 7
    int[] shifted = sample(x, rows, v, v, 1f, 0, 1f, seed, 7);
    assertArrayEquals(Arrays.copyOfRange(a, 7, rows), Arrays.copyOfRange(shifted, 0, rows - 7),
        "offset resumption (" + rng + ")");
    assertFalse(Arrays.equals(a, sample(x, rows, v, v, 1f, 0, 1f, seed + 1, 0)), "another seed (" + rng + ")");
    // deterministic regardless of thread count
    int original = TriadNative.triad_cpu_threads();
    try {
      Status.check(TriadNative.triad_set_cpu_threads(1));
      assertArrayEquals(a, sample(x, rows, v, v, 1f, 0, 1f, seed, 0), "1 thread (" + rng + ")");
    } finally {
      Status.check(TriadNative.triad_set_cpu_threads(original));
    }
  }

  /** Rank-3 logits [B,T,V] give [B,T] tokens. */
  @Test
  void sampleKeepsLeadingShape() {
    try (Scope s = Scope.open()) {
      float[] x = {0, 9, 1, /**/ 7, 0, 0, /**/ 0, 0, 3, /**/ 1, 2, 2};
      Tensor out = Ops.sample(Tensor.of(x, 2, 2, 3), 3, 0f, 0, 1f, 0, 0);
      assertArrayEquals(new long[] {2, 2}, out.shape());
      assertArrayEquals(new int[] {1, 0, 2, 1}, out.toIntArray());
    }
  }
}
