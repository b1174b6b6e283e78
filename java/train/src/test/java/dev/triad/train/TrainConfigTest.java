package dev.triad.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.triad.train.TrainConfig.Schedule;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The learning-rate schedules against values computed by hand, and the config's validation.
 * Peak lr 2, min-lr ratio 0.25 (minLr 0.5) so the expected values are easy to check.
 */
class TrainConfigTest {
  private static final double TOL = 1e-6;

  private static TrainConfig cfg(int steps, int warmup, Schedule schedule, float decayFraction) {
    return TrainConfig.builder().steps(steps).lr(2f).minLrRatio(0.25f).warmupSteps(warmup).schedule(schedule)
        .decayFraction(decayFraction).build();
  }

  @Test
  void cosineWarmsUpLinearlyThenDecaysToMinLrAtTheLastStep() {
    // 11 steps, warmup 2: steps 0, 1 ramp to the peak; steps 2..10 follow a half cosine over 8
    // intervals, so step 2 + k is at 0.5 + 0.75 * (1 + cos(pi * k / 8))
    TrainConfig c = cfg(11, 2, Schedule.COSINE, 0);
    double[] expected = {
        1.0, 2.0, // warmup: 2 * (step + 1) / 2
        2.0, // peak
        0.5 + 0.75 * (1 + Math.cos(Math.PI / 8)),
        0.5 + 0.75 * (1 + Math.sqrt(0.5)), // 1.7803301
        0.5 + 0.75 * (1 + Math.cos(3 * Math.PI / 8)),
        1.25, // half way
        0.5 + 0.75 * (1 + Math.cos(5 * Math.PI / 8)),
        0.5 + 0.75 * (1 - Math.sqrt(0.5)), // 0.7196699
        0.5 + 0.75 * (1 + Math.cos(7 * Math.PI / 8)),
        0.5, // the last step trains at minLr
    };
    for (int step = 0; step < expected.length; step++) {
      assertEquals(expected[step], c.lrAt(step), TOL, "cosine lr at step " + step);
    }
    assertEquals(0.5, c.lrAt(11), TOL, "past the end the lr stays at minLr");
    assertEquals(0.5, c.lrAt(1000), TOL, "past the end the lr stays at minLr");
  }

  @Test
  void cosineWithoutWarmupStartsAtThePeak() {
    TrainConfig c = cfg(5, 0, Schedule.COSINE, 0);
    assertEquals(2.0, c.lrAt(0), TOL, "step 0");
    assertEquals(1.25, c.lrAt(2), TOL, "step 2 of 0..4 is half way");
    assertEquals(0.5, c.lrAt(4), TOL, "last step");
  }

  @Test
  void cosineIsIncreasingDuringWarmupAndNonIncreasingAfter() {
    TrainConfig c = cfg(300, 30, Schedule.COSINE, 0);
    for (int s = 1; s < 30; s++) {
      assertTrue(c.lrAt(s) > c.lrAt(s - 1), "warmup must increase: step " + s + " " + c.lrAt(s) + " <= " + c.lrAt(s - 1));
    }
    assertEquals(2.0, c.lrAt(29), TOL, "warmup ends at the peak");
    for (int s = 30; s < 300; s++) {
      assertTrue(c.lrAt(s) <= c.lrAt(s - 1), "decay must not increase: step " + s + " " + c.lrAt(s) + " > " + c.lrAt(s - 1));
      assertTrue(c.lrAt(s) >= 0.5 - TOL, "never below minLr: step " + s + " " + c.lrAt(s));
    }
    assertEquals(0.5, c.lrAt(299), TOL, "last step at minLr");
  }

  @Test
  void wsdHoldsThePeakThenDecaysLinearlyOverTheLastFraction() {
    // 10 steps, warmup 2, decay fraction 0.3: steps 7, 8, 9 decay linearly from 2 to 0.5
    TrainConfig c = cfg(10, 2, Schedule.WSD, 0.3f);
    double[] expected = {1.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 1.5, 1.0, 0.5};
    for (int step = 0; step < expected.length; step++) {
      assertEquals(expected[step], c.lrAt(step), TOL, "wsd lr at step " + step);
    }
    assertEquals(0.5, c.lrAt(50), TOL, "past the end the lr stays at minLr");
  }

  @Test
  void wsdWithoutDecayStaysAtThePeak() {
    TrainConfig c = cfg(10, 0, Schedule.WSD, 0f);
    for (int step = 0; step < 10; step++) {
      assertEquals(2.0, c.lrAt(step), TOL, "wsd without decay at step " + step);
    }
  }

  @Test
  void minLrRatioOneIsAConstantSchedule() {
    TrainConfig c = TrainConfig.builder().steps(20).lr(3e-4f).minLrRatio(1f).warmupSteps(0).build();
    for (int step = 0; step < 20; step++) {
      assertEquals(3e-4f, c.lrAt(step), 1e-10, "step " + step);
    }
  }

  private static void assertRejected(Supplier<TrainConfig.Builder> make, String fragment) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> make.get().build(),
        "expected rejection mentioning '" + fragment + "'");
    assertTrue(e.getMessage().contains(fragment), "message lacks '" + fragment + "': " + e.getMessage());
  }

  @Test
  void invalidSettingsAreRejectedWithAMessageNamingThem() {
    assertRejected(() -> TrainConfig.builder().steps(0), "steps must be >= 1, got 0");
    assertRejected(() -> TrainConfig.builder().gradAccum(0), "gradAccum must be >= 1, got 0");
    assertRejected(() -> TrainConfig.builder().lr(0f), "lr must be a finite number > 0, got 0.0");
    assertRejected(() -> TrainConfig.builder().lr(Float.NaN), "lr must be a finite number > 0, got NaN");
    assertRejected(() -> TrainConfig.builder().lr(Float.POSITIVE_INFINITY), "lr must be a finite number > 0");
    assertRejected(() -> TrainConfig.builder().minLrRatio(1.5f), "minLrRatio must be in [0, 1], got 1.5");
    assertRejected(() -> TrainConfig.builder().minLrRatio(-0.1f), "minLrRatio must be in [0, 1], got -0.1");
    assertRejected(() -> TrainConfig.builder().warmupSteps(-1), "warmupSteps must be >= 0, got -1");
    assertRejected(() -> TrainConfig.builder().schedule(null), "schedule must be given");
    assertRejected(() -> TrainConfig.builder().schedule(Schedule.WSD).decayFraction(1.2f),
        "decayFraction must be in [0, 1], got 1.2");
    assertRejected(() -> TrainConfig.builder()
        .weightDecay(-0.1f), "weightDecay must be a finite number >= 0, got -0.1");
    assertRejected(() -> TrainConfig.builder().beta1(1f), "beta1 must be in [0, 1), got 1.0");
    assertRejected(() -> TrainConfig.builder().beta2(-0.5f), "beta2 must be in [0, 1), got -0.5");
    assertRejected(() -> TrainConfig.builder().gradClip(-1f), "gradClip must be a finite number >= 0");
    assertRejected(() -> TrainConfig.builder().evalEvery(-1), "evalEvery must be >= 0");
    assertRejected(() -> TrainConfig.builder().sampleEvery(-2), "sampleEvery must be >= 0");
    assertRejected(() -> TrainConfig.builder().checkpointEvery(-3), "checkpointEvery must be >= 0");
    assertRejected(() -> TrainConfig.builder().keepCheckpoints(0), "keepCheckpoints must be >= 1, got 0");
    assertRejected(() -> TrainConfig.builder().eps(0f), "eps must be a finite number > 0, got 0.0");
    assertRejected(() -> TrainConfig.builder().dataOrder(null), "dataOrder must be given");
  }
}
