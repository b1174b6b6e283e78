package dev.triad.train;

import dev.triad.nativ.TriadNative;
import dev.triad.profile.DeviceMemory;

import dev.triad.profile.MemoryPlan;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.triad.nn.GptConfig;
import dev.triad.nn.Precision;
import dev.triad.tensor.Device;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The memory plan on CUDA (run by bench/gpu/verify.sh's tests phase): the plan against the peak
 * of live device buffers of real bf16 steps (padded vocabulary), and the free-memory query.
 * Margin 5% until a GPU run has measured it (on the CPU the plan is exact).
 */
@Tag("gpu")
class CudaMemoryPlanTest {
  @BeforeEach
  void needsCuda() {
    assumeTrue(Device.CUDA.isAvailable(), () -> "CUDA is not available: " + Device.CUDA.unavailabilityCause());
  }

  private static MemoryPlan plan(GptConfig cfg, MemoryPlan.Phase phase, int batch, int seq) {
    return MemoryPlan.of(new MemoryPlan.Spec(cfg, true, batch, seq, Precision.BF16, phase, Device.CUDA, 1, 0));
  }

  @Test
  void pretrainAndRewardPlansMatchTheDevicePeak() {
    GptConfig a = MemoryPlanTest.A;
    MemoryPlanTest.assertWithinMargin(plan(a, MemoryPlan.Phase.PRETRAIN, 4, 64),
        MemoryPlanTest.measureLm(Device.CUDA, a, Precision.BF16, 4, 64, false), 0.05);
    MemoryPlanTest.assertWithinMargin(plan(a, MemoryPlan.Phase.REWARD, 2, 64),
        MemoryPlanTest.measureReward(Device.CUDA, a, Precision.BF16, 2, 64), 0.05);
  }

  @Test
  void freeMemoryIsPositiveAndBelowTotal() {
    long avail = DeviceMemory.available(Device.CUDA);
    assertTrue(avail > 0, "available " + avail);
    long[] free = new long[1], total = new long[1];
    assertTrue(dev.triad.nativ.TriadNative.triad_cuda_memory(free, total) == 0);
    assertTrue(free[0] > 0 && free[0] <= total[0], free[0] + " of " + total[0]);
  }
}
