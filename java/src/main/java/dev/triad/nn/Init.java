package dev.triad.nn;

import dev.triad.tensor.DType;
import dev.triad.tensor.Device;
import dev.triad.tensor.Tensor;

/**
 * Seeded parameter initialisation. Every tensor draws from the counter-based stream of one seed at
 * its own offset (the running element count), so a model's initial weights depend only on the
 * seed and the architecture: the same on every device and thread count.
 */
public final class Init {
  private final long seed;
  private final Device device;
  private long offset;

  public Init(long seed, Device device) {
    this.seed = seed;
    this.device = device;
  }

  public Device device() {
    return device;
  }

  /** N(0, std^2) values of the given shape (not registered with any scope). */
  public Tensor normal(float std, long... shape) {
    Tensor t = unscoped(() -> Tensor.randn(seed, offset, 0f, std, device, shape));
    offset += t.numel();
    return t;
  }

  public Tensor zeros(long... shape) {
    return Tensor.unscoped(DType.F32, device, shape);
  }

  public Tensor ones(long... shape) {
    return unscoped(() -> Tensor.full(1f, DType.F32, device, shape));
  }

  private static Tensor unscoped(java.util.function.Supplier<Tensor> make) {
    try (dev.triad.tensor.Scope s = dev.triad.tensor.Scope.open()) {
      return s.keep(make.get());
    }
  }
}
