// joblet's own sin and cos: the same IEEE operations in every version, so that all give the
// same bits.
#include "vector_sin_cos.hpp"

#ifdef JOBLET_DETAIL_LIBMVEC

#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>

// GCC 12 reports the _mm512_undefined_pd() inside its own AVX-512 intrinsics as used
// uninitialised once they are inlined (GCC bug 105593, fixed in GCC 13).
#pragma GCC diagnostic ignored "-Wuninitialized"

namespace joblet::detail::vector_sin_cos {
namespace {

constexpr double kTwoOverPi = 0x1.45f306dc9c883p-1;
// pi/2 = kHalfPi1 + kHalfPi2 + kHalfPi3 to 160 bits. Each part is rounded down, so that all
// are positive: q = 0 then subtracts -0 three times and r keeps the sign of a zero x.
constexpr double kHalfPi1 = 0x1.921fb54442d18p0;
constexpr double kHalfPi2 = 0x1.1a62633145c06p-54;
constexpr double kHalfPi3 = 0x1.c1cd129024e09p-107;
// Beyond it q pi/2 would no longer be exact to the last bit of r in three parts.
constexpr double kReductionLimit = 0x1p24;
// Adding 1.5 2^52 rounds to an integer and leaves it in the low bits of the mantissa.
constexpr double kRoundToInteger = 0x1.8p52;
constexpr std::uint64_t kSignBit = std::uint64_t{1} << 63U;
// sin r = r + r t p(t) and cos r = 1 + t q(t) on |r| <= pi/4, t = r^2: p and q are the minimax
// polynomials of scripts/fit_sin_cos.py (q's last coefficient is cos's -1/2), highest power
// first; with these rounded coefficients within 2^-57 of sin r relative to it, and 2^-59 of
// cos r. Both have seven, so that one chain of fused multiply-adds evaluates either in a lane.
constexpr std::array<double, 7> kSin{
    -0x1.aaa576a17b5d9p-41, 0x1.612093151809ap-33, -0x1.ae645298da95ep-26, 0x1.71de3a5339e1bp-19,
    -0x1.a01a01a018ae9p-13, 0x1.111111111110bp-7,  -0x1.5555555555555p-3,
};
constexpr std::array<double, 7> kCos{
    -0x1.8faece3bd3245p-37,
    0x1.1ee9ec45ec532p-29,
    -0x1.27e4f80a73d5dp-22,
    0x1.a01a019cb26bap-16,
    -0x1.6c16c16c15184p-10,
    0x1.555555555554cp-5,
    -0.5,
};

/// sin(x) is quadrant 0 of x; cos(x) = sin(x + pi/2), quadrant 1.
enum class Function : int { sin = 0, cos = 1 };

constexpr double rounding_constant(Function f) {
  return kRoundToInteger + static_cast<int>(f);
}

template <Function f>
double standard(double x) {
  return f == Function::sin ? std::sin(x) : std::cos(x);
}

/// Replaces the lanes in `mask` by the standard library's results: arguments too large for
/// the reduction, infinities and NaN.
template <Function f, std::size_t kLanes>
[[gnu::cold, gnu::noinline]] void standard_lanes(const std::array<double, kLanes>& x,
                                                 std::array<double, kLanes>& result,
                                                 unsigned mask) {
  for (std::size_t lane = 0; lane < kLanes; ++lane) {
    if (((mask >> lane) & 1U) != 0) result[lane] = standard<f>(x[lane]);
  }
}

// The quadrant n = q (sin) or q + 1 (cos) sits in the low bits of `shifted`: bit 0 picks
// the cos series, bit 1 the sign. Both series are a + a t u(t), a = r for sin and 1 for cos;
// the result is given a's sign so that sin(-0) is -0.
template <Function f>
double scalar(double x) {
  if (!(std::abs(x) <= kReductionLimit)) return standard<f>(x);
  const double shifted = std::fma(x, kTwoOverPi, rounding_constant(f));
  const double q = shifted - rounding_constant(f);
  double r = std::fma(-q, kHalfPi1, x);
  r = std::fma(-q, kHalfPi2, r);
  r = std::fma(-q, kHalfPi3, r);
  const double t = r * r;
  const auto quadrant = std::bit_cast<std::uint64_t>(shifted);
  const bool cos_series = (quadrant & 1U) != 0;
  const auto& coefficients = cos_series ? kCos : kSin;
  double u = coefficients[0];
  for (std::size_t n = 1; n < coefficients.size(); ++n)
    u = std::fma(u, t, coefficients[n]);
  const double a = cos_series ? 1.0 : r;
  const auto bits = std::bit_cast<std::uint64_t>(std::fma(a * t, u, a)) |
                    (std::bit_cast<std::uint64_t>(a) & kSignBit);
  return std::bit_cast<double>(bits ^ ((quadrant << 62U) & kSignBit));
}

template <Function f>
__m128d two_scalars(__m128d x) {
  return __m128d{scalar<f>(x[0]), scalar<f>(x[1])};
}

template <Function f>
[[gnu::target("avx2,fma")]] __m256d avx2(__m256d x) {
  const __m256d sign = _mm256_set1_pd(-0.0);
  const __m256d shifted =
      _mm256_fmadd_pd(x, _mm256_set1_pd(kTwoOverPi), _mm256_set1_pd(rounding_constant(f)));
  const __m256d q = _mm256_sub_pd(shifted, _mm256_set1_pd(rounding_constant(f)));
  __m256d r = _mm256_fnmadd_pd(q, _mm256_set1_pd(kHalfPi1), x);
  r = _mm256_fnmadd_pd(q, _mm256_set1_pd(kHalfPi2), r);
  r = _mm256_fnmadd_pd(q, _mm256_set1_pd(kHalfPi3), r);
  const __m256d t = _mm256_mul_pd(r, r);
  const __m256i quadrant = _mm256_castpd_si256(shifted);
  const __m256d cos_series = _mm256_castsi256_pd(_mm256_slli_epi64(quadrant, 63));
  __m256d u = _mm256_blendv_pd(_mm256_set1_pd(kSin[0]), _mm256_set1_pd(kCos[0]), cos_series);
  for (std::size_t n = 1; n < kSin.size(); ++n)
    u = _mm256_fmadd_pd(
        u, t, _mm256_blendv_pd(_mm256_set1_pd(kSin[n]), _mm256_set1_pd(kCos[n]), cos_series));
  const __m256d a = _mm256_blendv_pd(r, _mm256_set1_pd(1.0), cos_series);
  __m256d result = _mm256_or_pd(_mm256_fmadd_pd(_mm256_mul_pd(a, t), u, a), _mm256_and_pd(a, sign));
  result = _mm256_xor_pd(result,
                         _mm256_and_pd(_mm256_castsi256_pd(_mm256_slli_epi64(quadrant, 62)), sign));
  const auto beyond = static_cast<unsigned>(_mm256_movemask_pd(
      _mm256_cmp_pd(_mm256_andnot_pd(sign, x), _mm256_set1_pd(kReductionLimit), _CMP_NLE_UQ)));
  if (beyond == 0) return result;
  std::array<double, 4> lanes{};
  std::array<double, 4> results{};
  _mm256_storeu_pd(lanes.data(), x);
  _mm256_storeu_pd(results.data(), result);
  standard_lanes<f>(lanes, results, beyond);
  return _mm256_loadu_pd(results.data());
}

template <Function f>
[[gnu::target("avx512f")]] __m512d avx512(__m512d x) {
  const __m512i sign = _mm512_set1_epi64(static_cast<long long>(kSignBit));
  const __m512d shifted =
      _mm512_fmadd_pd(x, _mm512_set1_pd(kTwoOverPi), _mm512_set1_pd(rounding_constant(f)));
  const __m512d q = _mm512_sub_pd(shifted, _mm512_set1_pd(rounding_constant(f)));
  __m512d r = _mm512_fnmadd_pd(q, _mm512_set1_pd(kHalfPi1), x);
  r = _mm512_fnmadd_pd(q, _mm512_set1_pd(kHalfPi2), r);
  r = _mm512_fnmadd_pd(q, _mm512_set1_pd(kHalfPi3), r);
  const __m512d t = _mm512_mul_pd(r, r);
  const __m512i quadrant = _mm512_castpd_si512(shifted);
  const __mmask8 cos_series = _mm512_test_epi64_mask(quadrant, _mm512_set1_epi64(1));
  __m512d u = _mm512_mask_blend_pd(cos_series, _mm512_set1_pd(kSin[0]), _mm512_set1_pd(kCos[0]));
  for (std::size_t n = 1; n < kSin.size(); ++n)
    u = _mm512_fmadd_pd(
        u, t, _mm512_mask_blend_pd(cos_series, _mm512_set1_pd(kSin[n]), _mm512_set1_pd(kCos[n])));
  const __m512d a = _mm512_mask_blend_pd(cos_series, r, _mm512_set1_pd(1.0));
  const __m512i bits =
      _mm512_or_si512(_mm512_castpd_si512(_mm512_fmadd_pd(_mm512_mul_pd(a, t), u, a)),
                      _mm512_and_si512(_mm512_castpd_si512(a), sign));
  const __m512d result = _mm512_castsi512_pd(
      _mm512_xor_si512(bits, _mm512_and_si512(_mm512_slli_epi64(quadrant, 62), sign)));
  const auto beyond = static_cast<unsigned>(
      _mm512_cmp_pd_mask(_mm512_abs_pd(x), _mm512_set1_pd(kReductionLimit), _CMP_NLE_UQ));
  if (beyond == 0) return result;
  std::array<double, 8> lanes{};
  std::array<double, 8> results{};
  _mm512_storeu_pd(lanes.data(), x);
  _mm512_storeu_pd(results.data(), result);
  standard_lanes<f>(lanes, results, beyond);
  return _mm512_loadu_pd(results.data());
}

}  // namespace

double sin(double x) noexcept {
  return scalar<Function::sin>(x);
}
double cos(double x) noexcept {
  return scalar<Function::cos>(x);
}
__m128d sin_two_scalars(__m128d x) noexcept {
  return two_scalars<Function::sin>(x);
}
__m128d cos_two_scalars(__m128d x) noexcept {
  return two_scalars<Function::cos>(x);
}
__m256d sin_avx2(__m256d x) noexcept {
  return avx2<Function::sin>(x);
}
__m256d cos_avx2(__m256d x) noexcept {
  return avx2<Function::cos>(x);
}
__m512d sin_avx512(__m512d x) noexcept {
  return avx512<Function::sin>(x);
}
__m512d cos_avx512(__m512d x) noexcept {
  return avx512<Function::cos>(x);
}

}  // namespace joblet::detail::vector_sin_cos

#endif  // JOBLET_DETAIL_LIBMVEC
