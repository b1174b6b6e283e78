package dev.triad.tensor;

import dev.triad.nativ.Status;
import dev.triad.nativ.TriadNative;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One native buffer, shared by a tensor and its reshaped views: freed when the last of them
 * closes. The reference count is atomic so that closing views on different threads frees exactly
 * once; an op running on another thread at that moment is safe because libtriad pins every
 * buffer for the length of a call (triad.h, triad_buffer_free) and releases the memory after it.
 */
final class Storage {
  final Device device;
  final DType dtype;
  final long numel;
  private volatile TriadNative.Buffer buffer;
  private final AtomicInteger refs = new AtomicInteger(1);

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

  /** One more owner; false when the storage was already freed (its last owner closed). */
  boolean retain() {
    for (int r = refs.get(); r > 0; r = refs.get()) {
      if (refs.compareAndSet(r, r + 1)) {
        return true;
      }
    }
    return false;
  }

  void release() {
    if (refs.decrementAndGet() == 0) {
      TriadNative.Buffer b = buffer;
      buffer = null;
      // the native free pins nothing of Java's: the handle object is kept (not setNull) so a
      // racing call on another thread passes the freed handle and gets "was freed", not NULL
      Status.check(TriadNative.triad_buffer_free(b));
    }
  }
}
