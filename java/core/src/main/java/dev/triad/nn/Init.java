package dev.triad.nn;

import dev.triad.tensor.DType;
import dev.triad.tensor.Device;
import dev.triad.tensor.Tensor;

/**
 * Seeded parameter initialisation. Every tensor draws from the counter-based stream of one seed at
 * its own offset (the running element count), so a model's initial weights depend only on the
 * seed and the architecture: the same on every device and thread count. Values are drawn in f32
 * and then rounded (to nearest even) into the precision's dtype, so a bf16 model starts at exactly
 * the rounded weights of the f32 model of the same seed.
 */
public final class Init {
  private final long seed;
  private final Device device;
  private final DType dtype;
  private long offset;

  /** An f32 initialiser. */
  public Init(long seed, Device device) {
    this(seed, device, Precision.F32);
  }

  public Init(long seed, Device device, Precision precision) {
    this.seed = seed;
    this.device = device;
    this.dtype = precision.dtype();
  }

  public Device device() {
    return device;
  }

  public DType dtype() {
    return dtype;
  }

  /** N(0, std^2) values of the given shape (not registered with any scope). */
  public Tensor normal(float std, long... shape) {
    Tensor t = inDType(unscoped(() -> Tensor.randn(seed, offset, 0f, std, device, shape)));
    offset += t.numel();
    return t;
  }

  public Tensor zeros(long... shape) {
    return Tensor.unscoped(dtype, device, shape);
  }

  public Tensor ones(long... shape) {
    return inDType(unscoped(() -> Tensor.full(1f, DType.F32, device, shape)));
  }

  /** The f32 draw rounded into this initialiser's dtype (the f32 tensor itself when f32). */
  private Tensor inDType(Tensor f32) {
    if (dtype == DType.F32) {
      return f32;
    }
    try (Tensor src = f32) {
      return unscoped(() -> src.to(dtype));
    }
  }

  private static Tensor unscoped(java.util.function.Supplier<Tensor> make) {
    try (dev.triad.tensor.Scope s = dev.triad.tensor.Scope.open()) {
      return s.keep(make.get());
    }
  }
}
