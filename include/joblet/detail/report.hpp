// What a run tells its observers while it goes: verbose lines, the progress bar, the
// on_progress callback, and the Options::observers of the user.
#pragma once

#include <chrono>
#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <vector>

#include "../observer.hpp"
#include "settings.hpp"

namespace joblet::detail {

/// The observers that a run's settings ask for. Every call comes from the run's calling thread.
class RunReport {
 public:
  /// Calls on_start.
  RunReport(const RunSettings& settings, std::optional<std::size_t> total);

  /// The input ran out: the run has `total` tasks.
  void set_total(std::size_t total);
  /// Whether anyone listens: when not, tasks_done() is all a run needs to call.
  [[nodiscard]] bool watched() const noexcept { return !observers_.empty(); }
  /// `count` more tasks finished, unwatched.
  void tasks_done(std::size_t count) noexcept { done_ += count; }
  /// Task `index` finished.
  void task_done(std::size_t index, bool last_in_batch);
  /// Task `index` failed (recorded under try_run); task_done follows.
  void task_failed(const std::exception_ptr& error);
  /// The run stops at `error`.
  void run_failed(const std::exception_ptr& error);
  void finish();

 private:
  [[nodiscard]] Progress progress() const;

  std::vector<std::shared_ptr<Observer>> observers_;
  std::chrono::steady_clock::time_point start_;
  std::size_t done_ = 0;
  std::optional<std::size_t> total_;
};

}  // namespace joblet::detail
