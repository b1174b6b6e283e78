package dev.triad.nn;

import dev.triad.tensor.Ops;
import dev.triad.tensor.Tensor;

/** LayerNorm over the last dimension, gain initialised to 1 and bias to 0. */
public final class LayerNorm extends Module {
  public static final float EPS = 1e-5f;
  public final Tensor weight;
  public final Tensor bias;

  public LayerNorm(Init init, long channels) {
    weight = param("weight", init.ones(channels));
    bias = param("bias", init.zeros(channels));
  }

  /** x [..., C] -> [..., C] */
  public Tensor forward(Tensor x) {
    return Ops.layerNorm(x, weight, bias, EPS);
  }
}
