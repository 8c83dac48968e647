// joblet::kernels::exp, log, sin and cos: within 1 ulp (exp), 2 (sin, cos) or 4 (log) of the
// standard library's, with its special values, and the same bits for an element wherever it
// sits in a map and however many threads run it; the versions of exp, sin and cos for each
// instruction set give the same bits.
#include "joblet/vector_math.hpp"

#include <gtest/gtest.h>

#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "joblet/kernels.hpp"
#include "joblet/parallel.hpp"
#include "joblet/random.hpp"
#include "kernels/vector_exp.hpp"
#include "kernels/vector_sin_cos.hpp"

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
       2},
      {"cos", [](double x) { return jk::cos(x); }, [](double x) { return std::cos(x); }, -1e5, 1e5,
       2},
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

// exp is joblet's own, within 1 ulp of glibc's (which is within 0.52 of the correctly rounded
// result), sin and cos within 2; log is glibc's vector version, within 4.
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

// Where the reduction by pi/2 is hardest: the doubles nearest multiples of pi/2, whose sin or
// cos is tiny, across the whole range the reduction handles, and beyond it, where the
// standard library's functions take over.
TEST(VectorMath, SinAndCosStayWithinTheirBoundNearMultiplesOfHalfPi) {
  const auto functions = math_functions();
  std::vector<double> near;
  joblet::SplitMix64 rng(53);
  for (int i = 0; i < 20'000; ++i) {
    const double multiple = std::round(std::ldexp(static_cast<double>(rng() >> 11U), -53 + 24));
    double x = multiple * 1.5707963267948966;
    for (int step = 0; step < 3; ++step) {
      near.push_back(x);
      near.push_back(-x);
      x = std::nextafter(x, 0.0);
    }
  }
  for (const double beyond : {0x1p24, 0x1.0000000000001p24, 1e10, 1e300})
    near.push_back(beyond);
  for (const MathFunction& f : {functions[2], functions[3]}) {
    for (const double x : near) {
      const double expected = scalar_call(f.standard, x);
      ASSERT_LE(ulps_apart(scalar_call(f.ours, x), expected), f.max_ulps)
          << f.name << "(" << x << ") should be " << expected;
    }
  }
}

#ifdef JOBLET_DETAIL_LIBMVEC

namespace versions = joblet::detail;

struct Versions {
  std::string name;
  Function scalar;
  __m256d (*avx2)(__m256d) noexcept;
  __m512d (*avx512)(__m512d) noexcept;
  std::vector<double> arguments;
};

bool same_bits(double a, double b) {
  return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b) ||
         (std::isnan(a) && std::isnan(b));
}

[[gnu::target("avx2,fma")]] std::size_t differing_from_avx2(const Versions& v) {
  std::size_t differing = 0;
  for (std::size_t i = 0; i + 4 <= v.arguments.size(); i += 4) {
    const __m256d result = v.avx2(_mm256_loadu_pd(&v.arguments[i]));
    for (std::size_t lane = 0; lane < 4; ++lane) {
      if (!same_bits(result[lane], v.scalar(v.arguments[i + lane]))) ++differing;
    }
  }
  return differing;
}

[[gnu::target("avx512f")]] std::size_t differing_from_avx512(const Versions& v) {
  std::size_t differing = 0;
  for (std::size_t i = 0; i + 8 <= v.arguments.size(); i += 8) {
    const __m512d result = v.avx512(_mm512_loadu_pd(&v.arguments[i]));
    for (std::size_t lane = 0; lane < 8; ++lane) {
      if (!same_bits(result[lane], v.scalar(v.arguments[i + lane]))) ++differing;
    }
  }
  return differing;
}

/// Random arguments of `f` with the special ones scattered among them, so that they share
/// vectors with ordinary ones.
std::vector<double> arguments_with(const MathFunction& f, std::initializer_list<double> specials) {
  auto values = arguments(f, 100'000, 41);
  std::size_t at = 3;
  for (const double special : specials) {
    values[at] = special;
    at += 37;
  }
  return values;
}

// On a machine without AVX2 or AVX-512 those versions are not compared, and the machines
// that have them compare them with the version every x86-64 CPU runs.
TEST(VectorMath, ExpSinAndCosGiveTheSameBitsWithEveryInstructionSet) {
  constexpr double kInfinity = std::numeric_limits<double>::infinity();
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  const auto functions = math_functions();
  const std::initializer_list<double> trigonometric_specials{
      0.0, -0.0, 1e-310, 0x1p24, -0x1.0000000000001p24, 1e300, kInfinity, -kInfinity, kNaN};
  const std::vector<Versions> all{
      {"exp", versions::vector_exp::scalar, versions::vector_exp::avx2,
       versions::vector_exp::avx512,
       arguments_with(functions[0], {0.0, -0.0, 1e-310, 709.78, 709.79, -708.5, -745.1, -745.2,
                                     1e300, -1e300, kInfinity, -kInfinity, kNaN})},
      {"sin", versions::vector_sin_cos::sin, versions::vector_sin_cos::sin_avx2,
       versions::vector_sin_cos::sin_avx512, arguments_with(functions[2], trigonometric_specials)},
      {"cos", versions::vector_sin_cos::cos, versions::vector_sin_cos::cos_avx2,
       versions::vector_sin_cos::cos_avx512, arguments_with(functions[3], trigonometric_specials)},
  };
  __builtin_cpu_init();
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  const bool avx512 = __builtin_cpu_supports("avx512f");
  for (const Versions& v : all) {
    if (avx2) {
      EXPECT_EQ(differing_from_avx2(v), 0U) << v.name << ", AVX2";
    }
    if (avx512) {
      EXPECT_EQ(differing_from_avx512(v), 0U) << v.name << ", AVX-512";
    }
  }
}

#endif  // JOBLET_DETAIL_LIBMVEC

}  // namespace
