package dev.triad.internal;

import dev.triad.nativ.TriadNative;
import dev.triad.tensor.Tensor;

/**
 * What triad-core's own code may do to a tensor and an application may not: reach its native
 * buffer (the benchmarks that time the C API itself, the test suites) and set its gradient
 * (autograd). This package is not exported (module-info.java), so Tensor's public surface holds
 * neither; Tensor installs the one implementation when its class initialises, which has happened
 * by the time any tensor exists to be passed here.
 */
public final class TensorAccess {
  /** Implemented once, inside the tensor package. */
  public interface Hooks {
    TriadNative.Buffer buf(Tensor t);

    void setGrad(Tensor t, Tensor grad);
  }

  private static volatile Hooks hooks;

  private TensorAccess() {}

  /** Called once, by Tensor's static initialiser. */
  public static void install(Hooks h) {
    if (hooks != null) {
      throw new IllegalStateException("TensorAccess is installed already");
    }
    hooks = h;
  }

  /** The tensor's native handle, after checking it is open. */
  public static TriadNative.Buffer buf(Tensor t) {
    return hooks.buf(t);
  }

  /** Installs or replaces the tensor's gradient (autograd's accumulation). */
  public static void setGrad(Tensor t, Tensor grad) {
    hooks.setGrad(t, grad);
  }
}
