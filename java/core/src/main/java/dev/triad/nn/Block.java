package dev.triad.nn;

import dev.triad.tensor.Ops;
import dev.triad.tensor.Tensor;

/** A pre-LN transformer block: x + attn(ln_1(x)), then x + mlp(ln_2(x)). */
public final class Block extends Module {
  public final LayerNorm ln1;
  public final CausalSelfAttention attn;
  public final LayerNorm ln2;
  public final Mlp mlp;

  public Block(Init init, GptConfig cfg) {
    // GPT-2: residual projections scaled by 1/sqrt(2 * nLayer) so the residual stream's variance
    // does not grow with depth
    float residualStd = (float) (0.02 / Math.sqrt(2.0 * cfg.nLayer()));
    ln1 = child("ln_1", new LayerNorm(init, cfg.nEmbd()));
    attn = child("attn", new CausalSelfAttention(init, cfg, residualStd));
    ln2 = child("ln_2", new LayerNorm(init, cfg.nEmbd()));
    mlp = child("mlp", new Mlp(init, cfg, residualStd));
  }

  /** x [B,T,C]; docIds i32 [B,T] or null. */
  public Tensor forward(Tensor x, Tensor docIds) {
    x = Ops.residual(x, attn.forward(ln1.forward(x), docIds));
    return Ops.residual(x, mlp.forward(ln2.forward(x)));
  }

  public Tensor forwardCached(Tensor x, KvCache.Layer cache, Tensor start, long past) {
    x = Ops.residual(x, attn.forwardCached(ln1.forward(x), cache, start, past));
    return Ops.residual(x, mlp.forward(ln2.forward(x)));
  }
}
