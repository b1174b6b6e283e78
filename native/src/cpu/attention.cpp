// Fused causal multi-head self-attention. The forward keeps one log-sum-exp per query row and
// never a T x T matrix; the backward recomputes the probabilities from it.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "common/error.h"
#include "cpu/cpu_ops.h"
#include "cpu/parallel.h"
#include "cpu/vec_math.h"

namespace triad::cpu {

namespace {

inline float dot(const float* a, const float* b, int64_t D) {
  float s = 0.0f;
#pragma omp simd reduction(+ : s)
  for (int64_t d = 0; d < D; ++d) s += a[d] * b[d];
  return s;
}

// Query t of document doc_ids[b,t] may look at key s <= t of the same document.
inline bool visible(const int32_t* doc, int64_t s, int64_t t) {
  return doc == nullptr || doc[s] == doc[t];
}

}  // namespace

// qkv [B,T,3,H,D]; out [B,T,H,D]; lse [B,H,T]; doc_ids i32 [B,T] or NULL
// Each query row is owned by one thread (two passes over its keys, O(T) scratch), so the
// result does not depend on the schedule.
void attention_forward(float* out, float* lse, const float* qkv, const int32_t* doc_ids,
                       int64_t B, int64_t T, int64_t H, int64_t D) {
  const int64_t C = H * D, row = 3 * C;  // row = stride between time steps in qkv
  const float scale = 1.0f / std::sqrt((float)D);
#pragma omp parallel
  {
    flush_denormals_here();  // worker threads: see common/denormals.h
    std::vector<float> sc(T);   // [T] scaled scores of the current query row
    std::vector<float> acc(D);  // [D] unnormalised output of the current query row
#pragma omp for collapse(3) schedule(dynamic, 8)
    for (int64_t b = 0; b < B; ++b) {
      for (int64_t h = 0; h < H; ++h) {
        for (int64_t t = 0; t < T; ++t) {
          const int32_t* doc = doc_ids ? doc_ids + b * T : nullptr;
          const float* base = qkv + b * T * row + h * D;
          const float* q = base + t * row;
          float mx = -std::numeric_limits<float>::infinity();
          for (int64_t s = 0; s <= t; ++s) {
            if (!visible(doc, s, t)) continue;
            sc[s] = dot(q, base + s * row + C, D) * scale;
            mx = std::max(mx, sc[s]);
          }
          double sum = 0.0;  // softmax denominator in double for an accurate lse
          for (int64_t d = 0; d < D; ++d) acc[d] = 0.0f;
          for (int64_t s = 0; s <= t; ++s) {
            if (!visible(doc, s, t)) continue;
            const float p = vexp(sc[s] - mx);
            sum += p;
            const float* v = base + s * row + 2 * C;
#pragma omp simd
            for (int64_t d = 0; d < D; ++d) acc[d] += p * v[d];
          }
          const float inv = (float)(1.0 / sum);
          float* o = out + (b * T + t) * C + h * D;
#pragma omp simd
          for (int64_t d = 0; d < D; ++d) o[d] = acc[d] * inv;
          lse[(b * H + h) * T + t] = (float)(mx + std::log(sum));
        }
      }
    }
  }
}

// dqkv [B,T,3,H,D] += gradients of q, k, v; dout, out [B,T,H,D]; lse [B,H,T]
// With p = exp(q.k * scale - lse) and Dt = dout_t . out_t:
//   dS_ts = p_ts (dout_t . v_s - Dt);  dq_t += scale sum_s dS_ts k_s;
//   dk_s += scale dS_ts q_t;  dv_s += p_ts dout_t.
// One thread owns a whole (b,h) and walks t, s in order: keys collect their gradient in a fixed
// order, hence deterministic.
void attention_backward(float* dqkv, const float* dout, const float* qkv, const float* out,
                        const float* lse, const int32_t* doc_ids, int64_t B, int64_t T,
                        int64_t H, int64_t D) {
  const int64_t C = H * D, row = 3 * C;
  const float scale = 1.0f / std::sqrt((float)D);
#pragma omp parallel
  {
    flush_denormals_here();  // worker threads: see common/denormals.h
    std::vector<float> dq(D);  // [D] gradient of the current query row
#pragma omp for collapse(2) schedule(dynamic, 1)
    for (int64_t b = 0; b < B; ++b) {
      for (int64_t h = 0; h < H; ++h) {
        const int32_t* doc = doc_ids ? doc_ids + b * T : nullptr;
        const float* base = qkv + b * T * row + h * D;
        float* dbase = dqkv + b * T * row + h * D;
        for (int64_t t = 0; t < T; ++t) {
          const float* q = base + t * row;
          const float* go = dout + (b * T + t) * C + h * D;
          const float* o = out + (b * T + t) * C + h * D;
          const float Dt = dot(go, o, D);
          const float l = lse[(b * H + h) * T + t];
          for (int64_t d = 0; d < D; ++d) dq[d] = 0.0f;
          for (int64_t s = 0; s <= t; ++s) {
            if (!visible(doc, s, t)) continue;
            const float* k = base + s * row + C;
            const float* v = base + s * row + 2 * C;
            const float p = vexp(dot(q, k, D) * scale - l);
            const float dS = p * (dot(go, v, D) - Dt) * scale;
            float* dk = dbase + s * row + C;
            float* dv = dbase + s * row + 2 * C;
#pragma omp simd
            for (int64_t d = 0; d < D; ++d) {
              dq[d] += dS * k[d];
              dk[d] += dS * q[d];
              dv[d] += p * go[d];
            }
          }
          float* dqo = dbase + t * row;
#pragma omp simd
          for (int64_t d = 0; d < D; ++d) dqo[d] += dq[d];
        }
      }
    }
  }
}


// Generation step over a KV cache. kcache, vcache [B,Tmax,H,D]; qkv [B,Tn,3,H,D]; out [B,Tn,H,D];
// start i32[B] or NULL. The new keys and values are stored first, then each new query runs the
// same two-pass softmax as the forward above over its visible keys [start, past+i].
void attention_decode(float* out, float* kcache, float* vcache, const float* qkv,
                      const int32_t* start, int64_t B, int64_t Tn, int64_t past, int64_t Tmax,
                      int64_t H, int64_t D) {
  const int64_t C = H * D;
  for (int64_t b = 0; b < B; ++b) {
    const int32_t s0 = start ? start[b] : 0;
    if (s0 < 0 || s0 > past + Tn - 1) {
      fail(TRIAD_ERR_INVALID, "start[" + std::to_string(b) + "]=" + std::to_string(s0) +
                                  " is outside [0, " + std::to_string(past + Tn - 1) + "]");
    }
    for (int64_t i = 0; i < Tn; ++i) {
      const float* src = qkv + (b * Tn + i) * 3 * C;
      std::copy(src + C, src + 2 * C, kcache + (b * Tmax + past + i) * C);
      std::copy(src + 2 * C, src + 3 * C, vcache + (b * Tmax + past + i) * C);
    }
  }
  const float scale = 1.0f / std::sqrt((float)D);
  parallel_for(B * H * Tn, B * H * Tn * (past + Tn) * D, kParallelMin, [&](int64_t k0, int64_t k1) {
    std::vector<float> sc(past + Tn);  // [keys] scaled scores of one query
    for (int64_t k = k0; k < k1; ++k) {  // k = (b * H + h) * Tn + i
      const int64_t i = k % Tn, h = (k / Tn) % H, b = k / (Tn * H);
      const int64_t last = past + i, first = start ? start[b] : 0;
      const float* q = qkv + (b * Tn + i) * 3 * C + h * D;
      const float* kb = kcache + b * Tmax * C + h * D;
      const float* vb = vcache + b * Tmax * C + h * D;
      float mx = -std::numeric_limits<float>::infinity();
      for (int64_t s = first; s <= last; ++s) {
        sc[s] = dot(q, kb + s * C, D) * scale;
        mx = std::max(mx, sc[s]);
      }
      double sum = 0.0;
      float* o = out + (b * Tn + i) * C + h * D;
      for (int64_t d = 0; d < D; ++d) o[d] = 0.0f;
      for (int64_t s = first; s <= last; ++s) {
        const float p = vexp(sc[s] - mx);
        sum += p;
        const float* v = vb + s * C;
#pragma omp simd
        for (int64_t d = 0; d < D; ++d) o[d] += p * v[d];
      }
      const float inv = (float)(1.0 / sum);
#pragma omp simd
      for (int64_t d = 0; d < D; ++d) o[d] *= inv;
    }
  });
}

}  // namespace triad::cpu
