// Elementwise unary/binary ops and where. Every op is computed per element from values read at
// the same index (binary b at i % nb), so out/dx may alias an input.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "common/error.h"
#include "cpu/column_sums.h"
#include "cpu/cpu_ops.h"
#include "cpu/parallel.h"

namespace triad::cpu {

namespace {


[[noreturn]] void bad_op(const char* kind, int op) {
  fail(TRIAD_ERR_INVALID, std::string("unknown ") + kind + " op code " + std::to_string(op));
}

// Applies f(i) for i < n, in parallel when worthwhile.
template <class F>
inline void for_each(int64_t n, F f) {
  parallel_for(n, n, kParallelMin, [&](int64_t i0, int64_t i1) {
#pragma omp simd
    for (int64_t i = i0; i < i1; ++i) f(i);
  });
}

}  // namespace

// ---- unary: out [n] = f(x [n]) ----
void unary_forward(int op, float* out, const float* x, int64_t n, float p0, float p1) {
  switch (op) {
    case TRIAD_UNARY_EXP: for_each(n, [=](int64_t i) { out[i] = std::exp(x[i]); }); break;
    case TRIAD_UNARY_LOG: for_each(n, [=](int64_t i) { out[i] = std::log(x[i]); }); break;
    case TRIAD_UNARY_AFFINE: for_each(n, [=](int64_t i) { out[i] = p0 * x[i] + p1; }); break;
    case TRIAD_UNARY_CLAMP:
      for_each(n, [=](int64_t i) { out[i] = std::min(std::max(x[i], p0), p1); });
      break;
    case TRIAD_UNARY_SQUARE: for_each(n, [=](int64_t i) { out[i] = x[i] * x[i]; }); break;
    case TRIAD_UNARY_SQRT: for_each(n, [=](int64_t i) { out[i] = std::sqrt(x[i]); }); break;
    case TRIAD_UNARY_TANH: for_each(n, [=](int64_t i) { out[i] = std::tanh(x[i]); }); break;
    case TRIAD_UNARY_RELU: for_each(n, [=](int64_t i) { out[i] = x[i] > 0.0f ? x[i] : 0.0f; }); break;
    default: bad_op("unary", op);
  }
}

// dx [n] += dout [n] * f'(x [n]). EXP, SQRT and TANH use the saved forward output when given
// (recomputed from x when out is NULL).
void unary_backward(int op, float* dx, const float* dout, const float* x, const float* out,
                    int64_t n, float p0, float p1) {
  switch (op) {
    case TRIAD_UNARY_EXP:
      for_each(n, [=](int64_t i) { dx[i] += dout[i] * (out ? out[i] : std::exp(x[i])); });
      break;
    case TRIAD_UNARY_LOG: for_each(n, [=](int64_t i) { dx[i] += dout[i] / x[i]; }); break;
    case TRIAD_UNARY_AFFINE: for_each(n, [=](int64_t i) { dx[i] += dout[i] * p0; }); break;
    case TRIAD_UNARY_CLAMP:
      for_each(n, [=](int64_t i) { dx[i] += (x[i] >= p0 && x[i] <= p1) ? dout[i] : 0.0f; });
      break;
    case TRIAD_UNARY_SQUARE: for_each(n, [=](int64_t i) { dx[i] += dout[i] * 2.0f * x[i]; }); break;
    case TRIAD_UNARY_SQRT:
      for_each(n, [=](int64_t i) { dx[i] += dout[i] * 0.5f / (out ? out[i] : std::sqrt(x[i])); });
      break;
    case TRIAD_UNARY_TANH:
      for_each(n, [=](int64_t i) {
        const float y = out ? out[i] : std::tanh(x[i]);
        dx[i] += dout[i] * (1.0f - y * y);
      });
      break;
    case TRIAD_UNARY_RELU: for_each(n, [=](int64_t i) { dx[i] += x[i] > 0.0f ? dout[i] : 0.0f; }); break;
    default: bad_op("unary", op);
  }
}

// ---- binary: out [na] = a [na] (op) b [i % nb], viewed as a [na/nb, nb] and b [nb] ----
namespace {

template <class F>
inline void binary_apply(float* out, const float* a, const float* b, int64_t na, int64_t nb,
                         F f) {
  const int64_t rows = nb > 0 ? na / nb : 0;
  parallel_for(rows, na, kParallelMin, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* ar = a + r * nb;
      float* o = out + r * nb;
#pragma omp simd
      for (int64_t j = 0; j < nb; ++j) o[j] = f(ar[j], b[j]);
    }
  });
}

}  // namespace

void binary_forward(int op, float* out, const float* a, const float* b, int64_t na, int64_t nb) {
  switch (op) {
    case TRIAD_BINARY_ADD: binary_apply(out, a, b, na, nb, [](float x, float y) { return x + y; }); break;
    case TRIAD_BINARY_SUB: binary_apply(out, a, b, na, nb, [](float x, float y) { return x - y; }); break;
    case TRIAD_BINARY_MUL: binary_apply(out, a, b, na, nb, [](float x, float y) { return x * y; }); break;
    case TRIAD_BINARY_DIV: binary_apply(out, a, b, na, nb, [](float x, float y) { return x / y; }); break;
    // min/max pick a on ties, matching where their gradient goes
    case TRIAD_BINARY_MIN: binary_apply(out, a, b, na, nb, [](float x, float y) { return x <= y ? x : y; }); break;
    case TRIAD_BINARY_MAX: binary_apply(out, a, b, na, nb, [](float x, float y) { return x >= y ? x : y; }); break;
    case TRIAD_BINARY_GT: binary_apply(out, a, b, na, nb, [](float x, float y) { return x > y ? 1.0f : 0.0f; }); break;
    case TRIAD_BINARY_LT: binary_apply(out, a, b, na, nb, [](float x, float y) { return x < y ? 1.0f : 0.0f; }); break;
    default: bad_op("binary", op);
  }
}

namespace {

// ga(g, x, y) / gb(g, x, y): the gradient reaching a / b from upstream g at a = x, b = y.
// da is elementwise; db[j] sums over the broadcast rows with deterministic column sums.
template <class GA, class GB>
void binary_grad(float* da, float* db, const float* dout, const float* a, const float* b,
                 int64_t na, int64_t nb, GA ga, GB gb) {
  const int64_t rows = nb > 0 ? na / nb : 0;
  if (da) {
    parallel_for(rows, na, kParallelMin, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
#pragma omp simd
        for (int64_t j = 0; j < nb; ++j) {
          const int64_t i = r * nb + j;
          da[i] += ga(dout[i], a[i], b[j]);
        }
      }
    });
  }
  if (db) {
    if (rows == 1) {  // same shapes: no reduction needed
      parallel_for(nb, nb, kParallelMin, [&](int64_t j0, int64_t j1) {
#pragma omp simd
        for (int64_t j = j0; j < j1; ++j) db[j] += gb(dout[j], a[j], b[j]);
      });
    } else {
      std::vector<double> s(nb);
      column_sums(s.data(), rows, nb, [=](int64_t r, int64_t j) {
        const int64_t i = r * nb + j;
        return (double)gb(dout[i], a[i], b[j]);
      });
      for (int64_t j = 0; j < nb; ++j) db[j] += (float)s[j];
    }
  }
}

}  // namespace

// da [na] += dout * d(op)/da; db [nb] += sum over broadcast rows of dout * d(op)/db
void binary_backward(int op, float* da, float* db, const float* dout, const float* a,
                     const float* b, int64_t na, int64_t nb) {
  switch (op) {
    case TRIAD_BINARY_ADD:
      binary_grad(da, db, dout, a, b, na, nb, [](float g, float, float) { return g; },
                  [](float g, float, float) { return g; });
      break;
    case TRIAD_BINARY_SUB:
      binary_grad(da, db, dout, a, b, na, nb, [](float g, float, float) { return g; },
                  [](float g, float, float) { return -g; });
      break;
    case TRIAD_BINARY_MUL:
      binary_grad(da, db, dout, a, b, na, nb, [](float g, float, float y) { return g * y; },
                  [](float g, float x, float) { return g * x; });
      break;
    case TRIAD_BINARY_DIV:
      binary_grad(da, db, dout, a, b, na, nb, [](float g, float, float y) { return g / y; },
                  [](float g, float x, float y) { return -g * x / (y * y); });
      break;
    case TRIAD_BINARY_MIN:
      binary_grad(da, db, dout, a, b, na, nb,
                  [](float g, float x, float y) { return x <= y ? g : 0.0f; },
                  [](float g, float x, float y) { return x <= y ? 0.0f : g; });
      break;
    case TRIAD_BINARY_MAX:
      binary_grad(da, db, dout, a, b, na, nb,
                  [](float g, float x, float y) { return x >= y ? g : 0.0f; },
                  [](float g, float x, float y) { return x >= y ? 0.0f : g; });
      break;
    case TRIAD_BINARY_GT:
    case TRIAD_BINARY_LT:
      break;  // piecewise constant: no gradient
    default: bad_op("binary", op);
  }
}

// ---- where: out [n] = cond [n] != 0 ? a [n] : b [n] ----
void where_forward(float* out, const float* cond, const float* a, const float* b, int64_t n) {
  for_each(n, [=](int64_t i) { out[i] = cond[i] != 0.0f ? a[i] : b[i]; });
}

void where_backward(float* da, float* db, const float* dout, const float* cond, int64_t n) {
  if (da) for_each(n, [=](int64_t i) { da[i] += cond[i] != 0.0f ? dout[i] : 0.0f; });
  if (db) for_each(n, [=](int64_t i) { db[i] += cond[i] != 0.0f ? 0.0f : dout[i]; });
}

}  // namespace triad::cpu
