package dev.triad.nn;

import dev.triad.tensor.Ops;
import dev.triad.tensor.Tensor;

/** Multi-head causal self-attention: one C -> 3C projection, fused attention, C -> C projection. */
public final class CausalSelfAttention extends Module {
  private final int nHead;
  public final Linear cAttn;
  public final Linear cProj;

  public CausalSelfAttention(Init init, GptConfig cfg, float residualStd) {
    this.nHead = cfg.nHead();
    cAttn = child("c_attn", new Linear(init, cfg.nEmbd(), 3L * cfg.nEmbd(), true, 0.02f));
    cProj = child("c_proj", new Linear(init, cfg.nEmbd(), cfg.nEmbd(), true, residualStd));
  }

  /** x [B,T,C]; docIds i32 [B,T] or null (packed documents never attend across). Returns [B,T,C]. */
  public Tensor forward(Tensor x, Tensor docIds) {
    return cProj.forward(Ops.attention(cAttn.forward(x), nHead, docIds));
  }

  /** Generation: x [B,Tn,C] for new tokens at cache positions [past, past+Tn). */
  public Tensor forwardCached(Tensor x, KvCache.Layer cache, Tensor start, long past) {
    return cProj.forward(Ops.attentionDecode(cAttn.forward(x), cache.k(), cache.v(), start, nHead, past));
  }
}
