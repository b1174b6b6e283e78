// The op boundary: each extern "C" op checks its arguments (sizes, dtypes, one device, no
// forbidden aliasing) and dispatches to the backend of its buffers' device. Kernels themselves
// live in src/cpu (and src/cuda); their semantics are documented in include/triad.h.
#include "api/api.h"
#include "api/bf16_staging.h"
#include "cpu/cpu_ops.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

using namespace triad;

namespace {

void check_code(int op, int limit, const char* what) {
  if (op < 0 || op >= limit) fail(TRIAD_ERR_INVALID, std::string("unknown ") + what + " code " + std::to_string(op));
}

}  // namespace

extern "C" {

// ---- linear ----

int triad_matmul(triad_buffer* out, const triad_buffer* a, const triad_buffer* b,
                 const triad_buffer* bias, int64_t batch, int64_t M, int64_t N, int64_t K,
                 int trans_a, int trans_b, int accumulate) {
  return guard("matmul", [&] {
    Args args;
    args.dim(batch, "batch").dim(M, "M").dim(N, "N").dim(K, "K")
        .f(out, "out", count({batch, M, N})).f(a, "a", count({batch, M, K}))
        .f(b, "b", count({batch, K, N})).f_opt(bias, "bias", N)
        .distinct(out, "out", a, "a").distinct(out, "out", b, "b");
    Bf16Staging st(args);
    TRIAD_DISPATCH(args, matmul, st.out(out, count({batch, M, N})), st.in(a, count({batch, M, K})),
                   st.in(b, count({batch, K, N})), st.in(bias, N), batch, M, N, K,
                   trans_a != 0, trans_b != 0, accumulate != 0);
    st.commit();
  });
}

int triad_matmul_epilogue(triad_buffer* out, triad_buffer* pre, const triad_buffer* a,
                          const triad_buffer* b, const triad_buffer* bias, int64_t batch,
                          int64_t M, int64_t N, int64_t K, int trans_a, int trans_b,
                          int accumulate, int epilogue) {
  return guard("matmul_epilogue", [&] {
    check_code(epilogue, 3, "epilogue");
    Args args;
    const int64_t mn = count({batch, M, N});
    args.dim(batch, "batch").dim(M, "M").dim(N, "N").dim(K, "K")
        .f(out, "out", mn).f(a, "a", count({batch, M, K}))
        .f(b, "b", count({batch, K, N})).f_opt(bias, "bias", N)
        .distinct(out, "out", a, "a").distinct(out, "out", b, "b");
    if (epilogue == TRIAD_EPILOGUE_GELU_BACKWARD) args.f(pre, "pre", mn); else args.f_opt(pre, "pre", mn);
    if (epilogue != TRIAD_EPILOGUE_NONE) {
      args.distinct(out, "out", pre, "pre").distinct(pre, "pre", a, "a").distinct(pre, "pre", b, "b");
    }
#ifdef TRIAD_WITH_CUDA
    if (args.device() == TRIAD_DEVICE_CUDA) {
      cuda::OpScope scope("matmul_epilogue");
      cuda::matmul_epilogue(args.dtype(), F(out), F(pre), F(a), F(b), F(bias), batch, M, N, K,
                            trans_a != 0, trans_b != 0, accumulate != 0, epilogue);
      scope.finish();
      return;
    }
#endif
    // CPU: the unfused composition of the reference kernels, on f32 (staged when bf16)
    Bf16Staging st(args);
    float* o = st.out(out, mn);
    const float* pa = st.in(a, count({batch, M, K}));
    const float* pb = st.in(b, count({batch, K, N}));
    const float* pbias = st.in(bias, N);
    if (epilogue == TRIAD_EPILOGUE_NONE) {
      cpu::matmul(o, pa, pb, pbias, batch, M, N, K, trans_a != 0, trans_b != 0, accumulate != 0);
      st.commit();
      return;
    }
    std::vector<float> tmp(static_cast<size_t>(mn));
    cpu::matmul(tmp.data(), pa, pb, pbias, batch, M, N, K, trans_a != 0, trans_b != 0, false);
    if (epilogue == TRIAD_EPILOGUE_GELU) {
      if (pre) std::copy(tmp.begin(), tmp.end(), st.out(pre, mn));
      if (!accumulate) {
        cpu::gelu_forward(o, tmp.data(), mn);
      } else {
        std::vector<float> act(tmp.size());
        cpu::gelu_forward(act.data(), tmp.data(), mn);
        for (int64_t i = 0; i < mn; ++i) o[i] += act[i];
      }
    } else {
      if (!accumulate) std::fill(o, o + mn, 0.0f);
      cpu::gelu_backward(o, tmp.data(), st.in(pre, mn), mn);  // out += tmp * gelu'(pre)
    }
    st.commit();
  });
}

int triad_bias_backward(triad_buffer* dbias, const triad_buffer* dout, int64_t M, int64_t N) {
  return guard("bias_backward", [&] {
    Args args;
    args.dim(M, "M").dim(N, "N").f(dbias, "dbias", N).f(dout, "dout", count({M, N}));
    Bf16Staging st(args);
    TRIAD_DISPATCH(args, bias_backward, st.out(dbias, N), st.in(dout, count({M, N})), M, N);
    st.commit();
  });
}

// ---- embedding ----

int triad_embedding_forward(triad_buffer* out, const triad_buffer* tokens,
                            const triad_buffer* positions, const triad_buffer* wte,
                            const triad_buffer* wpe, int64_t B, int64_t T, int64_t C, int64_t V,
                            int64_t P) {
  return guard("embedding_forward", [&] {
    Args args;
    args.dim(B, "B").dim(T, "T").dim(C, "C").dim(V, "V").dim(P, "P")
        .f(out, "out", count({B, T, C})).i(tokens, "tokens", count({B, T}))
        .i_opt(positions, "positions", count({B, T})).f(wte, "wte", count({V, C}))
        .f_opt(wpe, "wpe", count({P, C}));
    if (wpe && !positions && T > P) {
      fail(TRIAD_ERR_INVALID, "T=" + std::to_string(T) + " exceeds the " + std::to_string(P) + " learned positions");
    }
    Bf16Staging st(args);
    TRIAD_DISPATCH(args, embedding_forward, st.out(out, count({B, T, C})), I(tokens), I(positions),
                   st.in(wte, count({V, C})), st.in(wpe, count({P, C})), B, T, C, V, P);
    st.commit();
  });
}

int triad_embedding_backward(triad_buffer* dwte, triad_buffer* dwpe, const triad_buffer* dout,
                             const triad_buffer* tokens, const triad_buffer* positions,
                             int64_t B, int64_t T, int64_t C, int64_t V, int64_t P) {
  return guard("embedding_backward", [&] {
    Args args;
    args.dim(B, "B").dim(T, "T").dim(C, "C").dim(V, "V").dim(P, "P")
        .f_opt(dwte, "dwte", count({V, C})).f_opt(dwpe, "dwpe", count({P, C}))
        .f(dout, "dout", count({B, T, C})).i(tokens, "tokens", count({B, T}))
        .i_opt(positions, "positions", count({B, T}));
    if (dwpe && !positions && T > P) {
      fail(TRIAD_ERR_INVALID, "T=" + std::to_string(T) + " exceeds the " + std::to_string(P) + " learned positions");
    }
    Bf16Staging st(args);
    TRIAD_DISPATCH(args, embedding_backward, st.out(dwte, count({V, C})), st.out(dwpe, count({P, C})),
                   st.in(dout, count({B, T, C})), I(tokens), I(positions), B, T, C, V, P);
    st.commit();
  });
}

// ---- layernorm ----

int triad_layernorm_forward(triad_buffer* out, triad_buffer* mean, triad_buffer* rstd,
                            const triad_buffer* x, const triad_buffer* weight,
                            const triad_buffer* bias, int64_t N, int64_t C, float eps) {
  return guard("layernorm_forward", [&] {
    Args args;
    args.dim(N, "N").dim(C, "C").f(out, "out", count({N, C})).s(mean, "mean", N)
        .s(rstd, "rstd", N).f(x, "x", count({N, C})).f(weight, "weight", C).f(bias, "bias", C)
        .distinct(out, "out", x, "x");
    if (!(eps > 0.0f)) fail(TRIAD_ERR_INVALID, "eps must be > 0");
    Bf16Staging st(args);
    TRIAD_DISPATCH(args, layernorm_forward, st.out(out, count({N, C})), F(mean), F(rstd),
                   st.in(x, count({N, C})), st.in(weight, C), st.in(bias, C), N, C, eps);
    st.commit();
  });
}

int triad_layernorm_backward(triad_buffer* dx, triad_buffer* dweight, triad_buffer* dbias,
                             const triad_buffer* dout, const triad_buffer* x,
                             const triad_buffer* weight, const triad_buffer* mean,
                             const triad_buffer* rstd, int64_t N, int64_t C) {
  return guard("layernorm_backward", [&] {
    Args args;
    args.dim(N, "N").dim(C, "C").f_opt(dx, "dx", count({N, C})).f_opt(dweight, "dweight", C)
        .f_opt(dbias, "dbias", C).f(dout, "dout", count({N, C})).f(x, "x", count({N, C}))
        .f(weight, "weight", C).s(mean, "mean", N).s(rstd, "rstd", N);
    Bf16Staging st(args);
    TRIAD_DISPATCH(args, layernorm_backward, st.out(dx, count({N, C})), st.out(dweight, C),
                   st.out(dbias, C), st.in(dout, count({N, C})), st.in(x, count({N, C})),
                   st.in(weight, C), F(mean), F(rstd), N, C);
    st.commit();
  });
}

// ---- GELU ----

int triad_gelu_forward(triad_buffer* out, const triad_buffer* x, int64_t n) {
  return guard("gelu_forward", [&] {
    Args args;
    args.dim(n, "n").f(out, "out", n).f(x, "x", n);
    Bf16Staging st(args);
    TRIAD_DISPATCH(args, gelu_forward, st.out(out, n), st.in(x, n), n);
    st.commit();
  });
}

int triad_gelu_backward(triad_buffer* dx, const triad_buffer* dout, const triad_buffer* x,
                        int64_t n) {
  return guard("gelu_backward", [&] {
    Args args;
    args.dim(n, "n").f(dx, "dx", n).f(dout, "dout", n).f(x, "x", n);
    Bf16Staging st(args);
    TRIAD_DISPATCH(args, gelu_backward, st.out(dx, n), st.in(dout, n), st.in(x, n), n);
    st.commit();
  });
}

// ---- attention ----

int triad_attention_forward(triad_buffer* out, triad_buffer* lse, const triad_buffer* qkv,
                            const triad_buffer* doc_ids, int64_t B, int64_t T, int64_t H,
                            int64_t D) {
  return guard("attention_forward", [&] {
    Args args;
    args.dim(B, "B").dim(T, "T").dim(H, "H").dim(D, "D").f(out, "out", count({B, T, H, D}))
        .s(lse, "lse", count({B, H, T})).f(qkv, "qkv", count({B, T, 3, H, D}))
        .i_opt(doc_ids, "doc_ids", count({B, T})).distinct(out, "out", qkv, "qkv");
    Bf16Staging st(args);
    TRIAD_DISPATCH(args, attention_forward, st.out(out, count({B, T, H, D})), F(lse),
                   st.in(qkv, count({B, T, 3, H, D})), I(doc_ids), B, T, H, D);
    st.commit();
  });
}

int triad_attention_backward(triad_buffer* dqkv, const triad_buffer* dout,
                             const triad_buffer* qkv, const triad_buffer* out,
                             const triad_buffer* lse, const triad_buffer* doc_ids, int64_t B,
                             int64_t T, int64_t H, int64_t D) {
  return guard("attention_backward", [&] {
    Args args;
    args.dim(B, "B").dim(T, "T").dim(H, "H").dim(D, "D").f(dqkv, "dqkv", count({B, T, 3, H, D}))
        .f(dout, "dout", count({B, T, H, D})).f(qkv, "qkv", count({B, T, 3, H, D}))
        .f(out, "out", count({B, T, H, D})).s(lse, "lse", count({B, H, T}))
        .i_opt(doc_ids, "doc_ids", count({B, T})).distinct(dqkv, "dqkv", qkv, "qkv");
    Bf16Staging st(args);
    TRIAD_DISPATCH(args, attention_backward, st.out(dqkv, count({B, T, 3, H, D})),
                   st.in(dout, count({B, T, H, D})), st.in(qkv, count({B, T, 3, H, D})),
                   st.in(out, count({B, T, H, D})), F(lse), I(doc_ids), B, T, H, D);
    st.commit();
  });
}

int triad_attention_decode(triad_buffer* out, triad_buffer* kcache, triad_buffer* vcache,
                           const triad_buffer* qkv, const triad_buffer* start, int64_t B,
                           int64_t Tn, int64_t past, int64_t Tmax, int64_t H, int64_t D) {
  return guard("attention_decode", [&] {
    Args args;
    args.dim(B, "B").dim(Tn, "Tn").dim(past, "past", 0).dim(Tmax, "Tmax").dim(H, "H").dim(D, "D")
        .f(out, "out", count({B, Tn, H, D})).f(kcache, "kcache", count({B, Tmax, H, D}))
        .f(vcache, "vcache", count({B, Tmax, H, D})).f(qkv, "qkv", count({B, Tn, 3, H, D}))
        .i_opt(start, "start", B).distinct(out, "out", qkv, "qkv")
        .distinct(kcache, "kcache", vcache, "vcache").distinct(out, "out", kcache, "kcache")
        .distinct(out, "out", vcache, "vcache");
    if (past + Tn > Tmax) {
      fail(TRIAD_ERR_INVALID, "past=" + std::to_string(past) + " + Tn=" + std::to_string(Tn) +
                                  " exceeds the cache length Tmax=" + std::to_string(Tmax));
    }
    // the caches are outputs: positions [past, past+Tn) are written, the rest must keep its value
    Bf16Staging st(args);
    TRIAD_DISPATCH(args, attention_decode, st.out(out, count({B, Tn, H, D})),
                   st.out(kcache, count({B, Tmax, H, D})), st.out(vcache, count({B, Tmax, H, D})),
                   st.in(qkv, count({B, Tn, 3, H, D})), I(start), B, Tn, past, Tmax, H, D);
    st.commit();
  });
}

// ---- fused classifier ----

int triad_cross_entropy_forward(triad_buffer* loss, triad_buffer* logprob, triad_buffer* lse,
                                const triad_buffer* logits, const triad_buffer* targets,
                                const triad_buffer* weights, int64_t N, int64_t V,
                                int64_t V_real, int ignore_index) {
  return guard("cross_entropy_forward", [&] {
    Args args;
    args.dim(N, "N").dim(V, "V").dim(V_real, "V_real").s_opt(loss, "loss", N)
        .s_opt(logprob, "logprob", N).s(lse, "lse", N).f(logits, "logits", count({N, V}))
        .i(targets, "targets", N).s_opt(weights, "weights", N);
    if (V_real > V) fail(TRIAD_ERR_INVALID, "V_real=" + std::to_string(V_real) + " exceeds V=" + std::to_string(V));
    Bf16Staging st(args);
    TRIAD_DISPATCH(args, cross_entropy_forward, F(loss), F(logprob), F(lse),
                   st.in(logits, count({N, V})), I(targets), F(weights), N, V, V_real, ignore_index);
    st.commit();
  });
}

int triad_cross_entropy_backward(triad_buffer* dlogits, const triad_buffer* dloss,
                                 const triad_buffer* dlogprob, const triad_buffer* logits,
                                 const triad_buffer* targets, const triad_buffer* weights,
                                 const triad_buffer* lse, int64_t N, int64_t V, int64_t V_real,
                                 int ignore_index) {
  return guard("cross_entropy_backward", [&] {
    Args args;
    args.dim(N, "N").dim(V, "V").dim(V_real, "V_real").f(dlogits, "dlogits", count({N, V}))
        .s_opt(dloss, "dloss", N).s_opt(dlogprob, "dlogprob", N).f(logits, "logits", count({N, V}))
        .i(targets, "targets", N).s_opt(weights, "weights", N).s(lse, "lse", N)
        .distinct(dlogits, "dlogits", logits, "logits");
    if (V_real > V) fail(TRIAD_ERR_INVALID, "V_real=" + std::to_string(V_real) + " exceeds V=" + std::to_string(V));
    Bf16Staging st(args);
    TRIAD_DISPATCH(args, cross_entropy_backward, st.out(dlogits, count({N, V})), F(dloss),
                   F(dlogprob), st.in(logits, count({N, V})), I(targets), F(weights), F(lse), N, V,
                   V_real, ignore_index);
    st.commit();
  });
}

// ---- elementwise ----

int triad_unary_forward(int op, triad_buffer* out, const triad_buffer* x, int64_t n, float p0,
                        float p1) {
  return guard("unary_forward", [&] {
    check_code(op, TRIAD_UNARY_COUNT, "unary op");
    Args args;
    args.dim(n, "n").f(out, "out", n).f(x, "x", n);
    Bf16Staging st(args);
    TRIAD_DISPATCH(args, unary_forward, op, st.out(out, n), st.in(x, n), n, p0, p1);
    st.commit();
  });
}

int triad_unary_backward(int op, triad_buffer* dx, const triad_buffer* dout,
                         const triad_buffer* x, const triad_buffer* out, int64_t n, float p0,
                         float p1) {
  return guard("unary_backward", [&] {
    check_code(op, TRIAD_UNARY_COUNT, "unary op");
    Args args;
    args.dim(n, "n").f(dx, "dx", n).f(dout, "dout", n).f(x, "x", n).f(out, "out", n);
    Bf16Staging st(args);
    TRIAD_DISPATCH(args, unary_backward, op, st.out(dx, n), st.in(dout, n), st.in(x, n),
                   st.in(out, n), n, p0, p1);
    st.commit();
  });
}

int triad_binary_forward(int op, triad_buffer* out, const triad_buffer* a, const triad_buffer* b,
                         int64_t na, int64_t nb) {
  return guard("binary_forward", [&] {
    check_code(op, TRIAD_BINARY_COUNT, "binary op");
    Args args;
    args.dim(na, "na").dim(nb, "nb").f(out, "out", na).f(a, "a", na).f(b, "b", nb);
    if (na % nb != 0) fail(TRIAD_ERR_INVALID, "nb=" + std::to_string(nb) + " does not divide na=" + std::to_string(na));
    // out may alias a (same indexing) but not a broadcast b, which is read again later
    if (nb != na) args.distinct(out, "out", b, "broadcast b");
    Bf16Staging st(args);
    TRIAD_DISPATCH(args, binary_forward, op, st.out(out, na), st.in(a, na), st.in(b, nb), na, nb);
    st.commit();
  });
}

int triad_binary_backward(int op, triad_buffer* da, triad_buffer* db, const triad_buffer* dout,
                          const triad_buffer* a, const triad_buffer* b, int64_t na, int64_t nb) {
  return guard("binary_backward", [&] {
    check_code(op, TRIAD_BINARY_COUNT, "binary op");
    Args args;
    args.dim(na, "na").dim(nb, "nb").f_opt(da, "da", na).f_opt(db, "db", nb)
        .f(dout, "dout", na).f(a, "a", na).f(b, "b", nb);
    if (na % nb != 0) fail(TRIAD_ERR_INVALID, "nb=" + std::to_string(nb) + " does not divide na=" + std::to_string(na));
    Bf16Staging st(args);
    TRIAD_DISPATCH(args, binary_backward, op, st.out(da, na), st.out(db, nb), st.in(dout, na),
                   st.in(a, na), st.in(b, nb), na, nb);
    st.commit();
  });
}

int triad_where_forward(triad_buffer* out, const triad_buffer* cond, const triad_buffer* a,
                        const triad_buffer* b, int64_t n) {
  return guard("where_forward", [&] {
    Args args;
    args.dim(n, "n").f(out, "out", n).f(cond, "cond", n).f(a, "a", n).f(b, "b", n);
    Bf16Staging st(args);
    TRIAD_DISPATCH(args, where_forward, st.out(out, n), st.in(cond, n), st.in(a, n), st.in(b, n), n);
    st.commit();
  });
}

int triad_where_backward(triad_buffer* da, triad_buffer* db, const triad_buffer* dout,
                         const triad_buffer* cond, int64_t n) {
  return guard("where_backward", [&] {
    Args args;
    args.dim(n, "n").f_opt(da, "da", n).f_opt(db, "db", n).f(dout, "dout", n).f(cond, "cond", n);
    Bf16Staging st(args);
    TRIAD_DISPATCH(args, where_backward, st.out(da, n), st.out(db, n), st.in(dout, n),
                   st.in(cond, n), n);
    st.commit();
  });
}

// ---- reductions, gather, log-softmax ----

int triad_reduce_forward(int op, triad_buffer* out, const triad_buffer* x, int64_t outer,
                         int64_t dim, int64_t inner) {
  return guard("reduce_forward", [&] {
    check_code(op, 2, "reduce op");
    Args args;
    args.dim(outer, "outer").dim(dim, "dim").dim(inner, "inner")
        .f(out, "out", count({outer, inner})).f(x, "x", count({outer, dim, inner}))
        .distinct(out, "out", x, "x");
    Bf16Staging st(args);
    TRIAD_DISPATCH(args, reduce_forward, op, st.out(out, count({outer, inner})),
                   st.in(x, count({outer, dim, inner})), outer, dim, inner);
    st.commit();
  });
}

int triad_reduce_backward(int op, triad_buffer* dx, const triad_buffer* dout, int64_t outer,
                          int64_t dim, int64_t inner) {
  return guard("reduce_backward", [&] {
    check_code(op, 2, "reduce op");
    Args args;
    args.dim(outer, "outer").dim(dim, "dim").dim(inner, "inner")
        .f(dx, "dx", count({outer, dim, inner})).f(dout, "dout", count({outer, inner}))
        .distinct(dx, "dx", dout, "dout");
    Bf16Staging st(args);
    TRIAD_DISPATCH(args, reduce_backward, op, st.out(dx, count({outer, dim, inner})),
                   st.in(dout, count({outer, inner})), outer, dim, inner);
    st.commit();
  });
}

int triad_gather_forward(triad_buffer* out, const triad_buffer* x, const triad_buffer* index,
                         int64_t N, int64_t V) {
  return guard("gather_forward", [&] {
    Args args;
    args.dim(N, "N").dim(V, "V").f(out, "out", N).f(x, "x", count({N, V})).i(index, "index", N)
        .distinct(out, "out", x, "x");
    Bf16Staging st(args);
    TRIAD_DISPATCH(args, gather_forward, st.out(out, N), st.in(x, count({N, V})), I(index), N, V);
    st.commit();
  });
}

int triad_gather_backward(triad_buffer* dx, const triad_buffer* dout, const triad_buffer* index,
                          int64_t N, int64_t V) {
  return guard("gather_backward", [&] {
    Args args;
    args.dim(N, "N").dim(V, "V").f(dx, "dx", count({N, V})).f(dout, "dout", N).i(index, "index", N);
    Bf16Staging st(args);
    TRIAD_DISPATCH(args, gather_backward, st.out(dx, count({N, V})), st.in(dout, N), I(index), N, V);
    st.commit();
  });
}

int triad_log_softmax_forward(triad_buffer* out, const triad_buffer* x, int64_t N, int64_t V) {
  return guard("log_softmax_forward", [&] {
    Args args;
    args.dim(N, "N").dim(V, "V").f(out, "out", count({N, V})).f(x, "x", count({N, V}));
    Bf16Staging st(args);
    TRIAD_DISPATCH(args, log_softmax_forward, st.out(out, count({N, V})), st.in(x, count({N, V})), N, V);
    st.commit();
  });
}

int triad_log_softmax_backward(triad_buffer* dx, const triad_buffer* dout,
                               const triad_buffer* out, int64_t N, int64_t V) {
  return guard("log_softmax_backward", [&] {
    Args args;
    args.dim(N, "N").dim(V, "V").f(dx, "dx", count({N, V})).f(dout, "dout", count({N, V}))
        .f(out, "out", count({N, V}));
    Bf16Staging st(args);
    TRIAD_DISPATCH(args, log_softmax_backward, st.out(dx, count({N, V})), st.in(dout, count({N, V})),
                   st.in(out, count({N, V})), N, V);
    st.commit();
  });
}

// ---- optimizer ----

}  // extern "C"

namespace {

void check_adamw(const triad_adamw_params* p) {
  if (!p) fail(TRIAD_ERR_INVALID, "params is NULL");
  if (p->step < 1) fail(TRIAD_ERR_INVALID, "step must be >= 1, got " + std::to_string(p->step));
  if (!(p->beta1 >= 0.0f && p->beta1 < 1.0f) || !(p->beta2 >= 0.0f && p->beta2 < 1.0f)) {
    fail(TRIAD_ERR_INVALID, "betas must be in [0, 1)");
  }
  if (!(p->eps > 0.0f)) fail(TRIAD_ERR_INVALID, "eps must be > 0");
}

// param, m, v: f32 (master weights and moments); grad: the data dtype; param_copy: optional,
// any floating dtype, receives the updated param (the bf16 working copy of mixed precision).
void adamw(triad_buffer* param, const triad_buffer* grad, triad_buffer* m, triad_buffer* v,
           triad_buffer* param_copy, int64_t n, const triad_adamw_params* p) {
  check_adamw(p);
  Args args;
  args.dim(n, "n").s(param, "param", n).f(grad, "grad", n).s(m, "m", n).s(v, "v", n)
      .any_opt(param_copy, "param_copy", n).distinct(param_copy, "param_copy", param, "param");
#ifdef TRIAD_WITH_CUDA
  if (args.device() == TRIAD_DEVICE_CUDA) {
    cuda::OpScope scope("adamw_step");
    cuda::adamw_step(args.dtype(), F(param), grad->data, F(m), F(v),
                     param_copy ? param_copy->data : nullptr,
                     param_copy ? param_copy->dtype : TRIAD_F32, n, p->lr, p->beta1, p->beta2,
                     p->eps, p->weight_decay, p->grad_scale, p->step);
    scope.finish();
    return;
  }
#endif
  Bf16Staging st(args);  // a bf16 grad is widened; param, m, v are f32 statistics
  cpu::adamw_step(F(param), st.in(grad, n), F(m), F(v), n, p->lr, p->beta1, p->beta2, p->eps,
                  p->weight_decay, p->grad_scale, p->step);
  if (param_copy) cpu::cast(param_copy->data, param_copy->dtype, param->data, TRIAD_F32, n);
}

}  // namespace

extern "C" {

int triad_adamw_step(triad_buffer* param, const triad_buffer* grad, triad_buffer* m,
                     triad_buffer* v, int64_t n, const triad_adamw_params* p) {
  return guard("adamw_step", [&] { adamw(param, grad, m, v, nullptr, n, p); });
}

int triad_adamw_step_copy(triad_buffer* param, const triad_buffer* grad, triad_buffer* m,
                          triad_buffer* v, triad_buffer* param_copy, int64_t n,
                          const triad_adamw_params* p) {
  return guard("adamw_step_copy", [&] { adamw(param, grad, m, v, param_copy, n, p); });
}

int triad_sum_squares(triad_buffer* acc, const triad_buffer* x, int64_t n) {
  return guard("sum_squares", [&] {
    Args args;
    args.dim(n, "n").s(acc, "acc", 1).f(x, "x", n).distinct(acc, "acc", x, "x");
    Bf16Staging st(args);
    TRIAD_DISPATCH(args, sum_squares, F(acc), st.in(x, n), n);
  });
}

}  // extern "C"

// ---- multi-tensor forms: every parameter in a few launches (see triad.h) ----

namespace {

std::string nth(const char* name, int i) { return std::string(name) + "[" + std::to_string(i) + "]"; }

// The host-side clip factor, as GradClip.clipFactor and the CUDA kernel compute it.
float clip_factor(const triad_buffer* norm_sq, double max_norm) {
  if (!norm_sq || !(max_norm > 0.0)) return 1.0f;
  const double norm = std::sqrt((double)F(norm_sq)[0]);
  return norm > max_norm ? (float)(max_norm / (norm + 1e-6)) : 1.0f;
}

}  // namespace

extern "C" {

int triad_sum_squares_multi(triad_buffer* acc, int count, const triad_buffer* const* xs, const int64_t* ns) {
  return guard("sum_squares_multi", [&] {
    if (count < 0) fail(TRIAD_ERR_INVALID, "count must be >= 0, got " + std::to_string(count));
    if (count > 0 && (!xs || !ns)) fail(TRIAD_ERR_INVALID, "xs and ns must not be NULL");
    Args args;
    args.s(acc, "acc", 1);
    for (int i = 0; i < count; ++i) {
      const std::string x = nth("xs", i), n = nth("ns", i);
      args.dim(ns[i], n.c_str()).f(xs[i], x.c_str(), ns[i]).distinct(acc, "acc", xs[i], x.c_str());
    }
    if (count == 0) return;
#ifdef TRIAD_WITH_CUDA
    if (args.device() == TRIAD_DEVICE_CUDA) {
      std::vector<const void*> ptrs((size_t)count);
      for (int i = 0; i < count; ++i) ptrs[(size_t)i] = xs[i]->data;
      cuda::OpScope scope("sum_squares_multi");
      cuda::sum_squares_multi(args.dtype(), F(acc), count, ptrs.data(), ns);
      scope.finish();
      return;
    }
#endif
    // the per-tensor calls in order: bit-identical to calling triad_sum_squares count times
    for (int i = 0; i < count; ++i) {
      Args one;
      one.s(acc, "acc", 1).f(xs[i], "x", ns[i]);
      Bf16Staging st(one);  // a bf16 tensor is widened, as triad_sum_squares does
      cpu::sum_squares(F(acc), st.in(xs[i], ns[i]), ns[i]);
    }
  });
}

int triad_adamw_step_multi(int count, triad_buffer* const* params, const triad_buffer* const* grads,
                           triad_buffer* const* m, triad_buffer* const* v,
                           triad_buffer* const* param_copies, const int64_t* ns,
                           const float* weight_decays, const triad_adamw_params* p,
                           const triad_buffer* norm_sq, double max_norm) {
  return guard("adamw_step_multi", [&] {
    check_adamw(p);
    if (count < 0) fail(TRIAD_ERR_INVALID, "count must be >= 0, got " + std::to_string(count));
    if (count > 0 && (!params || !grads || !m || !v || !ns || !weight_decays)) {
      fail(TRIAD_ERR_INVALID, "params, grads, m, v, ns and weight_decays must not be NULL");
    }
    Args args;
    args.s_opt(norm_sq, "norm_sq", 1);
    int copy_dtype = -1;
    for (int i = 0; i < count; ++i) {
      const std::string pn = nth("params", i), gn = nth("grads", i), mn = nth("m", i), vn = nth("v", i),
                        cn = nth("param_copies", i), nn = nth("ns", i);
      const int64_t n = ns[i];
      triad_buffer* copy = param_copies ? param_copies[i] : nullptr;
      args.dim(n, nn.c_str()).s(params[i], pn.c_str(), n).f(grads[i], gn.c_str(), n).s(m[i], mn.c_str(), n)
          .s(v[i], vn.c_str(), n).any_opt(copy, cn.c_str(), n).distinct(copy, cn.c_str(), params[i], pn.c_str());
      if (copy) {
        if (copy_dtype >= 0 && copy->dtype != copy_dtype) {
          fail(TRIAD_ERR_INVALID, cn + " is " + dtype_name(copy->dtype) + " but an earlier copy is " +
                                      dtype_name(copy_dtype) + ": all copies share one dtype");
        }
        copy_dtype = copy->dtype;
      }
    }
    if (count == 0) return;
#ifdef TRIAD_WITH_CUDA
    if (args.device() == TRIAD_DEVICE_CUDA) {
      std::vector<float*> pp((size_t)count), mp((size_t)count), vp((size_t)count);
      std::vector<const void*> gp((size_t)count);
      std::vector<void*> cp((size_t)count, nullptr);
      for (int i = 0; i < count; ++i) {
        pp[(size_t)i] = F(params[i]);
        gp[(size_t)i] = grads[i]->data;
        mp[(size_t)i] = F(m[i]);
        vp[(size_t)i] = F(v[i]);
        if (param_copies && param_copies[i]) cp[(size_t)i] = param_copies[i]->data;
      }
      cuda::OpScope scope("adamw_step_multi");
      cuda::adamw_step_multi(args.dtype(), count, pp.data(), gp.data(), mp.data(), vp.data(),
                             copy_dtype >= 0 ? cp.data() : nullptr, copy_dtype >= 0 ? copy_dtype : TRIAD_F32, ns,
                             weight_decays, p->lr, p->beta1, p->beta2, p->eps, p->grad_scale, p->step,
                             norm_sq ? F(norm_sq) : nullptr, max_norm);
      scope.finish();
      return;
    }
#endif
    // the per-tensor step in order, with the clip factor folded into grad_scale: bit-identical
    // to calling triad_adamw_step(_copy) per tensor with grad_scale = the factor
    triad_adamw_params each = *p;
    each.grad_scale = p->grad_scale * clip_factor(norm_sq, max_norm);
    for (int i = 0; i < count; ++i) {
      each.weight_decay = weight_decays[i];
      adamw(params[i], grads[i], m[i], v[i], param_copies ? param_copies[i] : nullptr, ns[i], &each);
    }
  });
}

// ---- RNG and sampling ----

int triad_rng_uniform(triad_buffer* out, int64_t n, uint64_t seed, uint64_t offset, float lo,
                      float hi) {
  return guard("rng_uniform", [&] {
    Args args;
    args.dim(n, "n").f(out, "out", n);
    Bf16Staging st(args);
    TRIAD_DISPATCH(args, rng_uniform, st.out(out, n), n, seed, offset, lo, hi);
    st.commit();
  });
}

int triad_rng_normal(triad_buffer* out, int64_t n, uint64_t seed, uint64_t offset, float mean,
                     float std) {
  return guard("rng_normal", [&] {
    Args args;
    args.dim(n, "n").f(out, "out", n);
    Bf16Staging st(args);
    TRIAD_DISPATCH(args, rng_normal, st.out(out, n), n, seed, offset, mean, std);
    st.commit();
  });
}

int triad_sample(triad_buffer* out, const triad_buffer* logits, int64_t N, int64_t V,
                 int64_t V_real, float temperature, int top_k, float top_p, uint64_t seed,
                 uint64_t offset) {
  return guard("sample", [&] {
    Args args;
    args.dim(N, "N").dim(V, "V").dim(V_real, "V_real").i(out, "out", N)
        .f(logits, "logits", count({N, V}));
    if (V_real > V) fail(TRIAD_ERR_INVALID, "V_real=" + std::to_string(V_real) + " exceeds V=" + std::to_string(V));
    if (!(top_p > 0.0f)) fail(TRIAD_ERR_INVALID, "top_p must be > 0");
    Bf16Staging st(args);
    TRIAD_DISPATCH(args, sample, I(out), st.in(logits, count({N, V})), N, V, V_real, temperature,
                   top_k, top_p, seed, offset);
  });
}

}  // extern "C"
