// joblet::kernels against the loops they replace: a plain -O3 loop, OpenMP, TBB and
// std::reduce(std::execution::par), on map, zip and reduce over 10^7 elements, the STREAM triad,
// 10^3-element calls, a 2-d broadcast zip, vectorised exp (kernels::exp, and std::exp under
// -ffast-math), sin and cos, and the GCC 12 simd-reduction trap.
// bench/compare_kernels.py runs it with bench/numba_kernels.py and prints the report.
//
// Every benchmark times its contenders in turn, in an order rotated from iteration to
// iteration, and reports each one's mean wall time per call as a counter "<contender>_us":
// ratios are then taken between calls made milliseconds apart, which is what a shared,
// noisy machine allows. Every contender's result is checked against the plain loop's before
// anything is timed.
//
// This one file is four translation units (see bench/CMakeLists.txt): compiler flags are the
// subject of two cases, and flags apply to whole translation units.
//   KERNELS_BENCH_PART undefined: everything else, with the build's flags (-O3) and -fopenmp.
//   KERNELS_BENCH_PART == 1: the exp map with -ffast-math, so that glibc's <math.h> declares
//     its vector variants (libmvec, _ZGVbN2v_exp for SSE2) and the compiler can call them.
//   KERNELS_BENCH_PART == 2: the same with -march=native as well (_ZGVeN8v_exp with AVX-512),
//     the instruction set numpy's own exp dispatches to at run time.
//   KERNELS_BENCH_PART == 3: the simd reduction written in a lambda that reads the pointer and
//     size through by-reference captures, next to one that copies them into locals, with
//     -march=native: GCC 12 turns the first into AVX-512 gathers.
// The parts exchange raw pointers only, so that no inline function of a header is compiled
// with two sets of flags in a way that matters.

#include <cstddef>
#include <cstdint>

#if defined(KERNELS_BENCH_PART) && (KERNELS_BENCH_PART == 1 || KERNELS_BENCH_PART == 2)

#include <cmath>
#include <joblet/kernels.hpp>
#include <span>

#if KERNELS_BENCH_PART == 1
#define KERNELS_BENCH_VECTOR_MATH fast_math
#else
#define KERNELS_BENCH_VECTOR_MATH fast_math_native
#endif

namespace kbench::KERNELS_BENCH_VECTOR_MATH {

[[gnu::noinline]] void exp_plain_loop(const double* x, double* y, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    y[i] = std::exp(x[i]);
}

[[gnu::noinline]] void exp_joblet_map(const double* x, double* y, std::size_t n) {
  joblet::kernels::map(std::span<const double>(x, n), std::span<double>(y, n),
                       [](double v) { return std::exp(v); });
}

}  // namespace kbench::KERNELS_BENCH_VECTOR_MATH

#elif defined(KERNELS_BENCH_PART) && KERNELS_BENCH_PART == 3

#include <algorithm>
#include <joblet/kernels.hpp>
#include <vector>

namespace kbench::native {

// NOLINTBEGIN(readability-function-cognitive-complexity)
[[gnu::noinline]] double omp_simd_sum_captured_by_reference(const double* x, std::size_t n) {
  const double* data = x;
  const std::size_t size = n;
  const auto body = [&] {
    double total = 0;
#pragma omp parallel for simd reduction(+ : total)
    for (std::size_t i = 0; i < size; ++i)
      total += data[i];
    return total;
  };
  return body();
}

[[gnu::noinline]] double omp_simd_sum_local_copies(const double* x, std::size_t n) {
  const double* data = x;
  const std::size_t size = n;
  const auto body = [&] {
    const double* const local_data = data;
    const std::size_t local_size = size;
    double total = 0;
#pragma omp parallel for simd reduction(+ : total)
    for (std::size_t i = 0; i < local_size; ++i)
      total += local_data[i];
    return total;
  };
  return body();
}

// The same two ways of writing it, as a prange-style kernel on joblet::kernels::parallel_for:
// one part per 4096 elements, each summed with an `omp simd` reduction.
constexpr std::size_t kPart = 4096;

[[gnu::noinline]] double joblet_simd_sum_captured_by_reference(const double* x, std::size_t n) {
  const double* data = x;
  const std::size_t size = n;
  std::vector<double> partial((size + kPart - 1) / kPart);
  joblet::kernels::parallel_for(
      partial.size(),
      [&](std::size_t part) {
        double total = 0;
#pragma omp simd reduction(+ : total)
        for (std::size_t i = part * kPart; i < std::min(size, (part + 1) * kPart); ++i)
          total += data[i];
        partial[part] = total;
      },
      4);
  double sum = 0;
  for (const double value : partial)
    sum += value;
  return sum;
}

[[gnu::noinline]] double joblet_simd_sum_local_copies(const double* x, std::size_t n) {
  std::vector<double> partial((n + kPart - 1) / kPart);
  double* const out = partial.data();
  joblet::kernels::parallel_for(
      partial.size(),
      [x, n, out](std::size_t part) {
        const double* const begin = x + part * kPart;
        const std::size_t count = std::min(n, (part + 1) * kPart) - part * kPart;
        double total = 0;
#pragma omp simd reduction(+ : total)
        for (std::size_t i = 0; i < count; ++i)
          total += begin[i];
        out[part] = total;
      },
      4);
  double sum = 0;
  for (const double value : partial)
    sum += value;
  return sum;
}
// NOLINTEND(readability-function-cognitive-complexity)

}  // namespace kbench::native

#else

#include <benchmark/benchmark.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/parallel_reduce.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <execution>
#include <functional>
#include <joblet/kernels.hpp>
#include <numeric>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "side_by_side.hpp"

namespace kbench {
namespace fast_math {
void exp_plain_loop(const double* x, double* y, std::size_t n);
void exp_joblet_map(const double* x, double* y, std::size_t n);
}  // namespace fast_math
namespace fast_math_native {
void exp_plain_loop(const double* x, double* y, std::size_t n);
void exp_joblet_map(const double* x, double* y, std::size_t n);
}  // namespace fast_math_native
namespace native {
double omp_simd_sum_captured_by_reference(const double* x, std::size_t n);
double omp_simd_sum_local_copies(const double* x, std::size_t n);
double joblet_simd_sum_captured_by_reference(const double* x, std::size_t n);
double joblet_simd_sum_local_copies(const double* x, std::size_t n);
}  // namespace native
}  // namespace kbench

namespace kbench {
namespace {

namespace jk = joblet::kernels;
using side_by_side::Contender;
using side_by_side::kMicroseconds;
using side_by_side::run_in_turn;

constexpr std::size_t kLarge = 10'000'000;
constexpr std::size_t kSmall = 1'000;
// 10^3-element calls are timed this many at a time: one clock read per call would cost about
// as much as the call.
constexpr int kSmallCalls = 2'000;
constexpr std::size_t kRows = 2'000;
constexpr std::size_t kColumns = 5'000;
constexpr double kScalar = 3.0;  // c in a*b+c, s in the triad

// The arrays every case reads and writes, allocated and first touched once.
struct Arrays {
  std::vector<double> x, y, a, b, c, bias, expected;
  std::vector<std::int64_t> k;

  Arrays()
      : x(kLarge),
        y(kLarge),
        a(kLarge),
        b(kLarge),
        c(kLarge),
        bias(kColumns),
        expected(kLarge),
        k(kLarge) {
    // Values in [-1, 1): exp stays finite and sums do not cancel to nothing.
    std::uint64_t state = 42;
    auto next = [&state] {
      state = state * 6364136223846793005U + 1442695040888963407U;
      return static_cast<double>(state >> 11U) * 0x1.0p-52 - 1.0;
    };
    for (std::size_t i = 0; i < kLarge; ++i) {
      x[i] = next();
      a[i] = next();
      b[i] = next();
      c[i] = next();
      k[i] = static_cast<std::int64_t>(state >> 40U) - (std::int64_t{1} << 23);
    }
    for (double& value : bias)
      value = next();
  }
};

Arrays& arrays() {
  static Arrays instance;
  return instance;
}

// --- contenders ------------------------------------------------------------------------------
// Each takes pointers and sizes by value: a loop that reads them through a reference is the
// trap that KERNELS_BENCH_PART 3 keeps. The plain loops that compare_kernels.py disassembles
// are kept out of line, so that they have a symbol of their own.

[[gnu::noinline]] void map_square_plain(const double* x, double* y, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    y[i] = x[i] * x[i] + 1.0;
}
void map_square_omp(const double* x, double* y, std::size_t n) {
#pragma omp parallel for schedule(static)
  for (std::size_t i = 0; i < n; ++i)
    y[i] = x[i] * x[i] + 1.0;
}
void map_square_tbb(const double* x, double* y, std::size_t n) {
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n),
                    [x, y](const tbb::blocked_range<std::size_t>& range) {
                      for (std::size_t i = range.begin(); i < range.end(); ++i)
                        y[i] = x[i] * x[i] + 1.0;
                    });
}
void joblet_map_square(const double* x, double* y, std::size_t n) {
  jk::map(std::span<const double>(x, n), std::span<double>(y, n),
          [](double v) { return v * v + 1.0; });
}

void map_exp_plain(const double* x, double* y, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    y[i] = std::exp(x[i]);
}
void map_exp_omp(const double* x, double* y, std::size_t n) {
#pragma omp parallel for schedule(static)
  for (std::size_t i = 0; i < n; ++i)
    y[i] = std::exp(x[i]);
}
void map_exp_tbb(const double* x, double* y, std::size_t n) {
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n),
                    [x, y](const tbb::blocked_range<std::size_t>& range) {
                      for (std::size_t i = range.begin(); i < range.end(); ++i)
                        y[i] = std::exp(x[i]);
                    });
}
void joblet_map_exp(const double* x, double* y, std::size_t n) {
  jk::map(std::span<const double>(x, n), std::span<double>(y, n),
          [](double v) { return std::exp(v); });
}
// kernels::exp: glibc's vector exp without -ffast-math, and map's loop compiled for AVX2 and
// AVX-512 too, so that this default-flags build runs the widest the CPU has.
[[gnu::noinline]] void plain_loop_kernels_exp(const double* x, double* y, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    y[i] = jk::exp(x[i]);
}
void joblet_map_kernels_exp(const double* x, double* y, std::size_t n) {
  jk::map(std::span<const double>(x, n), std::span<double>(y, n),
          [](double v) { return jk::exp(v); });
}
// sin and cos, whose kernels:: versions are joblet's own vector ones, against a scalar loop.
template <bool kCosine>
void plain_loop_trig(const double* x, double* y, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    y[i] = kCosine ? std::cos(x[i]) : std::sin(x[i]);
}
template <bool kCosine>
void joblet_map_kernels_trig(const double* x, double* y, std::size_t n) {
  jk::map(std::span<const double>(x, n), std::span<double>(y, n),
          [](double v) { return kCosine ? jk::cos(v) : jk::sin(v); });
}

// A kernel called from inside another kernel's function runs on the calling thread alone:
// the documented way to time a kernel on one core.
template <class Kernel>
void on_one_thread(const Kernel& kernel) {
  jk::parallel_for(
      1, [&kernel](std::size_t) { kernel(); }, 1);
}

void zip_fma_plain(const double* a, const double* b, double* y, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    y[i] = a[i] * b[i] + kScalar;
}
void zip_fma_omp(const double* a, const double* b, double* y, std::size_t n) {
#pragma omp parallel for schedule(static)
  for (std::size_t i = 0; i < n; ++i)
    y[i] = a[i] * b[i] + kScalar;
}
void zip_fma_tbb(const double* a, const double* b, double* y, std::size_t n) {
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n),
                    [a, b, y](const tbb::blocked_range<std::size_t>& range) {
                      for (std::size_t i = range.begin(); i < range.end(); ++i)
                        y[i] = a[i] * b[i] + kScalar;
                    });
}
void joblet_zip_fma(const double* a, const double* b, double* y, std::size_t n) {
  jk::zip(std::span<const double>(a, n), std::span<const double>(b, n), std::span<double>(y, n),
          [](double u, double v) { return u * v + kScalar; });
}

// STREAM's triad, a[i] = b[i] + s * c[i], written as STREAM writes it.
void triad_omp(double* a, const double* b, const double* c, std::size_t n) {
#pragma omp parallel for schedule(static)
  for (std::size_t i = 0; i < n; ++i)
    a[i] = b[i] + kScalar * c[i];
}
void triad_plain(double* a, const double* b, const double* c, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    a[i] = b[i] + kScalar * c[i];
}
void triad_tbb(double* a, const double* b, const double* c, std::size_t n) {
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n),
                    [a, b, c](const tbb::blocked_range<std::size_t>& range) {
                      for (std::size_t i = range.begin(); i < range.end(); ++i)
                        a[i] = b[i] + kScalar * c[i];
                    });
}
void joblet_triad(double* a, const double* b, const double* c, std::size_t n) {
  jk::zip(std::span<const double>(b, n), std::span<const double>(c, n), std::span<double>(a, n),
          [](double u, double v) { return u + kScalar * v; });
}

template <class T>
[[gnu::noinline]] T sum_plain(const T* x, std::size_t n) {
  T total = 0;
  for (std::size_t i = 0; i < n; ++i)
    total += x[i];
  return total;
}
template <class T>
T sum_omp(const T* x, std::size_t n) {
  T total = 0;
#pragma omp parallel for reduction(+ : total) schedule(static)
  for (std::size_t i = 0; i < n; ++i)
    total += x[i];
  return total;
}
template <class T>
T sum_omp_simd(const T* x, std::size_t n) {
  T total = 0;
#pragma omp parallel for simd reduction(+ : total) schedule(static)
  for (std::size_t i = 0; i < n; ++i)
    total += x[i];
  return total;
}
template <class T>
T sum_tbb(const T* x, std::size_t n) {
  return tbb::parallel_reduce(
      tbb::blocked_range<std::size_t>(0, n), T{0},
      [x](const tbb::blocked_range<std::size_t>& range, T total) {
        for (std::size_t i = range.begin(); i < range.end(); ++i)
          total += x[i];
        return total;
      },
      std::plus<>{});
}
template <class T>
T sum_std_par(const T* x, std::size_t n) {
  return std::reduce(std::execution::par, x, x + n, T{0});
}
template <class T>
T joblet_reduce_sum(const T* x, std::size_t n) {
  return jk::reduce(std::span<const T>(x, n), T{0}, std::plus<>{});
}

void broadcast_plain(const double* image, const double* bias, double* out) {
  for (std::size_t row = 0; row < kRows; ++row) {
    const double* const in_row = image + row * kColumns;
    double* const out_row = out + row * kColumns;
    for (std::size_t column = 0; column < kColumns; ++column)
      out_row[column] = in_row[column] - bias[column];
  }
}
void broadcast_omp(const double* image, const double* bias, double* out) {
#pragma omp parallel for schedule(static)
  for (std::size_t row = 0; row < kRows; ++row) {
    const double* const in_row = image + row * kColumns;
    double* const out_row = out + row * kColumns;
    for (std::size_t column = 0; column < kColumns; ++column)
      out_row[column] = in_row[column] - bias[column];
  }
}
// NOLINTNEXTLINE(readability-non-const-parameter): zip writes out through the View
void joblet_broadcast_zip(const double* image, const double* bias, double* out) {
  jk::zip(jk::View<const double>{image, {kRows, kColumns}},
          jk::View<const double>{bias, {1, kColumns}}, jk::View<double>{out, {kRows, kColumns}},
          std::minus<>{});
}

// --- timing in turn --------------------------------------------------------------------------

// --- checks ----------------------------------------------------------------------------------

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error("kernels_bench: " + what);
}

// Elementwise results: bit-equal to the plain loop's, or within `tolerance` relative error
// where the contender may use another exp.
void check_outputs(const std::string& label, std::span<const double> expected,
                   std::span<const double> got, double tolerance = 0.0) {
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const double error = std::abs(got[i] - expected[i]);
    if (error > tolerance * std::abs(expected[i]) || std::isnan(got[i])) {
      fail(label + ": element " + std::to_string(i) + " is " + std::to_string(got[i]) +
           ", the plain loop gave " + std::to_string(expected[i]));
    }
  }
}

template <class T>
void check_sum(const std::string& label, T expected, T got) {
  bool same = expected == got;
  if constexpr (std::is_floating_point_v<T>) {
    same = std::abs(got - expected) <= 1e-9 * std::max<T>(1, std::abs(expected));
  }
  if (!same) {
    fail(label + ": sum is " + std::to_string(got) + ", the plain loop gave " +
         std::to_string(expected));
  }
}

// An elementwise case's contenders all write `out`; each is run once and compared with the
// plain loop before timing starts.
void check_elementwise(std::span<double> out, std::span<double> expected,
                       const std::vector<Contender>& contenders, double tolerance = 0.0) {
  contenders.front().run();
  std::copy(out.begin(), out.end(), expected.begin());
  for (std::size_t c = 1; c < contenders.size(); ++c) {
    std::fill(out.begin(), out.end(), std::nan(""));
    contenders[c].run();
    check_outputs(contenders[c].name, expected, out, tolerance);
  }
}

// --- benchmarks ------------------------------------------------------------------------------

Contender triad_reference() {
  Arrays& d = arrays();
  return {"stream_triad_omp", [&d] { triad_omp(d.a.data(), d.b.data(), d.c.data(), kLarge); }};
}

void bench_map_square(benchmark::State& state) {
  Arrays& d = arrays();
  const double* x = d.x.data();
  double* y = d.y.data();
  const std::vector<Contender> contenders{
      {"plain", [=] { map_square_plain(x, y, kLarge); }},
      {"omp", [=] { map_square_omp(x, y, kLarge); }},
      {"tbb", [=] { map_square_tbb(x, y, kLarge); }},
      {"joblet", [=] { joblet_map_square(x, y, kLarge); }},
  };
  check_elementwise(d.y, d.expected, contenders);
  auto timed = contenders;
  timed.push_back(triad_reference());
  run_in_turn(state, timed, kMicroseconds);
}

void bench_map_exp(benchmark::State& state) {
  Arrays& d = arrays();
  const double* x = d.x.data();
  double* y = d.y.data();
  const std::vector<Contender> contenders{
      {"plain", [=] { map_exp_plain(x, y, kLarge); }},
      {"omp", [=] { map_exp_omp(x, y, kLarge); }},
      {"tbb", [=] { map_exp_tbb(x, y, kLarge); }},
      {"joblet", [=] { joblet_map_exp(x, y, kLarge); }},
      {"joblet_1thread", [=] { on_one_thread([=] { joblet_map_exp(x, y, kLarge); }); }},
  };
  check_elementwise(d.y, d.expected, contenders);
  run_in_turn(state, contenders, kMicroseconds);
}

// exp through glibc's vector variants: the plain glibc loop first, as the reference.
void bench_map_exp_vector_math(benchmark::State& state) {
  Arrays& d = arrays();
  const double* x = d.x.data();
  double* y = d.y.data();
  const std::vector<Contender> contenders{
      {"plain_scalar_glibc", [=] { map_exp_plain(x, y, kLarge); }},
      {"plain_kernels_exp", [=] { plain_loop_kernels_exp(x, y, kLarge); }},
      {"joblet_kernels_exp", [=] { joblet_map_kernels_exp(x, y, kLarge); }},
      {"joblet_kernels_exp_1thread",
       [=] { on_one_thread([=] { joblet_map_kernels_exp(x, y, kLarge); }); }},
      {"plain_fast_math", [=] { fast_math::exp_plain_loop(x, y, kLarge); }},
      {"joblet_fast_math", [=] { fast_math::exp_joblet_map(x, y, kLarge); }},
      {"joblet_fast_math_1thread",
       [=] { on_one_thread([=] { fast_math::exp_joblet_map(x, y, kLarge); }); }},
      {"plain_fast_math_native", [=] { fast_math_native::exp_plain_loop(x, y, kLarge); }},
      {"joblet_fast_math_native", [=] { fast_math_native::exp_joblet_map(x, y, kLarge); }},
      {"joblet_fast_math_native_1thread",
       [=] { on_one_thread([=] { fast_math_native::exp_joblet_map(x, y, kLarge); }); }},
  };
  // glibc's vector exp is within 4 ulp of the correctly rounded result.
  check_elementwise(d.y, d.expected, contenders, 1e-14);
  run_in_turn(state, contenders, kMicroseconds);
}

// One core, as numpy's np.sin and np.cos run, for compare_kernels.py's per-core ratios.
template <bool kCosine>
void bench_map_trig(benchmark::State& state) {
  Arrays& d = arrays();
  const double* x = d.x.data();
  double* y = d.y.data();
  const std::vector<Contender> contenders{
      {"plain_scalar_glibc", [=] { plain_loop_trig<kCosine>(x, y, kLarge); }},
      {"joblet_kernels_1thread",
       [=] { on_one_thread([=] { joblet_map_kernels_trig<kCosine>(x, y, kLarge); }); }},
  };
  check_elementwise(d.y, d.expected, contenders, 1e-14);
  run_in_turn(state, contenders, kMicroseconds);
}

void bench_zip_fma(benchmark::State& state) {
  Arrays& d = arrays();
  const double* a = d.a.data();
  const double* b = d.b.data();
  double* y = d.y.data();
  const std::vector<Contender> contenders{
      {"plain", [=] { zip_fma_plain(a, b, y, kLarge); }},
      {"omp", [=] { zip_fma_omp(a, b, y, kLarge); }},
      {"tbb", [=] { zip_fma_tbb(a, b, y, kLarge); }},
      {"joblet", [=] { joblet_zip_fma(a, b, y, kLarge); }},
  };
  check_elementwise(d.y, d.expected, contenders);
  auto timed = contenders;
  timed.push_back(triad_reference());
  run_in_turn(state, timed, kMicroseconds);
}

void bench_triad(benchmark::State& state) {
  Arrays& d = arrays();
  double* a = d.a.data();
  const double* b = d.b.data();
  const double* c = d.c.data();
  const std::vector<Contender> contenders{
      {"plain", [=] { triad_plain(a, b, c, kLarge); }},
      {"omp", [=] { triad_omp(a, b, c, kLarge); }},
      {"tbb", [=] { triad_tbb(a, b, c, kLarge); }},
      {"joblet", [=] { joblet_triad(a, b, c, kLarge); }},
  };
  check_elementwise(d.a, d.expected, contenders);
  run_in_turn(state, contenders, kMicroseconds);
}

template <class T>
void bench_reduce(benchmark::State& state, const std::vector<T>& values) {
  const T* x = values.data();
  T sink{};
  const std::vector<std::pair<std::string, std::function<T()>>> sums{
      {"plain", [=] { return sum_plain(x, kLarge); }},
      {"omp", [=] { return sum_omp(x, kLarge); }},
      {"omp_simd", [=] { return sum_omp_simd(x, kLarge); }},
      {"tbb", [=] { return sum_tbb(x, kLarge); }},
      {"std_reduce_par", [=] { return sum_std_par(x, kLarge); }},
      {"joblet", [=] { return joblet_reduce_sum(x, kLarge); }},
  };
  const T expected = sums.front().second();
  std::vector<Contender> contenders;
  for (const auto& [name, sum] : sums) {
    check_sum(name, expected, sum());
    contenders.push_back({name, [&sink, call = sum] { benchmark::DoNotOptimize(sink = call()); }});
  }
  contenders.push_back(triad_reference());
  run_in_turn(state, contenders, kMicroseconds);
}

// 10^3 elements: below every parallel grain, so this is joblet's per-call cost against a
// loop the compiler inlines.
void bench_small(benchmark::State& state) {
  Arrays& d = arrays();
  const double* x = d.x.data();
  const double* b = d.b.data();
  const std::int64_t* k = d.k.data();
  double* y = d.y.data();
  double f64_sink = 0;
  std::int64_t i64_sink = 0;
  auto repeat = [](auto call) {
    return [call] {
      for (int i = 0; i < kSmallCalls; ++i) {
        call();
        benchmark::ClobberMemory();
      }
    };
  };
  auto contender = [&repeat](std::string name, auto call) {
    return Contender{std::move(name), repeat(call), kSmallCalls};
  };
  check_sum("small reduce f64", sum_plain(x, kSmall), joblet_reduce_sum(x, kSmall));
  check_sum("small reduce i64", sum_plain(k, kSmall), joblet_reduce_sum(k, kSmall));
  map_square_plain(x, y, kSmall);
  const std::vector<double> expected(y, y + kSmall);
  joblet_map_square(x, y, kSmall);
  check_outputs("small map", expected, std::span<const double>(y, kSmall));
  const std::vector<Contender> contenders{
      contender("map_plain", [=] { map_square_plain(x, y, kSmall); }),
      contender("map_joblet", [=] { joblet_map_square(x, y, kSmall); }),
      contender("zip_plain", [=] { zip_fma_plain(x, b, y, kSmall); }),
      contender("zip_joblet", [=] { joblet_zip_fma(x, b, y, kSmall); }),
      contender("reduce_f64_plain",
                [x, &f64_sink] { benchmark::DoNotOptimize(f64_sink = sum_plain(x, kSmall)); }),
      contender(
          "reduce_f64_joblet",
          [x, &f64_sink] { benchmark::DoNotOptimize(f64_sink = joblet_reduce_sum(x, kSmall)); }),
      contender("reduce_i64_plain",
                [k, &i64_sink] { benchmark::DoNotOptimize(i64_sink = sum_plain(k, kSmall)); }),
      contender(
          "reduce_i64_joblet",
          [k, &i64_sink] { benchmark::DoNotOptimize(i64_sink = joblet_reduce_sum(k, kSmall)); }),
  };
  run_in_turn(state, contenders, kMicroseconds);
}

void bench_broadcast(benchmark::State& state) {
  Arrays& d = arrays();
  const double* image = d.x.data();
  const double* bias = d.bias.data();
  double* out = d.y.data();
  const std::vector<Contender> contenders{
      {"plain", [=] { broadcast_plain(image, bias, out); }},
      {"omp", [=] { broadcast_omp(image, bias, out); }},
      {"joblet", [=] { joblet_broadcast_zip(image, bias, out); }},
  };
  check_elementwise(d.y, d.expected, contenders);
  run_in_turn(state, contenders, kMicroseconds);
}

void bench_simd_trap(benchmark::State& state) {
  const double* x = arrays().x.data();
  double sink = 0;
  const std::vector<std::pair<std::string, std::function<double()>>> sums{
      {"omp_local_copies", [=] { return native::omp_simd_sum_local_copies(x, kLarge); }},
      {"omp_captured_by_reference",
       [=] { return native::omp_simd_sum_captured_by_reference(x, kLarge); }},
      {"joblet_local_copies", [=] { return native::joblet_simd_sum_local_copies(x, kLarge); }},
      {"joblet_captured_by_reference",
       [=] { return native::joblet_simd_sum_captured_by_reference(x, kLarge); }},
  };
  const double expected = sum_plain(x, kLarge);
  std::vector<Contender> contenders;
  for (const auto& [name, sum] : sums) {
    check_sum(name, expected, sum());
    contenders.push_back({name, [&sink, call = sum] { benchmark::DoNotOptimize(sink = call()); }});
  }
  run_in_turn(state, contenders, kMicroseconds);
}

void add(const std::string& name, void (*run)(benchmark::State&)) {
  benchmark::RegisterBenchmark(name.c_str(), run)->UseRealTime()->Unit(benchmark::kMillisecond);
}

void register_benchmarks() {
  add("map_square", bench_map_square);
  add("map_exp", bench_map_exp);
  add("map_exp_vector_math", bench_map_exp_vector_math);
  add("map_sin", bench_map_trig<false>);
  add("map_cos", bench_map_trig<true>);
  add("zip_fma", bench_zip_fma);
  add("triad", bench_triad);
  benchmark::RegisterBenchmark("reduce_f64",
                               [](benchmark::State& state) { bench_reduce(state, arrays().x); })
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("reduce_i64",
                               [](benchmark::State& state) { bench_reduce(state, arrays().k); })
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  add("small", bench_small);
  add("broadcast_2d", bench_broadcast);
  add("simd_trap", bench_simd_trap);
}

}  // namespace
}  // namespace kbench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("elements", std::to_string(kbench::kLarge));
  benchmark::AddCustomContext("small_elements", std::to_string(kbench::kSmall));
  benchmark::AddCustomContext("joblet_threads", std::to_string(joblet::kernels::threads()));
#ifndef __OPTIMIZE__
  benchmark::AddCustomContext("kernels_bench_warning",
                              "built without optimisation: configure with "
                              "-DCMAKE_BUILD_TYPE=Release");
#endif
  kbench::register_benchmarks();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

#endif
