package dev.triad.tensor;

import dev.triad.nativ.Status;
import dev.triad.nativ.TriadNative;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.LoggerFactory;

/**
 * One native buffer, shared by a tensor and its reshaped views: freed when the last of them
 * closes. The reference count is atomic so that closing views on different threads frees exactly
 * once; an op running on another thread at that moment is safe because libtriad pins every
 * buffer for the length of a call (triad.h, triad_buffer_free) and releases the memory after it.
 *
 * <p><b>Leak safety net.</b> Each buffer is also registered with a {@link Cleaner}: if its handle
 * object becomes unreachable without the last close (a tensor never closed and outside every
 * Scope), the Cleaner's thread frees it and the first such leak of the process logs one warning
 * (SLF4J, logger dev.triad.tensor.Tensor). The Cleaner watches the {@link TriadNative.Buffer} handle object rather than the
 * tensor, because every native call holds that object (a JNI argument is a GC root) while it runs:
 * a tensor that becomes unreachable during its own last op is not freed under that op. The free
 * itself is safe on the Cleaner's thread: libtriad's free is thread-safe (atomic handle state, a
 * locked handle pool) and a CUDA buffer goes back to the caching allocator under its mutex with no
 * CUDA call (a cudaFree only under TRIAD_CUDA_NO_CACHE=1, which the runtime API allows from any
 * host thread); the block's earlier work is already queued on the one stream, ahead of any reuse.
 */
final class Storage {
  /** One daemon thread for the process. */
  private static final Cleaner CLEANER = Cleaner.create();
  /**
   * -Dtriad.leakTrace=true records where each buffer was allocated (a stack trace per allocation,
   * costly) and reports every leak with it, not only the first.
   */
  private static final boolean TRACE = Boolean.getBoolean("triad.leakTrace");
  private static final AtomicLong LEAKED = new AtomicLong();
  private static final AtomicLong FAILED = new AtomicLong(); // Cleaner frees that libtriad refused (bugs)
  private static final AtomicBoolean WARNED = new AtomicBoolean();
  /** Where the one leak warning goes (tests redirect it). */
  static volatile Consumer<String> leakWarning = LoggerFactory.getLogger(Tensor.class)::warn;

  final Device device;
  final DType dtype;
  final long numel;
  private volatile TriadNative.Buffer buffer;
  private final AtomicInteger refs = new AtomicInteger(1);
  private final Free free;
  private final Cleaner.Cleanable cleanable;

  /** zero: zero-filled; otherwise uninitialised (for memory an op overwrites completely). */
  Storage(Device device, DType dtype, long[] shape, boolean zero) {
    if (!device.isAvailable()) {
      throw new IllegalStateException("device " + device + " is not available: " + device.unavailabilityCause());
    }
    long numel = Shapes.numel(shape);
    TriadNative.Buffer out = new TriadNative.Buffer();
    Status.check(zero ? TriadNative.triad_buffer_alloc(device.code, dtype.code, numel, out)
        : TriadNative.triad_buffer_alloc_uninit(device.code, dtype.code, numel, out));
    this.buffer = out;
    this.device = device;
    this.dtype = dtype;
    this.numel = numel;
    this.free = new Free(new TriadNative.Buffer(out), device, dtype, shape, TRACE ? new Throwable() : null);
    this.cleanable = CLEANER.register(out, free);
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
      free.closed = true;
      cleanable.clean(); // frees now, on this thread, and unregisters: the Cleaner never runs it
      Reference.reachabilityFence(b); // the Cleaner's referent stays reachable until it is unregistered
      Status.check(free.status);
    }
  }

  /** Buffers freed by the Cleaner because no close freed them (since the library loaded). */
  static long leaked() {
    return LEAKED.get();
  }

  /** Frees on the Cleaner's thread that libtriad refused (a double free would count here): 0. */
  static long failedFrees() {
    return FAILED.get();
  }

  /** Whether -Dtriad.leakTrace=true is on. */
  static boolean tracing() {
    return TRACE;
  }

  /** Lets the next leak warn again (tests). */
  static void rearmLeakWarning() {
    WARNED.set(false);
  }

  /**
   * The free: run exactly once, by the last close or by the Cleaner. It holds a second handle
   * object on the same native buffer, never the Storage, its tensors or the Cleaner's referent
   * (which would keep them reachable forever).
   */
  private static final class Free implements Runnable {
    private final TriadNative.Buffer handle;
    private final Device device;
    private final DType dtype;
    private final long[] shape; // the creating tensor's (never modified)
    private final Throwable allocatedAt; // null unless -Dtriad.leakTrace=true
    volatile boolean closed; // set by release() before it runs this; false: the Cleaner runs it
    int status;

    Free(TriadNative.Buffer handle, Device device, DType dtype, long[] shape, Throwable allocatedAt) {
      this.handle = handle;
      this.device = device;
      this.dtype = dtype;
      this.shape = shape;
      this.allocatedAt = allocatedAt;
    }

    @Override
    public void run() {
      status = TriadNative.triad_buffer_free(handle);
      if (!closed) {
        if (status != 0) {
          FAILED.incrementAndGet(); // nowhere to throw on the Cleaner's thread
        }
        LEAKED.incrementAndGet();
        if (WARNED.compareAndSet(false, true) || TRACE) {
          leakWarning.accept(message());
        }
      }
    }

    private String message() {
      String tensor = dtype + Arrays.toString(shape) + " on " + device + " (" + Shapes.numel(shape) * dtype.bytes()
          + " bytes)";
      return "a tensor " + tensor + " was never closed; the garbage collector freed its native"
          + " memory. Close tensors (try-with-resources) or create them inside a Scope. " + (allocatedAt == null
              ? "Further leaks are not reported; run with -Dtriad.leakTrace=true to see where each leaked tensor"
                  + " was created."
              : "It was created at\n" + stack(allocatedAt));
    }

    private static String stack(Throwable t) {
      StringBuilder s = new StringBuilder();
      for (StackTraceElement e : t.getStackTrace()) {
        if (!e.getClassName().equals(Storage.class.getName())) {
          s.append("\tat ").append(e).append('\n');
        }
      }
      return s.toString();
    }
  }
}
