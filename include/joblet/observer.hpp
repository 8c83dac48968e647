// joblet — Observer: hooks that follow a run as it goes, the same on every backend.
#pragma once

#include <cstddef>
#include <exception>
#include <optional>

#include "options.hpp"

namespace joblet {

/// What a run is about to do.
struct RunStart {
  Backend backend = Backend::sequential;  ///< never Backend::automatic
  std::size_t n_jobs = 1;                 ///< workers (1 for sequential)
  std::optional<std::size_t> total{};     ///< tasks in the run, when the input has a size
};

/// One task that finished: with a result, or (under try_run) with its TaskError.
struct TaskDone {
  std::size_t index = 0;       ///< the task's place in the input
  Progress progress{};         ///< where the run stands, this task included
  bool last_in_batch = false;  ///< the last task of a batch that came back from a worker
};

/// Receives a run's events in the thread that called Parallel, in this order: on_start once;
/// for each task, on_error (if it failed) then on_task_done; on_finish once when every task
/// is done. When the run stops at a failure (operator(), imap), on_error is the last call.
/// Every backend, n_jobs = 1 included, makes the same calls for the same tasks; tasks done by
/// a worker arrive together, one call each, when its batch comes back. Options::verbose,
/// Options::progress and Options::on_progress are observers too.
///
///     struct Log : joblet::Observer {
///       void on_task_done(const joblet::TaskDone& done) override { show(done.progress); }
///     };
///     joblet::Parallel({.n_jobs = 4, .observers = {std::make_shared<Log>()}})(tasks);
class Observer {
 public:
  Observer() = default;
  Observer(const Observer&) = delete;
  Observer& operator=(const Observer&) = delete;
  Observer(Observer&&) = delete;
  Observer& operator=(Observer&&) = delete;
  virtual ~Observer() = default;

  virtual void on_start(const RunStart& /*start*/) {}
  virtual void on_task_done(const TaskDone& /*done*/) {}
  /// A task failed (`error` holds its TaskError), or the run itself failed (Interrupted, an
  /// exception of the input range).
  virtual void on_error(const std::exception_ptr& /*error*/, const Progress& /*progress*/) {}
  virtual void on_finish(const Progress& /*progress*/) {}
};

}  // namespace joblet
