// joblet's own exp for kernels::exp (vector_math.cpp calls it through the vector function ABI).
//
// exp(x) = 2^k exp(r), with k the integer nearest x / ln 2 and r = x - k ln 2 (ln 2 in two
// parts, so that r is exact to a few ulp), |r| <= ln 2 / 2, where the Taylor series to r^13
// is within 2^-60 of exp(r). Arguments are first clamped to [-746, 710], outside which exp is
// 0 or infinity; NaN passes through. Every version does the same IEEE operations (fused
// multiply-adds included) in the same order, so all give the same bits on every machine: at
// most 1 ulp from the correctly rounded result over the tests' arguments. In a map on one
// core the AVX-512 version took 0.88 / 0.93 / 1.09 of numpy's exp time on 10^7 elements, and
// glibc's AVX-512 vector exp 1.10 / 1.18 / 1.25 (bench/compare_kernels.py, 2026-12-05).
#pragma once

#include "joblet/vector_math.hpp"

#ifdef JOBLET_DETAIL_LIBMVEC

#include <immintrin.h>

namespace joblet::detail::vector_exp {

double scalar(double x) noexcept;
__m128d two_scalars(__m128d x) noexcept;
/// Only where the CPU has AVX2 and FMA.
[[gnu::target("avx2,fma")]] __m256d avx2(__m256d x) noexcept;
/// Only where the CPU has AVX-512F.
[[gnu::target("avx512f")]] __m512d avx512(__m512d x) noexcept;

}  // namespace joblet::detail::vector_exp

#endif  // JOBLET_DETAIL_LIBMVEC
