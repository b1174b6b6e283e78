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

  /** Bytes currently held by live tensors on this device (for leak checks). */
  public long liveBytes() {
    TriadNative.load();
    return TriadNative.triad_live_bytes(code);
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
