package dev.triad.nn;

import dev.triad.tensor.Ops;
import dev.triad.tensor.Tensor;

/** y = x W^T + b. weight [out, in] (as PyTorch's nn.Linear), bias [out] or none. */
public final class Linear extends Module {
  public final Tensor weight;
  public final Tensor bias;

  public Linear(Init init, long in, long out, boolean withBias, float std) {
    weight = param("weight", init.normal(std, out, in));
    bias = withBias ? param("bias", init.zeros(out)) : null;
  }

  /** x [..., in] -> [..., out] */
  public Tensor forward(Tensor x) {
    return Ops.linear(x, weight, bias);
  }
}
