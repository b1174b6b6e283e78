package dev.triad.nn;

import dev.triad.tensor.Ops;
import dev.triad.tensor.Tensor;

/**
 * A linear map from a hidden state to one number: {@code y = x w^T + b}, weight [1, C], bias [1]
 * (the layout of a {@link Linear} with one output, under the names "weight" and "bias"). The
 * weight starts N(0, std^2) from the given {@link Init} (std 0 gives zeros); the bias at 0.
 */
public final class ScalarHead extends Module {
  public final Tensor weight;
  public final Tensor bias;

  public ScalarHead(Init init, long nEmbd, float std) {
    weight = param("weight", std > 0 ? init.normal(std, 1, nEmbd) : init.zeros(1, nEmbd));
    bias = param("bias", init.zeros(1));
  }

  /** x [..., C] -> [..., 1]. */
  public Tensor forward(Tensor x) {
    return Ops.linear(x, weight, bias);
  }
}
