package dev.triad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.triad.tensor.Device;
import dev.triad.tensor.Scope;
import dev.triad.tensor.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Growing the vocabulary: every old weight is kept, new embedding rows start at their seeds' mean
 * (or at the mean of all rows), and through the tied classifier a token seeded by one id starts
 * with exactly that id's logit.
 */
class GptWithVocabularyTest {
  private static final int V = 40;
  private static final int GROWN = V + 4;

  @Test
  void newRowsStartAtTheirSeedsAndOldWeightsAreKept() {
    try (Gpt base = new Gpt(GptConfig.preset("tiny", V).withBlockSize(16), Device.CPU, 5);
        Gpt grown = Gpt.withVocabulary(base, GROWN, List.of(new int[0], new int[] {1, 2}, new int[] {7}))) {
      int C = base.config.nEmbd();
      for (Map.Entry<String, Tensor> e : base.namedParameters().entrySet()) {
        float[] old = e.getValue().toFloatArray();
        float[] now = grown.namedParameters().get(e.getKey()).toFloatArray();
        assertArrayEquals(old, Arrays.copyOf(now, old.length), e.getKey());
      }
      float[] wte = grown.namedParameters().get("wte.weight").toFloatArray();
      assertEquals(GROWN * C, wte.length);
      for (int j = 0; j < C; j++) {
        double all = 0;
        for (int r = 0; r < V; r++) {
          all += wte[r * C + j];
        }
        assertEquals(all / V, wte[V * C + j], 1e-6, "empty seed: mean of all rows, column " + j);
        assertEquals((wte[C + j] + wte[2 * C + j]) / 2.0, wte[(V + 1) * C + j], 1e-6, "seeds {1,2}, column " + j);
        assertEquals(wte[7 * C + j], wte[(V + 2) * C + j], 0f, "seed {7}, column " + j);
        assertEquals(all / V, wte[(V + 3) * C + j], 1e-6, "no seed given: mean of all rows, column " + j);
      }
      // tied classifier: the token seeded by id 7 scores exactly like id 7 at every position
      try (Scope scope = Scope.open()) {
        float[] l = grown.logits(Tensor.ofInts(new int[] {3, 9, V + 1, V + 2, 0}, 1, 5)).toFloatArray();
        for (int t = 0; t < 5; t++) {
          assertEquals(l[t * GROWN + 7], l[t * GROWN + V + 2], 1e-5, "position " + t);
        }
      }
    }
  }

  @Test
  void badArgumentsAreRejected() {
    try (Gpt base = new Gpt(GptConfig.preset("tiny", V).withBlockSize(16), Device.CPU, 5)) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Gpt.withVocabulary(base, V - 1));
      assertTrue(e.getMessage().contains("smaller"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class,
          () -> Gpt.withVocabulary(base, V + 1, List.of(new int[] {1}, new int[] {2})));
      assertTrue(e.getMessage().contains("2 seeds for 1 new tokens"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> Gpt.withVocabulary(base, V + 2, List.of(new int[] {V})));
      assertTrue(e.getMessage().contains("seed id " + V), e.getMessage());
    }
  }
}
