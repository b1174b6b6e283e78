// Elementwise unary/binary ops and where. Every op is computed per element from values read at
// the same index (binary b at i % nb), so out/dx may alias an input.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "common/error.h"
#include "cpu/cpu_ops.h"

namespace triad::cpu {

namespace {

constexpr int64_t kParallelMin = 65536;  // below this, thread start-up costs more than it saves

[[noreturn]] void bad_op(const char* kind, int op) {
  fail(TRIAD_ERR_INVALID, std::string("unknown ") + kind + " op code " + std::to_string(op));
}

// Applies f(i) for i < n, in parallel when worthwhile.
template <class F>
inline void for_each(int64_t n, F f) {
#pragma omp parallel for simd schedule(static) if (n > kParallelMin)
  for (int64_t i = 0; i < n; ++i) f(i);
}

// res[j] = sum_{i<rows} f(i, j) in double, deterministic: rows are cut into chunks whose size
// depends only on the shape (never on the thread count), each (chunk, column block) is owned by
// one thread, and chunk partials are combined in chunk order.
template <class F>
void column_sums(double* res, int64_t rows, int64_t cols, F f) {
  constexpr int64_t kColBlock = 64;
  const int64_t row_chunk = cols >= 2048 ? std::max<int64_t>(rows, 1) : 512;
  const int64_t nchunks = std::max<int64_t>(1, (rows + row_chunk - 1) / row_chunk);
  const int64_t nblocks = (cols + kColBlock - 1) / kColBlock;
  std::vector<double> partial(nchunks > 1 ? nchunks * cols : 0);
  double* dst = nchunks > 1 ? partial.data() : res;  // [nchunks, cols]
#pragma omp parallel for collapse(2) schedule(static) if (rows * cols > 32768)
  for (int64_t c = 0; c < nchunks; ++c) {
    for (int64_t jb = 0; jb < nblocks; ++jb) {
      const int64_t i0 = c * row_chunk, i1 = std::min(rows, i0 + row_chunk);
      const int64_t j0 = jb * kColBlock, j1 = std::min(cols, j0 + kColBlock);
      double acc[kColBlock] = {};
      for (int64_t i = i0; i < i1; ++i) {
#pragma omp simd
        for (int64_t j = j0; j < j1; ++j) acc[j - j0] += f(i, j);
      }
      for (int64_t j = j0; j < j1; ++j) dst[c * cols + j] = acc[j - j0];
    }
  }
  if (nchunks > 1) {
#pragma omp parallel for schedule(static) if (nchunks * cols > 32768)
    for (int64_t j = 0; j < cols; ++j) {
      double s = 0.0;
      for (int64_t c = 0; c < nchunks; ++c) s += partial[c * cols + j];
      res[j] = s;
    }
  }
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
#pragma omp parallel for schedule(static) if (na > kParallelMin)
  for (int64_t r = 0; r < rows; ++r) {
    const float* ar = a + r * nb;
    float* o = out + r * nb;
#pragma omp simd
    for (int64_t j = 0; j < nb; ++j) o[j] = f(ar[j], b[j]);
  }
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
#pragma omp parallel for schedule(static) if (na > kParallelMin)
    for (int64_t r = 0; r < rows; ++r) {
#pragma omp simd
      for (int64_t j = 0; j < nb; ++j) {
        const int64_t i = r * nb + j;
        da[i] += ga(dout[i], a[i], b[j]);
      }
    }
  }
  if (db) {
    if (rows == 1) {  // same shapes: no reduction needed
#pragma omp parallel for simd schedule(static) if (nb > kParallelMin)
      for (int64_t j = 0; j < nb; ++j) db[j] += gb(dout[j], a[j], b[j]);
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
