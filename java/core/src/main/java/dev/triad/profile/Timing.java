package dev.triad.profile;

import dev.triad.tensor.Device;
import java.util.Arrays;

/**
 * Median wall time of a call after warm-up. On CUDA the device is synchronized before the first
 * sample and after each sample, so a sample covers the device work of its calls (kernels run
 * asynchronously); a sample repeats the call enough times to last about a millisecond, so the
 * synchronization's own cost (~10 us) stays small. On the CPU every op is synchronous.
 */
public final class Timing {
  private Timing() {}

  /** Per-call times of one measurement, in milliseconds, sorted. */
  public record Samples(double[] ms, int callsPerSample) {
    public double median() {
      int n = ms.length;
      return n % 2 == 1 ? ms[n / 2] : 0.5 * (ms[n / 2 - 1] + ms[n / 2]);
    }

    public double min() {
      return ms[0];
    }
  }

  /**
   * Runs {@code call} {@code warmup} times, then takes {@code samples} samples, each of
   * callsPerSample calls (chosen from the warm-up so a sample lasts >= minSampleMs, at most 1000).
   */
  public static Samples measure(Device device, Runnable call, int warmup, int samples, double minSampleMs) {
    if (samples < 1) {
      throw new IllegalArgumentException("samples must be >= 1, got " + samples);
    }
    device.synchronize();
    long w0 = System.nanoTime();
    for (int i = 0; i < Math.max(1, warmup); i++) {
      call.run();
    }
    device.synchronize();
    double warmMs = (System.nanoTime() - w0) / 1e6 / Math.max(1, warmup);
    int inner = warmMs >= minSampleMs ? 1 : (int) Math.min(1000, Math.ceil(minSampleMs / Math.max(warmMs, 1e-3)));
    double[] ms = new double[samples];
    for (int s = 0; s < samples; s++) {
      long t0 = System.nanoTime();
      for (int i = 0; i < inner; i++) {
        call.run();
      }
      device.synchronize();
      ms[s] = (System.nanoTime() - t0) / 1e6 / inner;
    }
    Arrays.sort(ms);
    return new Samples(ms, inner);
  }
}
