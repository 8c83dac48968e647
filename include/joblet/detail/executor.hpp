// The interface between the run (ordering, batching, errors, reporting) and a backend.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "archive.hpp"
#include "settings.hpp"
#include "trace.hpp"

namespace joblet::detail {

using Clock = std::chrono::steady_clock;

/// A batch of consecutive tasks, as a backend sees it: something to execute that reports how
/// far it got. The run owns the typed tasks and results (see batch.hpp).
class BatchBase {
 public:
  BatchBase() = default;
  BatchBase(const BatchBase&) = delete;
  BatchBase& operator=(const BatchBase&) = delete;
  BatchBase(BatchBase&&) = delete;
  BatchBase& operator=(BatchBase&&) = delete;
  virtual ~BatchBase() = default;

  /// Runs the tasks in this process, in order, until all ran, one failed (when the run stops
  /// at the first failure), or `stop` is set; checked before each task.
  virtual void execute(const std::atomic<bool>& stop) = 0;

  // For backends that send tasks to other processes as bytes. Tasks are resolved in order:
  // `finished` counts those with a result (or, when failures are recorded, a failure).

  /// Whether the run stops at the first failure (otherwise failures are recorded).
  [[nodiscard]] virtual bool stops_at_failure() const noexcept = 0;
  /// Writes the task at `position` (index first + position): its kind, then the task.
  /// NotSerializable when it cannot travel.
  virtual void write_task(OutputArchive& out, std::size_t position) const = 0;
  /// Reads a result record for task `finished`. False when it records a failure.
  virtual bool read_result(InputArchive& in) = 0;
  /// Task `finished` failed without a result record: its worker died or timed out.
  virtual void add_failure(std::exception_ptr failure) = 0;
  /// Name and call of the task at `position`, for errors about it.
  [[nodiscard]] virtual std::pair<std::string, std::string> describe(
      std::size_t position) const = 0;

  enum class Phase { queued, running, done, abandoned };

  std::size_t sequence = 0;    ///< batches of a run are numbered from 0 in input order
  std::size_t first = 0;       ///< index of the first task
  std::size_t count = 0;       ///< tasks in the batch
  std::size_t finished = 0;    ///< tasks that ran: results exist for [first, first+finished)
  std::exception_ptr error;    ///< the TaskError that stopped the batch
  std::string worker;          ///< where it ran when that is worth naming ("rank 2 on node7")
  Clock::duration run_time{};  ///< how long execute() took
  std::atomic<Phase> phase{Phase::queued};
  std::atomic<Clock::rep> started{0};  ///< Clock time execute() began; for timeouts
  bool traced = false;                 ///< whether to record `trace` (Options::trace_file)
  std::vector<TraceSlice> trace;       ///< a slice per task run, and per kernel call in it
  TraceLane trace_lane;                ///< where the batch ran
};

/// A backend's side of one run. Not thread-safe: only the run's calling thread uses it.
class Executor {
 public:
  Executor() = default;
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;
  Executor(Executor&&) = delete;
  Executor& operator=(Executor&&) = delete;
  /// Returns only once no worker touches a batch any more, except abandoned ones.
  virtual ~Executor() = default;

  /// Queues a batch; it comes back from wait() once it is done.
  virtual void submit(std::shared_ptr<BatchBase> batch) = 0;

  /// A finished batch; or nullptr when `deadline` passed first, or when a batch started and
  /// the run watches timeouts (so the caller can look at the new deadline).
  [[nodiscard]] virtual std::shared_ptr<BatchBase> wait(
      std::optional<Clock::time_point> deadline) = 0;

  /// Tasks not started yet will not start; running batches stop after their current task.
  virtual void stop() = 0;

  /// The batch's task ran past its timeout: if it is still running, give up on it (its worker
  /// finishes it in the background and drops the result), keep the run's concurrency, and
  /// return true. False when it finished meanwhile: it will come back from wait().
  virtual bool abandon(BatchBase& batch) = 0;
};

/// The executor of settings.backend.
[[nodiscard]] std::unique_ptr<Executor> make_executor(const RunSettings& settings);

}  // namespace joblet::detail
