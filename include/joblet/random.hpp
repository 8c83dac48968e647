// joblet — per-task random numbers that do not depend on the backend or on n_jobs.
#pragma once

#include <cstdint>
#include <limits>

namespace joblet {

/// SplitMix64: a small counter-based generator (a UniformRandomBitGenerator). Its n-th
/// output is a fixed function of the seed and n, so a stream is cheap to start anywhere.
class SplitMix64 {
 public:
  using result_type = std::uint64_t;

  explicit constexpr SplitMix64(std::uint64_t seed) noexcept : state_(seed) {}

  static constexpr result_type min() noexcept { return 0; }
  static constexpr result_type max() noexcept { return std::numeric_limits<result_type>::max(); }

  constexpr result_type operator()() noexcept {
    state_ += kGamma;
    return mix(state_);
  }

  /// The finaliser of SplitMix64: a bijection that scrambles every input bit.
  static constexpr std::uint64_t mix(std::uint64_t z) noexcept {
    z = (z ^ (z >> 30U)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27U)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31U);
  }

 private:
  static constexpr std::uint64_t kGamma = 0x9e3779b97f4a7c15ULL;
  std::uint64_t state_;
};

/// The seed of the task running on this thread, made from Options::seed and the task's index:
/// the same for a given task whatever the backend or n_jobs. Outside any task it is the seed
/// of a stream that no task uses.
[[nodiscard]] std::uint64_t task_seed() noexcept;

/// A generator seeded with task_seed(), private to the running task: successive calls within
/// one task continue one stream; the next task starts its own.
///
///     std::uniform_real_distribution<double> u(0, 1);
///     double x = u(joblet::task_rng());
[[nodiscard]] SplitMix64& task_rng() noexcept;

}  // namespace joblet
