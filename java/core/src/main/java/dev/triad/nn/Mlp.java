package dev.triad.nn;

import dev.triad.tensor.Ops;
import dev.triad.tensor.Tensor;

/**
 * The GPT-2 MLP: C -> 4C, GELU (tanh approximation), 4C -> C, run as one fused op
 * ({@link Ops#mlp}: bias + GELU in the fc matmul's epilogue, the GELU backward in the backward
 * matmul's).
 */
public final class Mlp extends Module {
  public final Linear cFc;
  public final Linear cProj;

  public Mlp(Init init, GptConfig cfg, float residualStd) {
    cFc = child("c_fc", new Linear(init, cfg.nEmbd(), 4L * cfg.nEmbd(), true, 0.02f));
    cProj = child("c_proj", new Linear(init, 4L * cfg.nEmbd(), cfg.nEmbd(), true, residualStd));
  }

  /** x [B,T,C] -> [B,T,C] */
  public Tensor forward(Tensor x) {
    return Ops.mlp(x, cFc.weight, cFc.bias, cProj.weight, cProj.bias);
  }
}
