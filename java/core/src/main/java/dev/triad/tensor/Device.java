package dev.triad.tensor;

import dev.triad.nativ.TriadNative;

/** Where a tensor's memory lives and its ops run. */
public enum Device {
  CPU(TriadNative.TRIAD_DEVICE_CPU),
  CUDA(TriadNative.TRIAD_DEVICE_CUDA);

  final int code;

  Device(int code) {
    this.code = code;
  }

  public static Device cpu() {
    return CPU;
  }

  public static Device cuda() {
    return CUDA;
  }

  /** CUDA when it is available, else CPU. */
  public static Device best() {
    return CUDA.isAvailable() ? CUDA : CPU;
  }

  /** Parses "cpu", "cuda" or "auto" (= {@link #best()}). */
  public static Device parse(String name) {
    switch (name.toLowerCase(java.util.Locale.ROOT)) {
      case "cpu": return CPU;
      case "cuda": return CUDA;
      case "auto": return best();
      default: throw new IllegalArgumentException("unknown device '" + name + "' (expected cpu, cuda or auto)");
    }
  }

  public boolean isAvailable() {
    TriadNative.load();
    return this == CPU || TriadNative.triad_cuda_available() == 1;
  }

  /** Why this device cannot be used, or "" when it can. */
  public String unavailabilityCause() {
    if (isAvailable()) {
      return "";
    }
    return TriadNative.triad_cuda_unavailable_reason();
  }

  /**
   * Waits for every op queued on this device (a no-op on the CPU, whose ops are synchronous) and
   * throws the first asynchronous device error, if any: CUDA kernels run asynchronously, so a
   * fault surfaces at the next synchronizing call (a read, or this).
   */
  public void synchronize() {
    if (this == CUDA) {
      TriadNative.load();
      dev.triad.nativ.Status.check(TriadNative.triad_cuda_synchronize());
    }
  }

  /** Device bytes held by the CUDA caching allocator (live tensors plus cached blocks); 0 on CPU. */
  public long reservedBytes() {
    TriadNative.load();
    return this == CUDA ? TriadNative.triad_cuda_reserved_bytes() : 0;
  }

  /**
   * Host-overhead counters of the CUDA runtime since the library loaded: host synchronizations,
   * cudaMalloc calls and device work items queued (kernel launches, memsets, copies). Subtract
   * two reads to profile a step. All zero without CUDA.
   */
  public static CudaCounters cudaCounters() {
    TriadNative.load();
    long[] out = new long[3];
    int status = TriadNative.triad_cuda_counters(out);
    if (status != TriadNative.TRIAD_OK && status != TriadNative.TRIAD_ERR_UNSUPPORTED) {
      dev.triad.nativ.Status.check(status);
    }
    return new CudaCounters(out[0], out[1], out[2]);
  }

  /** See {@link #cudaCounters()}. */
  public record CudaCounters(long syncs, long mallocs, long launches) {
    /** this - earlier, counter by counter. */
    public CudaCounters minus(CudaCounters earlier) {
      return new CudaCounters(syncs - earlier.syncs, mallocs - earlier.mallocs, launches - earlier.launches);
    }

    @Override
    public String toString() {
      return syncs + " syncs, " + mallocs + " cudaMalloc, " + launches + " launches";
    }
  }

  /** Bytes currently held by live tensors on this device (for leak checks). */
  public long liveBytes() {
    TriadNative.load();
    return TriadNative.triad_live_bytes(code);
  }

  /**
   * Highest {@link #liveBytes()} since the library loaded or the last {@link #resetPeak()}: native
   * buffers only (not the CPU's transient bf16 staging copies, nor CUDA's cached blocks).
   */
  public long peakLiveBytes() {
    TriadNative.load();
    return TriadNative.triad_peak_live_bytes(code);
  }

  /** Restarts {@link #peakLiveBytes()} from the bytes live now. */
  public void resetPeak() {
    TriadNative.load();
    TriadNative.triad_reset_peak_live_bytes(code);
  }

  /** Number of live native buffers on this device. */
  public long liveBuffers() {
    TriadNative.load();
    return TriadNative.triad_live_buffers(code);
  }

  @Override
  public String toString() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
