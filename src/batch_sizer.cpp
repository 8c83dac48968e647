#include "joblet/detail/batch_sizer.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace joblet::detail {

namespace {

std::size_t fixed_size(const RunSettings& settings) {
  // Inline runs gain nothing from batches; threads watch a timeout one task at a time.
  if (settings.backend == Backend::sequential) return 1;
  if (settings.backend == Backend::threads && settings.timeout) return 1;
  return settings.batch_size;
}

}  // namespace

BatchSizer::BatchSizer(const RunSettings& settings, bool copies_tasks)
    : fixed_(fixed_size(settings)),
      largest_(copies_tasks ? kMaxCopiedBatch : std::numeric_limits<std::size_t>::max()),
      workers_(settings.workers),
      target_(settings.backend == Backend::threads ? kThreadsTarget : kProcessesTarget) {}

std::size_t BatchSizer::next(std::optional<std::size_t> remaining) const {
  if (fixed_ > 0) return fixed_;
  std::size_t size = size_;
  // Near the end, leave every worker a share, so that none waits for the last big batch; but
  // no share so small that handing it over costs more than it balances.
  if (remaining) size = std::min(size, std::max(shortest_, *remaining / (2 * workers_)));
  return std::max<std::size_t>(size, 1);
}

void BatchSizer::record(std::size_t tasks, std::chrono::steady_clock::duration run_time) {
  if (fixed_ > 0 || tasks == 0) return;
  const double per_task =
      std::chrono::duration<double>(run_time).count() / static_cast<double>(tasks);
  seconds_per_task_ = seconds_per_task_ == 0 ? per_task : 0.8 * seconds_per_task_ + 0.2 * per_task;
  const double ideal = target_.count() / std::max(seconds_per_task_, 1e-9);
  const double grown = std::min(ideal, static_cast<double>(kGrowth * size_));
  size_ =
      static_cast<std::size_t>(std::clamp(std::floor(grown), 1.0, static_cast<double>(largest_)));
  shortest_ = std::min(size_, static_cast<std::size_t>(ideal / kShortestShare));
}

}  // namespace joblet::detail
