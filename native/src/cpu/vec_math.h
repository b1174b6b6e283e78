// Branch-free math that loops over can vectorise. glibc's expf is a scalar call (its vector
// variants need -ffast-math, which would also let the compiler reorder our reductions), and the
// softmax in the classifier and attention evaluates one exp per logit: this is its hot loop.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace triad::cpu {

// e^x with a relative error of about 2 ulp over the float range: Cody-Waite reduction
// x = n ln2 + r, |r| <= ln2/2, then a degree-6 polynomial for e^r (Cephes' expf coefficients)
// and a 2^(n-1) scale built in the exponent bits (times 2, so n = 128 stays finite). Inputs below
// -86.6 return ~2.5e-38 instead of denormals; above 88.72 give inf; NaN propagates.
inline float vexp(float x) {
  const float xc = std::min(std::max(x, -86.6f), 88.8f);  // NaN becomes -86.6 here...
  // round-to-nearest through the magic constant 1.5 * 2^23 (vectorises, unlike nearbyint)
  const float n = (xc * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  float r = xc - n * 0.693359375f;  // ln2 split in two so n * hi is exact
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 126) << 23;  // 2^(n-1)
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  const float y = (p * scale) * 2.0f;
  return x == x ? y : x;  // ...and is restored here
}

// tanh x = 1 - 2 / (e^(2x) + 1), through vexp: absolute error ~2e-7, which is what GELU needs
// (0.5 x (1 + tanh u)); beyond |x| = 9 tanh is +-1 in float.
inline float vtanh(float x) {
  const float xc = std::min(std::max(x, -9.0f), 9.0f);
  return 1.0f - 2.0f / (vexp(2.0f * xc) + 1.0f);
}

}  // namespace triad::cpu
