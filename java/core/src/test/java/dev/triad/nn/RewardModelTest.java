package dev.triad.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.triad.tensor.Device;
import dev.triad.tensor.Scope;
import dev.triad.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The reward is read at the last real token: what follows it (padding) never changes it. */
class RewardModelTest {
  private static final GptConfig CFG = new GptConfig("t", 2, 2, 16, 40, 16);

  private static float[] rewards(RewardModel m, int[][] rows, int t, int pad, int[] last) {
    int[] flat = new int[rows.length * t];
    java.util.Arrays.fill(flat, pad);
    for (int b = 0; b < rows.length; b++) {
      System.arraycopy(rows[b], 0, flat, b * t, rows[b].length);
    }
    try (Scope s = Scope.open()) {
      return m.rewards(Tensor.ofInts(flat, rows.length, t), null, last).toFloatArray();
    }
  }

  @Test
  void namesAreBackbonePlusScoreHead() {
    try (RewardModel m = new RewardModel(CFG, Device.CPU, 3)) {
      assertTrue(m.namedParameters().containsKey("backbone.wte.weight"));
      assertTrue(m.namedParameters().containsKey("backbone.h.1.mlp.c_proj.weight"));
      assertEquals(List.of(1L, 16L), List.of(m.namedParameters().get("score.weight").shape()[0],
          m.namedParameters().get("score.weight").shape()[1]));
      assertEquals(1L, m.namedParameters().get("score.bias").numel());
      List<String> names = List.copyOf(m.namedParameters().keySet());
      assertEquals("score.bias", names.get(names.size() - 1));
    }
  }

  @Test
  void paddingAfterTheLastTokenDoesNotChangeTheReward() {
    try (RewardModel m = new RewardModel(CFG, Device.CPU, 7)) {
      int[] a = {1, 5, 9, 3, 7};
      int[] b = {1, 4, 2};
      float[] alone = rewards(m, new int[][] {a}, a.length, 0, new int[] {4});
      float[] aloneB = rewards(m, new int[][] {b}, b.length, 0, new int[] {2});
      // in a batch with right padding of two different pad tokens and two lengths
      for (int pad : new int[] {0, 39}) {
        for (int t : new int[] {5, 12}) {
          float[] both = rewards(m, new int[][] {a, b}, t, pad, new int[] {4, 2});
          assertEquals(alone[0], both[0], 1e-5f, "row 0, pad " + pad + ", T " + t);
          assertEquals(aloneB[0], both[1], 1e-5f, "row 1 (padded), pad " + pad + ", T " + t);
        }
      }
      // reading at another position does change it (the test can fail)
      float[] earlier = rewards(m, new int[][] {a}, a.length, 0, new int[] {3});
      assertNotEquals(alone[0], earlier[0]);
      // and so does changing a real token before the last one
      float[] changed = rewards(m, new int[][] {{1, 5, 8, 3, 7}}, 5, 0, new int[] {4});
      assertNotEquals(alone[0], changed[0]);
    }
  }

  @Test
  void gradientReachesTheBackboneOnlyThroughTheReadPositions() {
    try (RewardModel m = new RewardModel(CFG, Device.CPU, 11); Scope s = Scope.open()) {
      // row 0 = {1,2,3} + pad 30; the pad token 30 appears nowhere else, so its embedding row gets no gradient
      Tensor tok = Tensor.ofInts(new int[] {1, 2, 3, 30, 4, 5, 6, 7}, 2, 4);
      dev.triad.tensor.Ops.sum(m.rewards(tok, null, new int[] {2, 3})).backward();
      float[] g = m.backbone.wte.grad().toFloatArray();
      int c = CFG.nEmbd();
      double pad = 0, real = 0;
      for (int j = 0; j < c; j++) {
        pad += Math.abs(g[30 * c + j]);
        real += Math.abs(g[3 * c + j]);
      }
      assertEquals(0.0, pad, 0.0, "the padding token's embedding must get no gradient");
      assertTrue(real > 0, "the last real token's embedding must get a gradient");
      assertTrue(Math.abs(m.score.bias.grad().item() - 2f) < 1e-6, "d sum(rewards) / d bias = number of rows");
    }
  }

  @Test
  void rejectsBadIndices() {
    try (RewardModel m = new RewardModel(CFG, Device.CPU, 1); Scope s = Scope.open()) {
      Tensor tok = Tensor.ofInts(new int[] {1, 2, 3, 4}, 2, 2);
      assertThrows(IllegalArgumentException.class, () -> m.rewards(tok, null, new int[] {1}));
      assertThrows(IllegalArgumentException.class, () -> m.rewards(tok, null, new int[] {1, 2}));
      assertThrows(IllegalArgumentException.class, () -> m.rewards(tok, null, new int[] {-1, 0}));
    }
  }
}
