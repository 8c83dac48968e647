#include "joblet/random.hpp"

#include <limits>

#include "joblet/detail/task_context.hpp"

namespace joblet {
namespace {

std::uint64_t seed_of(std::uint64_t seed, std::uint64_t index) noexcept {
  // Two rounds of the finaliser: streams of neighbouring seeds and indices share nothing.
  return SplitMix64::mix(seed ^ SplitMix64::mix(index + 0x632be59bd9b4e019ULL));
}

constexpr std::uint64_t kNoTask = std::numeric_limits<std::uint64_t>::max();

}  // namespace

std::uint64_t task_seed() noexcept {
  const auto* task = detail::current_task();
  return task != nullptr ? seed_of(task->seed, task->index) : seed_of(0, kNoTask);
}

SplitMix64& task_rng() noexcept {
  auto* task = detail::current_task();
  if (task == nullptr) {
    thread_local SplitMix64 outside(seed_of(0, kNoTask));
    return outside;
  }
  if (!task->rng) task->rng.emplace(task_seed());
  return *task->rng;
}

}  // namespace joblet
