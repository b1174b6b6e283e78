package dev.triad;

import dev.triad.nativ.Status;
import dev.triad.nativ.TriadNative;

/** Library-wide facts and settings. */
public final class Triad {
  private Triad() {}

  /** Version of the native core (and of this API, which is released with it). */
  public static String version() {
    TriadNative.load();
    return TriadNative.triad_version();
  }

  /** Threads the CPU backend uses. */
  public static int cpuThreads() {
    TriadNative.load();
    return TriadNative.triad_cpu_threads();
  }

  /** Sets the CPU backend's thread count (OpenMP and OpenBLAS). */
  public static void setCpuThreads(int threads) {
    TriadNative.load();
    Status.check(TriadNative.triad_set_cpu_threads(threads));
  }

  /** The BLAS library behind CPU matmul. */
  public static String blasInfo() {
    TriadNative.load();
    return TriadNative.triad_blas_info();
  }
}
