// joblet::kernels::exp, log, sin and cos: within 1 ulp (exp) or 4 of the standard library's,
// with its special values, and the same bits for an element wherever it sits in a map and
// however many threads run it; exp's versions for each instruction set give the same bits.
#include "joblet/vector_math.hpp"

#include <gtest/gtest.h>

#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "joblet/kernels.hpp"
#include "joblet/parallel.hpp"
#include "joblet/random.hpp"
#include "kernels/vector_exp.hpp"

namespace {

namespace jk = joblet::kernels;

using Function = double (*)(double);

struct MathFunction {
  std::string name;
  Function ours;
  Function standard;
  double low;  ///< random arguments are drawn from [low, high)
  double high;
  double max_ulps;  ///< from the standard library's result
};

// Through pointers read from volatile storage, so that the compiler cannot turn a loop of
// calls into calls of the vector versions: these are the scalar functions.
std::array<MathFunction, 4> math_functions() {
  return {{
      {"exp", [](double x) { return jk::exp(x); }, [](double x) { return std::exp(x); }, -745.5,
       710.0, 1},
      {"log", [](double x) { return jk::log(x); }, [](double x) { return std::log(x); }, 0x1p-1074,
       1e300, 4},
      {"sin", [](double x) { return jk::sin(x); }, [](double x) { return std::sin(x); }, -1e5, 1e5,
       4},
      {"cos", [](double x) { return jk::cos(x); }, [](double x) { return std::cos(x); }, -1e5, 1e5,
       4},
  }};
}

double scalar_call(Function function, double x) {
  const volatile Function opaque = function;
  return opaque(x);
}

/// Arguments in [low, high): half uniform, half spread evenly over the binades in between, so
/// that tiny and huge magnitudes are both well represented.
std::vector<double> arguments(const MathFunction& f, std::size_t n, std::uint64_t seed) {
  joblet::SplitMix64 rng(seed);
  std::vector<double> values(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double unit = static_cast<double>(rng() >> 11U) * 0x1p-53;
    if (i % 2 == 0 || f.low <= 0) {
      values[i] = f.low + unit * (f.high - f.low);
    } else {
      values[i] = std::exp2(std::log2(f.low) + unit * (std::log2(f.high) - std::log2(f.low)));
    }
  }
  return values;
}

/// How many units in the last place of `expected` lie between the two.
double ulps_apart(double got, double expected) {
  if (got == expected) return 0;
  const double unit = std::nextafter(std::abs(expected), std::numeric_limits<double>::infinity()) -
                      std::abs(expected);
  return std::abs(got - expected) / unit;
}

// exp is joblet's own, within 1 ulp; log, sin and cos are glibc's vector versions, within 4.
TEST(VectorMath, IsWithinItsUlpBoundOfTheStandardLibrary) {
  for (const MathFunction& f : math_functions()) {
    double worst = 0;
    double worst_at = 0;
    for (const double x : arguments(f, 200'000, 17)) {
      const double ulps = ulps_apart(scalar_call(f.ours, x), scalar_call(f.standard, x));
      if (ulps > worst) {
        worst = ulps;
        worst_at = x;
      }
    }
    EXPECT_LE(worst, f.max_ulps) << f.name << "(" << worst_at << ")";
  }
}

TEST(VectorMath, SpecialValuesAreThoseOfTheStandardLibrary) {
  constexpr double kInfinity = std::numeric_limits<double>::infinity();
  const std::array<double, 12> specials{
      0.0,    -0.0,    kInfinity, -kInfinity, std::numeric_limits<double>::quiet_NaN(),
      1000.0, -1000.0, 1e-310,    -1.0,       std::numeric_limits<double>::min(),
      710.0,  -746.0};
  for (const MathFunction& f : math_functions()) {
    for (const double x : specials) {
      const double got = scalar_call(f.ours, x);
      const double expected = scalar_call(f.standard, x);
      const std::string where = f.name + "(" + std::to_string(x) + ")";
      ASSERT_EQ(std::isnan(got), std::isnan(expected)) << where;
      if (std::isnan(expected)) continue;
      ASSERT_EQ(std::isinf(got), std::isinf(expected)) << where;
      ASSERT_EQ(got == 0, expected == 0) << where;
      ASSERT_EQ(std::signbit(got), std::signbit(expected)) << where;
      EXPECT_LE(ulps_apart(got, expected), f.max_ulps)
          << where << " = " << got << ", not " << expected;
    }
  }
}

/// The elements of map(in, fn) that differ from the scalar function, in bits.
template <class Fn>
std::size_t differing_bits(const std::vector<double>& in, std::size_t offset, std::size_t n, Fn fn,
                           Function scalar) {
  std::vector<double> out(n);
  jk::map(std::span(in).subspan(offset, n), out, fn);
  std::size_t differing = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double expected = scalar_call(scalar, in[offset + i]);
    if (std::bit_cast<std::uint64_t>(out[i]) != std::bit_cast<std::uint64_t>(expected)) {
      ++differing;
    }
  }
  return differing;
}

/// Over lengths and offsets that put each element in a loop's vector body at one call and in
/// its scalar remainder at another, and over sizes that split the loop among threads.
template <class Fn>
std::size_t differing_anywhere(const MathFunction& f, Fn fn) {
  const auto in = arguments(f, 3 * jk::kDefaultGrain + 64, 29);
  std::size_t differing = 0;
  for (std::size_t n = 1; n <= 40; ++n) {
    for (std::size_t offset = 0; offset < 8; ++offset)
      differing += differing_bits(in, offset, n, fn, f.ours);
  }
  differing += differing_bits(in, 5, 3 * jk::kDefaultGrain + 7, fn, f.ours);
  return differing;
}

std::size_t differing_in_every_map() {
  const auto functions = math_functions();
  return differing_anywhere(functions[0], [](double x) { return jk::exp(x); }) +
         differing_anywhere(functions[1], [](double x) { return jk::log(x); }) +
         differing_anywhere(functions[2], [](double x) { return jk::sin(x); }) +
         differing_anywhere(functions[3], [](double x) { return jk::cos(x); });
}

TEST(VectorMath, AnElementGetsTheScalarBitsWhereverItSitsAndOnAnyThreads) {
  EXPECT_EQ(differing_in_every_map(), 0U) << "outside any task, on every CPU";
  for (const int threads : {1, 2, 16}) {
    const auto differing =
        joblet::Parallel({.n_jobs = 1, .inner_threads = threads})
            .map([](int) { return differing_in_every_map(); }, std::vector<int>{0});
    EXPECT_EQ(differing.front(), 0U) << threads << " threads";
  }
}

#ifdef JOBLET_DETAIL_LIBMVEC

[[gnu::target("avx2,fma")]] double exp_by_avx2(double x) {
  return joblet::detail::vector_exp::avx2(__m256d{x, 1, 2, 3})[0];
}

[[gnu::target("avx512f")]] double exp_by_avx512(double x) {
  return joblet::detail::vector_exp::avx512(__m512d{x, 1, 2, 3, 4, 5, 6, 7})[0];
}

// On a machine without AVX2 or AVX-512 those versions are not compared, and the machines
// that have them compare them with the version every x86-64 CPU runs.
TEST(VectorMath, ExpGivesTheSameBitsWithEveryInstructionSet) {
  __builtin_cpu_init();
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  const bool avx512 = __builtin_cpu_supports("avx512f");
  auto values = arguments(math_functions()[0], 100'000, 41);
  for (const double special :
       {0.0, -0.0, 1e-310, 709.78, 709.79, -708.5, -745.1, -745.2, 1e300, -1e300,
        std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity()}) {
    values.push_back(special);
  }
  std::size_t differing = 0;
  for (const double x : values) {
    const auto bits = std::bit_cast<std::uint64_t>(joblet::detail::vector_exp::scalar(x));
    if (avx2 && std::bit_cast<std::uint64_t>(exp_by_avx2(x)) != bits) ++differing;
    if (avx512 && std::bit_cast<std::uint64_t>(exp_by_avx512(x)) != bits) ++differing;
  }
  EXPECT_EQ(differing, 0U);
}

#endif  // JOBLET_DETAIL_LIBMVEC

}  // namespace
