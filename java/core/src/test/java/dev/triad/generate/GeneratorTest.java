package dev.triad.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.triad.autograd.Autograd;
import dev.triad.internal.TensorAccess;
import dev.triad.nn.Gpt;
import dev.triad.nn.GptConfig;
import dev.triad.tensor.Device;
import dev.triad.tensor.Ops;
import dev.triad.tensor.Scope;
import dev.triad.tensor.Tensor;
import dev.triad.testing.TestUtil;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** KV-cache decoding against full recomputation, plus sampling determinism and stop tokens. */
class GeneratorTest {
  private static final GptConfig CFG = new GptConfig("test", 2, 2, 16, 23, 32);

  /** A random model with weights large enough that greedy choices are far from ties. */
  private static Gpt model(Random rng) {
    Gpt m = new Gpt(CFG, Device.CPU, rng.nextLong());
    try (Autograd.NoGrad ng = Autograd.noGrad(); Scope s = Scope.open()) {
      for (Tensor p : m.parameters()) {
        if (p.rank() == 2) {
          Tensor bigger = Ops.mulScalar(p, 20f);
          dev.triad.nativ.Status.check(dev.triad.nativ.TriadNative.triad_buffer_copy(TensorAccess.buf(p), 0, TensorAccess.buf(bigger), 0, p.numel()));
        }
      }
    }
    return m;
  }

  /** Greedy continuation by recomputing the whole sequence every step (no cache, no padding). */
  private static int[] greedyByRecompute(Gpt m, int[] prompt, int n) {
    int[] seq = prompt.clone();
    int[] out = new int[n];
    try (Autograd.NoGrad ng = Autograd.noGrad()) {
      for (int i = 0; i < n; i++) {
        try (Scope s = Scope.open()) {
          Tensor logits = m.logits(Tensor.ofInts(seq, 1, seq.length));
          float[] last = Arrays.copyOfRange(logits.toFloatArray(), (seq.length - 1) * m.paddedVocab,
              seq.length * m.paddedVocab);
          int best = 0;
          for (int v = 1; v < CFG.vocabSize(); v++) {
            if (last[v] > last[best]) {
              best = v;
            }
          }
          out[i] = best;
          seq = Arrays.copyOf(seq, seq.length + 1);
          seq[seq.length - 1] = best;
        }
      }
    }
    return out;
  }

  @Test
  void kvCacheDecodingEqualsFullRecomputationWithLeftPadding() {
    Random rng = TestUtil.freshRandom();
    try (Gpt m = model(rng)) {
      int[][] prompts = {rng.ints(7, 0, 23).toArray(), rng.ints(2, 0, 23).toArray(), rng.ints(4, 0, 23).toArray()};
      int[][] cached = Generator.generate(m, prompts, SamplingConfig.greedy(12));
      for (int b = 0; b < prompts.length; b++) {
        assertArrayEquals(greedyByRecompute(m, prompts[b], 12), cached[b], "row " + b + " " + rng);
      }
    }
  }

  @Test
  void samplingIsDeterministicForASeedAndStopsAtStopTokens() {
    Random rng = TestUtil.freshRandom();
    try (Gpt m = model(rng)) {
      int[][] prompts = {{1, 2, 3}, {4}};
      SamplingConfig cfg = new SamplingConfig(10, 1.0f, 8, 0.95f, null, 42);
      int[][] a = Generator.generate(m, prompts, cfg);
      int[][] b = Generator.generate(m, prompts, cfg);
      assertArrayEquals(a[0], b[0]);
      assertArrayEquals(a[1], b[1]);
      assertEquals(10, a[0].length);
      // stop at the first token row 0 produced: row 0 then returns nothing
      int stop = a[0][0];
      int[][] stopped = Generator.generate(m, prompts, new SamplingConfig(10, 1.0f, 8, 0.95f, new int[] {stop}, 42));
      assertEquals(0, stopped[0].length);
      for (int t : stopped[1]) {
        assertTrue(t != stop, "row 1 never returns the stop token");
      }
    }
  }

  @Test
  void badPromptsAreRejectedClearly() {
    try (Gpt m = new Gpt(CFG, Device.CPU, 1)) {
      assertTrue(assertThrows(IllegalArgumentException.class,
          () -> Generator.generate(m, new int[][] {{}}, SamplingConfig.greedy(2))).getMessage().contains("empty"));
      assertTrue(assertThrows(IllegalArgumentException.class,
          () -> Generator.generate(m, new int[][] {{99}}, SamplingConfig.greedy(2))).getMessage().contains("token 99"));
      assertTrue(assertThrows(IllegalArgumentException.class,
          () -> Generator.generate(m, new int[][] {new int[30]}, SamplingConfig.greedy(5))).getMessage().contains("context of 32"));
    }
  }
}
