package dev.triad.optim;

import dev.triad.tensor.DType;
import dev.triad.tensor.InPlace;
import dev.triad.tensor.MultiTensor;
import dev.triad.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/** Global gradient norm and clipping over a set of parameters. */
public final class GradClip {
  private GradClip() {}

  /** sqrt of the sum of squares of every gradient (parameters without one count as zero). */
  public static double globalNorm(List<Tensor> params) {
    if (params.isEmpty()) {
      return 0;
    }
    try (Tensor acc = squaredNorm(params)) {
      return Math.sqrt(acc.item());
    }
  }

  /**
   * The squared global norm as an f32 [1] tensor on the parameters' device, not read back (no
   * sync): AdamW can clip with it on the device (triad_adamw_step_multi's norm_sq), and a
   * training loop reads it only when it logs. Unscoped: the caller closes it.
   */
  public static Tensor squaredNorm(List<Tensor> params) {
    Tensor acc = Tensor.unscoped(DType.F32, params.isEmpty() ? dev.triad.tensor.Device.CPU : params.get(0).device(), 1);
    List<Tensor> grads = new ArrayList<>(params.size());
    for (Tensor p : params) {
      if (p.grad() != null) {
        grads.add(p.grad());
      }
    }
    if (!grads.isEmpty()) {
      MultiTensor.sumSquares(acc, grads);  // all gradients in two launches, as per-tensor calls would sum
    }
    return acc;
  }

  /**
   * The factor that brings the global norm down to {@code maxNorm} (1 when already below): pass it
   * to {@link AdamW#step(float)}, which folds it into the fused update.
   */
  public static float clipFactor(double norm, double maxNorm) {
    if (!(maxNorm > 0)) {
      throw new IllegalArgumentException("maxNorm must be > 0, got " + maxNorm);
    }
    return norm > maxNorm ? (float) (maxNorm / (norm + 1e-6)) : 1.0f;
  }

  /** Scales every gradient in place so the global norm is at most maxNorm; returns the norm before. */
  public static double clip(List<Tensor> params, double maxNorm) {
    double norm = globalNorm(params);
    float factor = clipFactor(norm, maxNorm);
    if (factor < 1f) {
      for (Tensor p : params) {
        if (p.grad() != null) {
          InPlace.affine(p.grad(), factor, 0f);
        }
      }
    }
    return norm;
  }
}
