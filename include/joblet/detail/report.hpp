// What a run tells people while it goes: verbose lines, the progress bar, the callback.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <vector>

#include "settings.hpp"

namespace joblet::detail {

/// One way of reporting a run. Every call comes from the run's calling thread.
class Observer {
 public:
  Observer() = default;
  Observer(const Observer&) = delete;
  Observer& operator=(const Observer&) = delete;
  Observer(Observer&&) = delete;
  Observer& operator=(Observer&&) = delete;
  virtual ~Observer() = default;

  /// Tasks finished; `progress.done` counts all of them so far, `batch_tasks` the new ones.
  virtual void on_tasks_done(const Progress& progress, std::size_t batch_tasks) = 0;
  /// Every task finished.
  virtual void on_finish(const Progress& progress) = 0;
};

/// The observers that a run's settings ask for.
class RunReport {
 public:
  RunReport(const RunSettings& settings, std::optional<std::size_t> total);

  /// The input ran out: the run has `total` tasks.
  void set_total(std::size_t total);
  /// `count` more tasks finished.
  void tasks_done(std::size_t count);
  void finish();

 private:
  [[nodiscard]] Progress progress() const;

  std::vector<std::unique_ptr<Observer>> observers_;
  std::chrono::steady_clock::time_point start_;
  std::size_t done_ = 0;
  std::optional<std::size_t> total_;
};

}  // namespace joblet::detail
