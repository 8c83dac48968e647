// What a running task knows about itself: its index, its run's seed and its thread budget.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "../random.hpp"

namespace joblet::detail {

struct TraceSlice;

struct TaskContext {
  std::uint64_t seed = 0;
  std::size_t index = 0;
  int inner_threads = 1;
  std::optional<SplitMix64> rng{};           ///< task_rng(), made on first use
  std::vector<TraceSlice>* trace = nullptr;  ///< where kernel calls are traced, if anywhere
};

/// The task running on this thread. Inline: a scope is opened around every task, and calls
/// into the library would be a quarter of the cost of an empty task.
inline thread_local TaskContext* running_task = nullptr;

/// The task running on this thread, or nullptr outside any task.
[[nodiscard]] inline TaskContext* current_task() noexcept {
  return running_task;
}

/// Marks the calling thread as running `task` while it lives; scopes nest (a Parallel inside a
/// task runs its own tasks inline, each in a scope of its own, then the outer task resumes).
class TaskScope {
 public:
  explicit TaskScope(TaskContext& task) noexcept : previous_(running_task) { running_task = &task; }
  ~TaskScope() { running_task = previous_; }
  TaskScope(const TaskScope&) = delete;
  TaskScope& operator=(const TaskScope&) = delete;
  TaskScope(TaskScope&&) = delete;
  TaskScope& operator=(TaskScope&&) = delete;

 private:
  TaskContext* previous_;
};

}  // namespace joblet::detail
