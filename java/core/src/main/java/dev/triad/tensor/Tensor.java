package dev.triad.tensor;

import dev.triad.autograd.Autograd;
import dev.triad.autograd.Node;
import dev.triad.internal.TensorAccess;
import dev.triad.nativ.Status;
import dev.triad.nativ.TriadNative;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A dense, row-major n-dimensional array in native memory on one device. Tensors are
 * AutoCloseable and own their memory: close them, or create them inside a {@link Scope}. A tensor
 * that is neither is freed by the garbage collector some time after it becomes unreachable, with a
 * warning for the first such leak ({@link #collectedLeaks}); that is a safety net, not a way to manage
 * memory: the collector does not see native memory and may run too late to prevent running out.
 * A tensor may also carry autograd state: whether it requires a gradient, its gradient, and the
 * node that produced it. Not thread-safe, with one exception that keeps misuse from crashing the
 * JVM: closing a tensor while another thread runs an op on it lets that op finish on valid
 * memory (libtriad pins each buffer for the length of a call) and makes later ops on it throw
 * IllegalStateException (or IllegalArgumentException from the native check, "was freed").
 */
public final class Tensor implements AutoCloseable {
  private final Storage storage;
  private final long[] shape;
  private final long numel;
  private volatile boolean closed;
  private static final java.lang.invoke.VarHandle CLOSED;

  static {
    try {
      CLOSED = java.lang.invoke.MethodHandles.lookup().findVarHandle(Tensor.class, "closed", boolean.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
    // core's other packages reach the handle and the gradient slot through dev.triad.internal
    TensorAccess.install(new TensorAccess.Hooks() {
      @Override
      public TriadNative.Buffer buf(Tensor t) {
        return t.buf();
      }

      @Override
      public void setGrad(Tensor t, Tensor grad) {
        t.setGrad(grad);
      }
    });
  }
  /** tensors saved for this one's backward that nobody else owns (e.g. layernorm statistics) */
  private List<Tensor> attachments;

  // autograd state
  private boolean requiresGrad;
  private Tensor grad;
  private Node gradFn;

  private Tensor(Storage storage, long[] shape) {
    this.storage = storage;
    this.shape = shape;
    this.numel = Shapes.numel(shape);
    Scope.adopt(this);
  }

  // ---- creation ----

  /** A zero-filled tensor. */
  public static Tensor zeros(DType dtype, Device device, long... shape) {
    long[] s = Shapes.validate(shape);
    return new Tensor(new Storage(device, dtype, s, true), s);
  }

  /**
   * An uninitialised tensor: its contents are undefined until written. For outputs that an op
   * overwrites completely (no zero fill: one device memset saved per output on CUDA).
   */
  public static Tensor empty(DType dtype, Device device, long... shape) {
    long[] s = Shapes.validate(shape);
    return new Tensor(new Storage(device, dtype, s, false), s);
  }

  /** A zero-filled f32 tensor on the CPU. */
  public static Tensor zeros(long... shape) {
    return zeros(DType.F32, Device.CPU, shape);
  }

  /** A tensor with every element equal to {@code value}. */
  public static Tensor full(float value, DType dtype, Device device, long... shape) {
    Tensor t = zeros(dtype, device, shape);
    Status.check(TriadNative.triad_fill(t.buf(), value));
    return t;
  }

  /** An f32 tensor holding {@code data} (row-major) with the given shape. */
  public static Tensor of(float[] data, long... shape) {
    return of(data, Device.CPU, shape);
  }

  public static Tensor of(float[] data, Device device, long... shape) {
    long[] s = Shapes.validate(shape);
    Shapes.requireLength(data.length, s);
    Tensor t = empty(DType.F32, device, s);  // written straight to the device (no staging tensor)
    Status.check(TriadNative.triad_buffer_write(t.buf(), 0, data, data.length));
    return t;
  }

  /** An i32 tensor holding {@code data} (row-major) with the given shape. */
  public static Tensor ofInts(int[] data, long... shape) {
    return ofInts(data, Device.CPU, shape);
  }

  public static Tensor ofInts(int[] data, Device device, long... shape) {
    long[] s = Shapes.validate(shape);
    Shapes.requireLength(data.length, s);
    Tensor t = empty(DType.I32, device, s);  // written straight to the device (no staging tensor)
    Status.check(TriadNative.triad_buffer_write(t.buf(), 0, data, data.length));
    return t;
  }

  /**
   * An i32 tensor of ids, each checked on the host to lie in [0, limit) (the CUDA kernels do not
   * read ids back to validate them): token ids, positions, document ids.
   */
  public static Tensor ofIds(int[] data, long limit, Device device, long... shape) {
    checkIds("id", data, limit, null);
    return ofInts(data, device, shape);
  }

  /** Next-token targets: each in [0, limit) or equal to ignoreIndex, checked on the host. */
  public static Tensor ofTargets(int[] data, long limit, int ignoreIndex, Device device, long... shape) {
    checkIds("target", data, limit, ignoreIndex);
    return ofInts(data, device, shape);
  }

  private static void checkIds(String what, int[] data, long limit, Integer ignore) {
    for (int i = 0; i < data.length; i++) {
      int v = data[i];
      if ((v < 0 || v >= limit) && (ignore == null || v != ignore)) {
        throw new IllegalArgumentException(what + " " + v + " at index " + i + " is out of range [0, " + limit + ")"
            + (ignore == null ? "" : " and is not the ignore index " + ignore));
      }
    }
  }

  /** A scalar (rank-0) f32 tensor. */
  public static Tensor scalar(float value) {
    return of(new float[] {value});
  }

  /** Normal(mean, std) samples from the counter-based stream (seed, offset): reproducible. */
  public static Tensor randn(long seed, long offset, float mean, float std, Device device, long... shape) {
    Tensor t = zeros(DType.F32, device, shape);
    Status.check(TriadNative.triad_rng_normal(t.buf(), t.numel, seed, offset, mean, std));
    return t;
  }

  /** Uniform [lo, hi) samples from the counter-based stream (seed, offset). */
  public static Tensor rand(long seed, long offset, float lo, float hi, Device device, long... shape) {
    Tensor t = zeros(DType.F32, device, shape);
    Status.check(TriadNative.triad_rng_uniform(t.buf(), t.numel, seed, offset, lo, hi));
    return t;
  }

  /**
   * How many native buffers the leak safety net has freed since the library loaded: buffers whose
   * tensors (and views) became unreachable without being closed. The garbage collector frees them
   * some time later on its own thread, and the first one logs a warning (SLF4J); 0 in a
   * program that closes everything.
   */
  public static long collectedLeaks() {
    return Storage.leaked();
  }

  // ---- metadata ----

  public long[] shape() {
    return shape.clone();
  }

  /** Size of dimension {@code d}; negative d counts from the end. */
  public long size(int d) {
    return shape[Shapes.axis(d, shape.length)];
  }

  public int rank() {
    return shape.length;
  }

  public long numel() {
    return numel;
  }

  public DType dtype() {
    return storage.dtype;
  }

  public Device device() {
    return storage.device;
  }

  public boolean isClosed() {
    return closed || storage.isFreed();
  }

  /** "f32[2, 3] on cpu", for messages. */
  public String describe() {
    return storage.dtype + Arrays.toString(shape) + " on " + storage.device + (isClosed() ? " (closed)" : "");
  }

  @Override
  public String toString() {
    return "Tensor(" + describe() + ")";
  }

  // ---- data transfer ----

  /** Copies the elements to a Java array (an f32 or bf16 tensor converts to float). */
  public float[] toFloatArray() {
    try (Tensor host = toHostDType(DType.F32)) {
      float[] out = new float[Math.toIntExact(numel)];
      Status.check(TriadNative.triad_buffer_read(host.buf(), 0, out, out.length));
      return out;
    }
  }

  /** Copies the elements of an i32 tensor to a Java array. */
  public int[] toIntArray() {
    if (dtype() != DType.I32) {
      throw new IllegalArgumentException("toIntArray needs an i32 tensor, got " + describe());
    }
    try (Tensor host = toHostDType(DType.I32)) {
      int[] out = new int[Math.toIntExact(numel)];
      Status.check(TriadNative.triad_buffer_read(host.buf(), 0, out, out.length));
      return out;
    }
  }

  /** The value of a one-element tensor. */
  public float item() {
    if (numel != 1) {
      throw new IllegalArgumentException("item() needs a one-element tensor, got " + describe());
    }
    return toFloatArray()[0];
  }

  /**
   * The values of several one-element floating tensors on one device, read with ONE device
   * synchronization: they are first gathered device-side into one f32 buffer (a training step
   * reads its loss and gradient norm together this way).
   */
  public static float[] items(Tensor... scalars) {
    if (scalars.length == 0) {
      return new float[0];
    }
    Device device = scalars[0].device();
    for (Tensor t : scalars) {
      t.checkOpen();
      if (t.numel != 1 || !t.dtype().isFloating() || t.device() != device) {
        throw new IllegalArgumentException("items() needs one-element floating tensors on one device, got "
            + t.describe() + " with " + scalars[0].describe());
      }
    }
    try (Tensor gathered = unscoped(DType.F32, device, scalars.length)) {
      for (int i = 0; i < scalars.length; i++) {
        if (scalars[i].dtype() == DType.F32) {
          Status.check(TriadNative.triad_buffer_copy(gathered.buf(), i, scalars[i].buf(), 0, 1));
        } else {
          try (Tensor f = unscoped(DType.F32, device, 1)) {
            Status.check(TriadNative.triad_cast(f.buf(), scalars[i].buf()));
            Status.check(TriadNative.triad_buffer_copy(gathered.buf(), i, f.buf(), 0, 1));
          }
        }
      }
      return gathered.toFloatArray();
    }
  }

  /**
   * Overwrites every element with {@code data} (row-major, converted to this tensor's floating
   * dtype): loads checkpoints into existing parameters.
   */
  public void write(float[] data) {
    checkOpen();
    if (!dtype().isFloating()) {
      throw new IllegalArgumentException("write(float[]) needs a floating-point tensor, got " + describe());
    }
    Shapes.requireLength(data.length, shape);
    try (Tensor host = Tensor.unscoped(DType.F32, Device.CPU, shape)) {
      Status.check(TriadNative.triad_buffer_write(host.buf(), 0, data, data.length));
      if (dtype() == DType.F32) {
        Status.check(TriadNative.triad_buffer_copy(buf(), 0, host.buf(), 0, numel));
      } else {
        try (Tensor cast = host.to(dtype())) {
          Status.check(TriadNative.triad_buffer_copy(buf(), 0, cast.buf(), 0, numel));
        }
      }
    }
  }

  /** A copy on {@code device} (a new tensor even when already there). Not differentiable. */
  public Tensor to(Device device) {
    Tensor out = empty(dtype(), device, shape);
    Status.check(TriadNative.triad_buffer_copy(out.buf(), 0, buf(), 0, numel));
    return out;
  }

  /** A copy converted to {@code dtype}. Not differentiable. */
  public Tensor to(DType dtype) {
    Tensor out = empty(dtype, device(), shape);
    Status.check(TriadNative.triad_cast(out.buf(), buf()));
    return out;
  }

  private Tensor toHostDType(DType want) {
    // unscoped temporaries: closed by the caller's try-with-resources
    Tensor t = detachedCopyOnCpu();
    if (t.dtype() == want) {
      return t;
    }
    try (Tensor src = t) {
      Tensor out = unscoped(DType.F32, Device.CPU, shape);
      Status.check(TriadNative.triad_cast(out.buf(), src.buf()));
      return out;
    }
  }

  private Tensor detachedCopyOnCpu() {
    Tensor out = unscopedEmpty(dtype(), Device.CPU, shape);
    try {
      // a read is where CUDA reports asynchronous errors (a bad id): do not leak the copy then
      Status.check(TriadNative.triad_buffer_copy(out.buf(), 0, buf(), 0, numel));
    } catch (RuntimeException e) {
      out.close();
      throw e;
    }
    return out;
  }

  // ---- views ----

  /** A view with another shape over the same memory; one dimension may be -1 (inferred). */
  public Tensor reshape(long... newShape) {
    long[] s = Shapes.inferReshape(shape, newShape);
    retainOpen();
    Tensor view = new Tensor(storage, s);
    if (Autograd.shouldRecord(this)) {
      Tensor self = this;
      view.setGradFn(new Node("reshape", new Tensor[] {this}, g ->
          Status.check(TriadNative.triad_binary_forward(TriadNative.TRIAD_BINARY_ADD,
              Autograd.gradOf(self).buf(), Autograd.gradOf(self).buf(), g.buf(), numel, numel))));
    }
    return view;
  }

  /** A second handle on the same memory that no scope owns; the memory lives until both close. */
  Tensor share() {
    retainOpen();
    try (Scope detached = Scope.open()) {
      return detached.keep(new Tensor(storage, shape));
    }
  }

  // ---- autograd ----

  /** Marks a leaf floating-point tensor (a parameter) as requiring a gradient. */
  public Tensor requiresGrad(boolean requires) {
    checkOpen();
    if (requires && !dtype().isFloating()) {
      throw new IllegalArgumentException("only floating-point tensors can require gradients, got " + describe());
    }
    if (gradFn != null) {
      throw new IllegalStateException("requiresGrad can only be set on leaf tensors, not on the output of " + gradFn.name());
    }
    this.requiresGrad = requires;
    return this;
  }

  public boolean requiresGrad() {
    return requiresGrad;
  }

  /** The accumulated gradient, or null before any backward reached this tensor. */
  public Tensor grad() {
    return grad;
  }

  /** Frees the gradient (the next backward starts from zero). */
  public void zeroGrad() {
    if (grad != null) {
      grad.close();
      grad = null;
    }
  }

  /** Reverse-mode differentiation from this scalar: gradients accumulate into leaves. */
  public void backward() {
    Autograd.backward(this);
  }

  /** The node that produced this tensor, or null for leaves and untracked results. */
  public Node gradFn() {
    return gradFn;
  }

  /** Used by ops: records how this tensor was produced (makes it require a gradient). */
  void setGradFn(Node node) {
    this.gradFn = node;
    this.requiresGrad = node != null || requiresGrad;
  }

  /** Used by autograd (through TensorAccess): installs or replaces the gradient tensor. */
  void setGrad(Tensor g) {
    this.grad = g;
  }

  // ---- ownership ----

  /** Ties {@code saved} (a tensor only this one's backward uses) to this tensor's lifetime. */
  public void attach(Tensor saved) {
    if (attachments == null) {
      attachments = new ArrayList<>(2);
    }
    attachments.add(saved);
  }

  /** A tensor no scope owns: for internal state such as gradients and optimizer moments. */
  public static Tensor unscoped(DType dtype, Device device, long... shape) {
    try (Scope detached = Scope.open()) {
      return detached.keep(zeros(dtype, device, shape));
    }
  }

  /** An uninitialised tensor no scope owns (saved statistics an op overwrites completely). */
  static Tensor unscopedEmpty(DType dtype, Device device, long... shape) {
    try (Scope detached = Scope.open()) {
      return detached.keep(empty(dtype, device, shape));
    }
  }

  /** Releases the memory (once the last view of it closes) and the gradient. Idempotent. */
  @Override
  public void close() {
    if (!CLOSED.compareAndSet(this, false, true)) {
      return; // closed already, possibly by another thread at this moment: release exactly once
    }
    storage.release();
    if (attachments != null) {
      attachments.forEach(Tensor::close);
      attachments = null;
    }
    if (grad != null) {
      grad.close();
      grad = null;
    }
    gradFn = null;
  }

  /** The native handle, after checking the tensor is still open. For the tensor layer only. */
  TriadNative.Buffer buf() {
    TriadNative.Buffer b = storage.buffer();
    if (b == null || closed) { // one read: a close on another thread cannot slip in between
      throw new IllegalStateException("tensor " + describe() + " is closed");
    }
    return b;
  }

  private void retainOpen() {
    checkOpen();
    if (!storage.retain()) {
      throw new IllegalStateException("tensor " + describe() + " is closed");
    }
  }

  void checkOpen() {
    if (isClosed()) {
      throw new IllegalStateException("tensor " + describe() + " is closed");
    }
  }
}
