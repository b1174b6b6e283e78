package dev.triad.train.rlhf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Group-normalised advantages on hand-made groups. */
class GrpoAdvantagesTest {
  @Test
  void normalisesWithinEachGroup() {
    // group 1: 1, 2, 3 -> mean 2, population std sqrt(2/3); group 2: all equal -> 0
    double[] a = GrpoAdvantages.compute(new double[] {1, 2, 3, 5, 5, 5}, 3, 0.0);
    double s = Math.sqrt(2.0 / 3.0);
    assertArrayEquals(new double[] {-1 / s, 0, 1 / s, 0, 0, 0}, a, 1e-12);
  }

  @Test
  void epsAndTwoElementGroups() {
    // 0 and 2: mean 1, std 1 -> -1/(1+eps), +1/(1+eps)
    double[] a = GrpoAdvantages.compute(new double[] {0, 2, -3, -3}, 2, 0.5);
    assertArrayEquals(new double[] {-1 / 1.5, 1 / 1.5, 0, 0}, a, 1e-12);
    // each group's advantages sum to 0 and have (almost) unit population std
    double[] b = GrpoAdvantages.compute(new double[] {0.3, -1.7, 2.2, 0.9}, 4);
    double sum = 0, sq = 0;
    for (double v : b) {
      sum += v;
      sq += v * v;
    }
    assertEquals(0, sum, 1e-12);
    assertEquals(1, Math.sqrt(sq / 4), 1e-5);
  }

  @Test
  void allEqualGroupsGiveExactlyZeroEvenWithoutEps() {
    double[] a = GrpoAdvantages.compute(new double[] {0.1, 0.1, 0.1, 0.1}, 4, 0.0);
    assertArrayEquals(new double[4], a, 0.0);
    assertEquals(0.0, GrpoAdvantages.meanGroupStd(new double[] {7, 7, 1, 3}, 2) * 2 - 1, 1e-12);
  }

  @Test
  void rejectsBadShapes() {
    assertThrows(IllegalArgumentException.class, () -> GrpoAdvantages.compute(new double[] {1, 2, 3}, 2));
    assertThrows(IllegalArgumentException.class, () -> GrpoAdvantages.compute(new double[] {1, 2}, 0));
    assertThrows(IllegalArgumentException.class, () -> GrpoAdvantages.compute(new double[] {1, Double.NaN}, 2));
  }
}
