package dev.triad.tensor;

import dev.triad.nativ.Status;
import dev.triad.nativ.TriadNative;

/**
 * One native buffer, shared by a tensor and its reshaped views: freed when the last of them
 * closes. Not thread-safe, like the tensors that use it.
 */
final class Storage {
  final Device device;
  final DType dtype;
  final long numel;
  private TriadNative.Buffer buffer;
  private int refs = 1;

  Storage(Device device, DType dtype, long numel) {
    this(device, dtype, numel, true);
  }

  /** zero: zero-filled; otherwise uninitialised (for memory an op overwrites completely). */
  Storage(Device device, DType dtype, long numel, boolean zero) {
    if (!device.isAvailable()) {
      throw new IllegalStateException("device " + device + " is not available: " + device.unavailabilityCause());
    }
    TriadNative.Buffer out = new TriadNative.Buffer();
    Status.check(zero ? TriadNative.triad_buffer_alloc(device.code, dtype.code, numel, out)
        : TriadNative.triad_buffer_alloc_uninit(device.code, dtype.code, numel, out));
    this.buffer = out;
    this.device = device;
    this.dtype = dtype;
    this.numel = numel;
  }

  boolean isFreed() {
    return buffer == null;
  }

  TriadNative.Buffer buffer() {
    return buffer;
  }

  void retain() {
    refs++;
  }

  void release() {
    if (buffer != null && --refs == 0) {
      TriadNative.triad_buffer_free(buffer);
      buffer.setNull();
      buffer = null;
    }
  }
}
