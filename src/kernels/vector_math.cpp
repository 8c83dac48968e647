// The functions the compiler calls for joblet::kernels::exp, log, sin and cos: the scalar ones
// and, under the names GCC's simd attribute gives them (_ZGV<isa>N<lanes>v_<name>, the x86-64
// vector function ABI), the vector ones.
//
// Every entry point of a function computes with the widest version the CPU runs (AVX-512,
// else AVX2 with FMA, else SSE), however few lanes it was given, so that an element's bits do
// not depend on whether a loop's vector body or its scalar remainder computed it. log forwards
// to glibc's libmvec, whose versions do not always agree in the last bit (its AVX2 and AVX-512
// log differ for one argument in 30,000). exp, sin and cos are joblet's own, the same
// operations in every version, so their bits are the same on every machine; they are also
// faster than libmvec's, which numpy's exp outran (bench/compare_kernels.py).
#include "joblet/vector_math.hpp"

#include "vector_exp.hpp"
#include "vector_sin_cos.hpp"

#ifdef JOBLET_DETAIL_LIBMVEC

#include <immintrin.h>

// GCC 12 reports the _mm512_undefined_pd() inside its own AVX-512 intrinsics as used
// uninitialised once they are inlined (GCC bug 105593, fixed in GCC 13).
#pragma GCC diagnostic ignored "-Wuninitialized"

namespace {

enum class Widest { sse, avx2, avx512 };  // avx2: with FMA

Widest widest() {
  static const Widest level = [] {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return Widest::avx512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Widest::avx2;
    return Widest::sse;
  }();
  return level;
}

using Sse = __m128d(__m128d);
using Avx2 = __m256d(__m256d);
using Avx512 = __m512d(__m512d);

// Lanes beyond those given repeat them, computed and dropped: zeros there would send libmvec's
// log down its slow path for special arguments (log(0)) for every call. Shuffled in registers:
// built through memory, the wide load stalls on the narrow stores (5x slower per call).
template <Avx512 avx512>
[[gnu::target("avx512f")]] __m128d two_by_avx512(__m128d x) {
  const __m512d wide = _mm512_castpd128_pd512(x);
  const __m512d result = avx512(_mm512_shuffle_f64x2(wide, wide, 0));
  return __m128d{result[0], result[1]};
}

template <Avx2 avx2>
[[gnu::target("avx2")]] __m128d two_by_avx2(__m128d x) {
  const __m256d result = avx2(_mm256_insertf128_pd(_mm256_castpd128_pd256(x), x, 1));
  return __m128d{result[0], result[1]};
}

template <Sse sse, Avx2 avx2, Avx512 avx512>
__m128d two(__m128d x) {
  switch (widest()) {
    case Widest::avx512:
      return two_by_avx512<avx512>(x);
    case Widest::avx2:
      return two_by_avx2<avx2>(x);
    case Widest::sse:
      break;
  }
  return sse(x);
}

template <Sse sse, Avx2 avx2, Avx512 avx512>
double one(double x) {
  return two<sse, avx2, avx512>(__m128d{x, x})[0];
}

template <Avx512 avx512>
[[gnu::target("avx512f")]] __m256d four_by_avx512(__m256d x) {
  const __m512d wide = _mm512_castpd256_pd512(x);
  const __m512d result = avx512(_mm512_shuffle_f64x2(wide, wide, 0x44));
  return __m256d{result[0], result[1], result[2], result[3]};
}

template <Sse sse>
[[gnu::target("avx")]] __m256d four_by_sse(__m256d x) {
  const __m128d low = sse(__m128d{x[0], x[1]});
  const __m128d high = sse(__m128d{x[2], x[3]});
  return __m256d{low[0], low[1], high[0], high[1]};
}

template <Sse sse, Avx2 avx2, Avx512 avx512>
[[gnu::target("avx")]] __m256d four(__m256d x) {
  switch (widest()) {
    case Widest::avx512:
      return four_by_avx512<avx512>(x);
    case Widest::avx2:
      return avx2(x);
    case Widest::sse:
      break;
  }
  return four_by_sse<sse>(x);
}

}  // namespace

// b: SSE2, c: AVX, d: AVX2, e: AVX-512; N<lanes>, v: the argument is a vector.
// NOLINTBEGIN(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp): the vector ABI's names
// NOLINTBEGIN(cppcoreguidelines-macro-usage): extern "C" names are made by pasting tokens
#define JOBLET_ENTRY_POINTS(name, sse, avx2, avx512)                             \
  extern "C" {                                                                   \
  double joblet_kernels_##name(double x) noexcept {                              \
    return one<sse, avx2, avx512>(x);                                            \
  }                                                                              \
  __m128d _ZGVbN2v_joblet_kernels_##name(__m128d x) {                            \
    return two<sse, avx2, avx512>(x);                                            \
  }                                                                              \
  [[gnu::target("avx")]] __m256d _ZGVcN4v_joblet_kernels_##name(__m256d x) {     \
    return four<sse, avx2, avx512>(x);                                           \
  }                                                                              \
  [[gnu::target("avx2")]] __m256d _ZGVdN4v_joblet_kernels_##name(__m256d x) {    \
    return four<sse, avx2, avx512>(x);                                           \
  }                                                                              \
  [[gnu::target("avx512f")]] __m512d _ZGVeN8v_joblet_kernels_##name(__m512d x) { \
    return avx512(x);                                                            \
  }                                                                              \
  }

#define JOBLET_FORWARD_TO_LIBMVEC(name) \
  extern "C" {                          \
  __m128d _ZGVbN2v_##name(__m128d);     \
  __m256d _ZGVdN4v_##name(__m256d);     \
  __m512d _ZGVeN8v_##name(__m512d);     \
  }                                     \
  JOBLET_ENTRY_POINTS(name, _ZGVbN2v_##name, _ZGVdN4v_##name, _ZGVeN8v_##name)

JOBLET_ENTRY_POINTS(exp, joblet::detail::vector_exp::two_scalars, joblet::detail::vector_exp::avx2,
                    joblet::detail::vector_exp::avx512)
JOBLET_ENTRY_POINTS(sin, joblet::detail::vector_sin_cos::sin_two_scalars,
                    joblet::detail::vector_sin_cos::sin_avx2,
                    joblet::detail::vector_sin_cos::sin_avx512)
JOBLET_ENTRY_POINTS(cos, joblet::detail::vector_sin_cos::cos_two_scalars,
                    joblet::detail::vector_sin_cos::cos_avx2,
                    joblet::detail::vector_sin_cos::cos_avx512)
JOBLET_FORWARD_TO_LIBMVEC(log)

#undef JOBLET_FORWARD_TO_LIBMVEC
#undef JOBLET_ENTRY_POINTS
// NOLINTEND(cppcoreguidelines-macro-usage)
// NOLINTEND(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp)

#endif  // JOBLET_DETAIL_LIBMVEC
