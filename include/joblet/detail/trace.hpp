// Options::trace_file: when a task, its batch and the kernels it calls ran, and where.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "task_context.hpp"

namespace joblet::detail {

class BatchBase;

/// One task, or one kernel call inside it, as it ran. Times are steady_clock nanoseconds,
/// the same clock in every process of the machine.
struct TraceSlice {
  std::int64_t start = 0;
  std::int64_t end = 0;
  std::uint64_t task = 0;  ///< the task's index
  std::string kernel;      ///< the kernel's name; empty for the task itself

  template <class Archive>
  void serialize(Archive& archive) {
    archive(start, end, task, kernel);
  }
};

/// Where a batch ran: a process and one of its threads, a lane of the timeline.
struct TraceLane {
  std::int64_t pid = 0;
  std::int64_t tid = 0;

  template <class Archive>
  void serialize(Archive& archive) {
    archive(pid, tid);
  }
};

[[nodiscard]] TraceLane this_lane() noexcept;
[[nodiscard]] std::int64_t trace_clock() noexcept;

/// A kernel call: a slice of the running task's trace from construction to destruction, when
/// the task is traced. Otherwise it costs a thread-local read.
class KernelSlice {
 public:
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-member-init): see the members
  explicit KernelSlice(const char* name) noexcept {
    TaskContext* const task = current_task();
    if (task != nullptr && task->trace != nullptr) [[unlikely]] {
      begin(*task, name);
    }
  }
  ~KernelSlice() {
    if (task_ != nullptr) [[unlikely]] {
      end();
    }
  }
  KernelSlice(const KernelSlice&) = delete;
  KernelSlice& operator=(const KernelSlice&) = delete;
  KernelSlice(KernelSlice&&) = delete;
  KernelSlice& operator=(KernelSlice&&) = delete;

 private:
  void begin(TaskContext& task, const char* name) noexcept;
  void end() noexcept;

  // Only task_ is set when tracing is off: the rest is written by begin().
  TaskContext* task_ = nullptr;
  const char* name_;
  std::int64_t start_;
};

/// The trace of one run: batches are added as they come back; close() adds them to the
/// program's timeline in `file`, which is written again with every traced run so far.
class RunTrace {
 public:
  RunTrace(std::filesystem::path file, std::string label);

  void add(const BatchBase& batch);
  /// Writes the file; std::filesystem::filesystem_error when it cannot.
  void close();

 private:
  std::filesystem::path file_;
  std::string label_;
  TraceLane caller_;
  std::int64_t start_;
  std::vector<std::string> events_;  // JSON objects
  std::vector<TraceLane> lanes_;
};

}  // namespace joblet::detail
