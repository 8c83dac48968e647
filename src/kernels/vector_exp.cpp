// joblet's own exp: the same IEEE operations in every version, so that all give the same bits.
#include "vector_exp.hpp"

#ifdef JOBLET_DETAIL_LIBMVEC

#include <array>
#include <cmath>
#include <cstddef>

// GCC 12 reports the _mm512_undefined_pd() inside its own AVX-512 intrinsics as used
// uninitialised once they are inlined (GCC bug 105593, fixed in GCC 13).
#pragma GCC diagnostic ignored "-Wuninitialized"

namespace joblet::detail::vector_exp {
namespace {

constexpr double kLog2e = 0x1.71547652b82fep0;
constexpr double kLn2High = 0x1.62e42fefa39efp-1;
constexpr double kLn2Low = 0x1.abc9e3b39803fp-56;
constexpr double kLowest = -746.0;
constexpr double kHighest = 710.0;
constexpr int kDegree = 13;
/// 1 / n!, n = 0 .. kDegree; the factorials are exact in a double.
constexpr std::array<double, kDegree + 1> kTaylor = [] {
  std::array<double, kDegree + 1> coefficients{};
  double factorial = 1;
  for (std::size_t n = 0; n < coefficients.size(); ++n) {
    if (n > 0) factorial *= static_cast<double>(n);
    coefficients[n] = 1 / factorial;
  }
  return coefficients;
}();

}  // namespace

// The clamps compare as MAXPD (kLowest, x) and MINPD (kHighest, x) do: NaN stays.
double scalar(double x) noexcept {
  x = kLowest > x ? kLowest : x;
  x = kHighest < x ? kHighest : x;
  const double k = std::nearbyint(x * kLog2e);
  const double r = std::fma(-k, kLn2Low, std::fma(-k, kLn2High, x));
  double p = kTaylor[kDegree];
  for (int n = kDegree - 1; n >= 0; --n)
    p = std::fma(p, r, kTaylor[static_cast<std::size_t>(n)]);
  return std::ldexp(p, static_cast<int>(k));
}

__m128d two_scalars(__m128d x) noexcept {
  return __m128d{scalar(x[0]), scalar(x[1])};
}

namespace {

[[gnu::target("avx2,fma")]] __m256d power_of_two(__m128i exponent) {
  const __m256i biased =
      _mm256_add_epi64(_mm256_cvtepi32_epi64(exponent), _mm256_set1_epi64x(1023));
  return _mm256_castsi256_pd(_mm256_slli_epi64(biased, 52));
}

}  // namespace

__m256d avx2(__m256d x) noexcept {
  x = _mm256_max_pd(_mm256_set1_pd(kLowest), x);
  x = _mm256_min_pd(_mm256_set1_pd(kHighest), x);
  const __m256d k = _mm256_round_pd(_mm256_mul_pd(x, _mm256_set1_pd(kLog2e)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  const __m256d r = _mm256_fnmadd_pd(k, _mm256_set1_pd(kLn2Low),
                                     _mm256_fnmadd_pd(k, _mm256_set1_pd(kLn2High), x));
  __m256d p = _mm256_set1_pd(kTaylor[kDegree]);
  for (int n = kDegree - 1; n >= 0; --n)
    p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(kTaylor[static_cast<std::size_t>(n)]));
  // 2^k as two normal factors: p 2^(k/2) is exact, so the product rounds once, as ldexp's.
  const __m128i whole = _mm256_cvtpd_epi32(k);
  const __m128i half = _mm_srai_epi32(whole, 1);
  return _mm256_mul_pd(_mm256_mul_pd(p, power_of_two(half)),
                       power_of_two(_mm_sub_epi32(whole, half)));
}

__m512d avx512(__m512d x) noexcept {
  x = _mm512_max_pd(_mm512_set1_pd(kLowest), x);
  x = _mm512_min_pd(_mm512_set1_pd(kHighest), x);
  const __m512d k = _mm512_roundscale_pd(_mm512_mul_pd(x, _mm512_set1_pd(kLog2e)),
                                         _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  const __m512d r = _mm512_fnmadd_pd(k, _mm512_set1_pd(kLn2Low),
                                     _mm512_fnmadd_pd(k, _mm512_set1_pd(kLn2High), x));
  __m512d p = _mm512_set1_pd(kTaylor[kDegree]);
  for (int n = kDegree - 1; n >= 0; --n)
    p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(kTaylor[static_cast<std::size_t>(n)]));
  return _mm512_scalef_pd(p, k);  // p 2^k, rounded once
}

}  // namespace joblet::detail::vector_exp

#endif  // JOBLET_DETAIL_LIBMVEC
