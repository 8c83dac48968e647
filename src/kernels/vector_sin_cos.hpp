// joblet's own sin and cos for kernels::sin and kernels::cos (vector_math.cpp calls them
// through the vector function ABI).
//
// x = q pi/2 + r, with q the integer nearest x 2/pi and r = x - q pi/2 (pi/2 in three parts
// with fused multiply-adds: the first product cancels exactly, so r keeps its relative
// accuracy even where x lies close to a multiple of pi/2), |r| <= pi/4. q mod 4 picks sin r or
// cos r and the sign. Both are minimax polynomials in r^2 of seven coefficients, and a lane
// selects its coefficients, so one chain of multiply-adds serves both: 13 multiplies per
// vector where two chains took 19. In a map on one core sin took 0.82 / 0.94 / 1.06 of numpy's
// exp time on 10^7 elements, cos 0.80 / 0.93 / 1.23, and glibc's vector sin and cos 1.08 and
// 1.14 (medians; bench/compare_kernels.py, 2026-12-05). Arguments beyond 2^24 in magnitude,
// infinities and NaN go to std::sin and std::cos lane by lane. Within 1.5 ulp of the correctly
// rounded result (glibc's are within 0.52); every version does the same IEEE operations in the same
// order, so all give the same bits, on every machine for |x| <= 2^24.
#pragma once

#include "joblet/vector_math.hpp"

#ifdef JOBLET_DETAIL_LIBMVEC

#include <immintrin.h>

namespace joblet::detail::vector_sin_cos {

double sin(double x) noexcept;
double cos(double x) noexcept;
__m128d sin_two_scalars(__m128d x) noexcept;
__m128d cos_two_scalars(__m128d x) noexcept;
/// Only where the CPU has AVX2 and FMA.
[[gnu::target("avx2,fma")]] __m256d sin_avx2(__m256d x) noexcept;
[[gnu::target("avx2,fma")]] __m256d cos_avx2(__m256d x) noexcept;
/// Only where the CPU has AVX-512F.
[[gnu::target("avx512f")]] __m512d sin_avx512(__m512d x) noexcept;
[[gnu::target("avx512f")]] __m512d cos_avx512(__m512d x) noexcept;

}  // namespace joblet::detail::vector_sin_cos

#endif  // JOBLET_DETAIL_LIBMVEC
