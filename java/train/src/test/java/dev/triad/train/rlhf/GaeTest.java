package dev.triad.train.rlhf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** GAE, per-token rewards, whitening and the KL controller against hand-computed values. */
class GaeTest {
  @Test
  void advantagesAndReturnsByHand() {
    // gamma 0.9, lambda 0.8: t=2: delta 2, A 2; t=1: delta 0 + 0.9*0 - 1 = -1, A = -1 + 0.72*2 = 0.44;
    // t=0: delta 1 + 0.9*1 - 0.5 = 1.4, A = 1.4 + 0.72*0.44 = 1.7168
    Gae.Result r = Gae.compute(new double[] {1, 0, 2}, new double[] {0.5, 1.0, 0.0}, 0.9, 0.8);
    assertArrayEquals(new double[] {1.7168, 0.44, 2.0}, r.advantages(), 1e-12);
    assertArrayEquals(new double[] {2.2168, 1.44, 2.0}, r.returns(), 1e-12);
  }

  @Test
  void gammaOneLambdaOneIsRewardToGoMinusValue() {
    Gae.Result r = Gae.compute(new double[] {1, 2, 3}, new double[] {0.5, 0.25, 4}, 1.0, 1.0);
    assertArrayEquals(new double[] {5.5, 4.75, -1}, r.advantages(), 1e-12);
    assertArrayEquals(new double[] {6, 5, 3}, r.returns(), 1e-12);
  }

  @Test
  void rewardsPenaliseKlAndAddTheScoreAtTheEnd() {
    assertArrayEquals(new double[] {-0.05, 0.1, 1.85}, Gae.rewards(new double[] {0.1, -0.2, 0.3}, 0.5, 2.0), 1e-12);
    assertArrayEquals(new double[] {3.0}, Gae.rewards(new double[] {1.0}, 0.0, 3.0), 0.0);
  }

  @Test
  void whitening() {
    double s = Math.sqrt(2.0 / 3.0 + Gae.EPS);
    assertArrayEquals(new double[] {-1 / s, 0, 1 / s}, Gae.whiten(new double[] {1, 2, 3}), 1e-12);
    double[] w = Gae.whiten(new double[] {3, -1, 7, 2, 2});
    double mean = 0, var = 0;
    for (double v : w) {
      mean += v / w.length;
    }
    for (double v : w) {
      var += (v - mean) * (v - mean) / w.length;
    }
    assertEquals(0, mean, 1e-12);
    assertEquals(1, var, 1e-6);
    assertArrayEquals(new double[] {0, 0}, Gae.whiten(new double[] {5, 5}), 1e-12); // epsilon: no division by 0
  }

  @Test
  void klControllerIsProportionalAndClipped() {
    assertEquals(0.1 * (1 + 0.2 * 100 / 1000.0), Ppo.updateBeta(0.1, 60, 6, 100, 1000), 1e-15); // error clipped to 0.2
    assertEquals(0.1 * (1 - 0.1 * 100 / 1000.0), Ppo.updateBeta(0.1, 5.4, 6, 100, 1000), 1e-12);
    assertEquals(0.1, Ppo.updateBeta(0.1, 6, 6, 100, 1000), 1e-15);
  }
}
