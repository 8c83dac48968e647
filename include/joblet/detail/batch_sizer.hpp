// How many tasks go into the next batch.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>

#include "settings.hpp"

namespace joblet::detail {

/// Auto batching in joblib's manner: start with one task per batch and grow (at most doubling)
/// while batches finish faster than a target duration, so that the cost of handing a batch to
/// a worker stays small against the batch, and shrink when they take longer. Near the end of a
/// sized input, batches get smaller so that workers finish together.
class BatchSizer {
 public:
  /// Target duration of one batch on the threads backend, where a hand-off costs ~15 us.
  static constexpr std::chrono::microseconds kThreadsTarget{2000};
  /// The same for backends that send batches as bytes, where a round trip costs ~30-60 us plus
  /// the bytes (joblib aims at 0.2-2 s per batch; C++ tasks need far less to amortise a trip).
  static constexpr std::chrono::microseconds kProcessesTarget{20000};
  /// The largest auto batch of tasks copied out of the input, which bounds the memory a lazy
  /// input takes. Tasks run in place cost nothing to hold: their batches are limited by time.
  static constexpr std::size_t kMaxCopiedBatch = 16384;
  static constexpr std::size_t kGrowth = 8;
  static constexpr double kShortestShare = 32;

  /// `copies_tasks`: whether batches hold copies of their tasks.
  BatchSizer(const RunSettings& settings, bool copies_tasks);

  /// Size of the next batch; `remaining` is the number of tasks not yet handed out, if known.
  [[nodiscard]] std::size_t next(std::optional<std::size_t> remaining) const;

  /// A batch of `tasks` tasks ran for `run_time`.
  void record(std::size_t tasks, std::chrono::steady_clock::duration run_time);

 private:
  std::size_t fixed_;
  std::size_t largest_;
  std::size_t workers_;
  std::chrono::duration<double> target_;
  std::size_t size_ = 1;
  std::size_t shortest_ = 1;     // the smallest batch worth a hand-off
  double seconds_per_task_ = 0;  // smoothed; 0 until the first batch is measured
};

}  // namespace joblet::detail
