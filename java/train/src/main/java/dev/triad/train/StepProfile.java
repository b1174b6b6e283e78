package dev.triad.train;

import dev.triad.tensor.Device;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What {@code --profile} prints at the end of a training run: the host overhead of each training
 * step (micro-batches, norm, optimizer and the one loss read; not evaluation, sampling or
 * checkpoints) as the CUDA runtime counts it (host syncs, cudaMalloc calls, kernel launches) and
 * the step time. The first steps warm the caching allocator, so the steady state is reported apart.
 * Switched on once per process by the CLI ({@link #enable()}); off, it costs nothing.
 */
public final class StepProfile {
  /** Steps counted as warm-up (allocator cache, first launches). */
  static final int WARMUP_STEPS = 2;

  private static volatile boolean enabled;

  private final Device device;
  private final List<Device.CudaCounters> perStep = new ArrayList<>();
  private final List<Double> millis = new ArrayList<>();
  private Device.CudaCounters before;

  public StepProfile(Device device) {
    this.device = device;
  }

  /** Turns profiling on for every training run of this process. */
  public static void enable() {
    enabled = true;
  }

  /** Turns it off again (tests that ran a profiled command). */
  public static void disable() {
    enabled = false;
  }

  public static boolean enabled() {
    return enabled;
  }

  public void begin() {
    before = device == Device.CUDA ? Device.cudaCounters() : null;
  }

  public void end(double stepMillis) {
    if (before != null) {
      perStep.add(Device.cudaCounters().minus(before));
    }
    millis.add(stepMillis);
  }

  /** The per-step lines and the steady-state summary. */
  public String report() {
    StringBuilder out = new StringBuilder("profile: training steps on " + device + "\n");
    for (int i = 0; i < millis.size(); i++) {
      out.append(String.format(Locale.ROOT, "  step %d%s: %.1f ms%s%n", i + 1, i < WARMUP_STEPS ? " (warm-up)" : "",
          millis.get(i), perStep.isEmpty() ? "" : ", " + perStep.get(i)));
    }
    int steady = millis.size() - WARMUP_STEPS;
    if (steady <= 0) {
      return out.append("  (too few steps for a steady state)").toString();
    }
    double ms = 0;
    long syncs = 0, mallocs = 0, launches = 0;
    for (int i = WARMUP_STEPS; i < millis.size(); i++) {
      ms += millis.get(i);
      if (!perStep.isEmpty()) {
        syncs += perStep.get(i).syncs();
        mallocs += perStep.get(i).mallocs();
        launches += perStep.get(i).launches();
      }
    }
    out.append(String.format(Locale.ROOT, "  steady state (%d steps): %.1f ms/step", steady, ms / steady));
    if (perStep.isEmpty()) {
      out.append("; host syncs, cudaMalloc calls and launches are counted on CUDA only");
    } else {
      out.append(String.format(Locale.ROOT, ", %.2f host syncs, %.2f cudaMalloc, %.1f launches per step",
          (double) syncs / steady, (double) mallocs / steady, (double) launches / steady));
    }
    return out.toString();
  }
}
