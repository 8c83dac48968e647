// Backend::sequential: every batch runs in the calling thread, when the run waits for it.
#include <deque>

#include "backends.hpp"

namespace joblet::detail {
namespace {

class SequentialExecutor final : public Executor {
 public:
  explicit SequentialExecutor(const RunSettings& settings) : timed_(settings.timeout.has_value()) {}

  void submit(std::shared_ptr<BatchBase> batch) override { pending_.push_back(std::move(batch)); }

  std::shared_ptr<BatchBase> wait(std::optional<Clock::time_point> /*deadline*/) override {
    if (pending_.empty()) return nullptr;
    auto batch = std::move(pending_.front());
    pending_.pop_front();
    // Batch sizes are fixed here, so only a timeout needs the clock.
    const auto start = timed_ ? Clock::now() : Clock::time_point();
    batch->phase.store(BatchBase::Phase::running, std::memory_order_relaxed);
    batch->execute(stop_);
    if (timed_) batch->run_time = Clock::now() - start;
    if (batch->error) stop();
    batch->phase.store(BatchBase::Phase::done, std::memory_order_relaxed);
    return batch;
  }

  void stop() override { stop_.store(true, std::memory_order_relaxed); }

  // A task here never runs while the caller waits: there is nothing to abandon.
  bool abandon(BatchBase& /*batch*/) override { return false; }

 private:
  bool timed_;
  std::deque<std::shared_ptr<BatchBase>> pending_;
  std::atomic<bool> stop_{false};
};

}  // namespace

std::unique_ptr<Executor> make_sequential_executor(const RunSettings& settings) {
  return std::make_unique<SequentialExecutor>(settings);
}

}  // namespace joblet::detail
