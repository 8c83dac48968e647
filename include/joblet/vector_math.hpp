// joblet — exp, log, sin and cos for the functions of map, zip and parallel_for: they
// vectorise without -ffast-math.
//
//     namespace jk = joblet::kernels;
//     jk::map(x, y, [](double v) { return jk::exp(v); });
//
// std::exp in a loop stays a call per element unless the file is compiled with -ffast-math
// (glibc declares the vector versions of its math functions only then). These have vector
// versions the compiler calls two, four or eight elements at a time, and map and zip compile
// their loops over floating-point elements for AVX2 and AVX-512 as well as for the build's
// own target, and run the widest the CPU has: a default x86-64 build gets AVX-512 where the
// machine has it. exp, sin and cos are joblet's own; log is glibc's vector math (libmvec).
//
// Accuracy and bits. exp is within 1 ulp of the correctly rounded result, sin and cos within
// 1.5, and they give the same bits on every machine (sin and cos for |x| <= 2^24; beyond, they
// are std::sin and std::cos). log is within 4 ulp (libmvec's bound; std::log is within 1), and
// may differ in the last bits between a machine with AVX2 and one without.
// Special values are those of std::exp and friends. On one machine an element gets the same
// bits wherever it sits in an array and however many threads run: every version of a function
// uses one algorithm there. Where libmvec is not available (other than x86-64 Linux with
// glibc) these are std::exp and friends.
#pragma once

#include <cmath>

#if defined(__x86_64__) && defined(__linux__) && defined(__GLIBC__)
#define JOBLET_DETAIL_LIBMVEC 1  // NOLINT(cppcoreguidelines-macro-usage): for #ifdef
#endif

#if defined(JOBLET_DETAIL_LIBMVEC) && defined(__GNUC__) && !defined(__clang__)
// Tells GCC that _ZGV{b,c,d,e}N{2,4,4,8}v_<name> exist (src/kernels/vector_math.cpp).
#define JOBLET_DETAIL_WITH_VECTOR_VERSIONS [[gnu::simd("notinbranch"), gnu::const]]
#else
#define JOBLET_DETAIL_WITH_VECTOR_VERSIONS [[gnu::const]]
#endif

namespace joblet::kernels {

#ifdef JOBLET_DETAIL_LIBMVEC
JOBLET_DETAIL_WITH_VECTOR_VERSIONS double exp(double x) noexcept __asm__("joblet_kernels_exp");
JOBLET_DETAIL_WITH_VECTOR_VERSIONS double log(double x) noexcept __asm__("joblet_kernels_log");
JOBLET_DETAIL_WITH_VECTOR_VERSIONS double sin(double x) noexcept __asm__("joblet_kernels_sin");
JOBLET_DETAIL_WITH_VECTOR_VERSIONS double cos(double x) noexcept __asm__("joblet_kernels_cos");
#else
inline double exp(double x) noexcept {
  return std::exp(x);
}
inline double log(double x) noexcept {
  return std::log(x);
}
inline double sin(double x) noexcept {
  return std::sin(x);
}
inline double cos(double x) noexcept {
  return std::cos(x);
}
#endif

}  // namespace joblet::kernels
