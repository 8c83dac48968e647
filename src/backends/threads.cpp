// Backend::threads: runners borrowed from the shared pool take batches from the run's queue
// and put them back on its completed list; the calling thread, while it waits, runs batches too.
#include <condition_variable>
#include <deque>
#include <mutex>

#include "../thread_pool.hpp"
#include "backends.hpp"

namespace joblet::detail {
namespace {

/// What the run and its runners share; the runners keep it alive.
struct Queues {
  std::mutex mutex;
  std::condition_variable work;  // runners wait for batches
  std::condition_variable done;  // the run waits for finished batches, starts and exits
  std::deque<std::shared_ptr<BatchBase>> pending;
  std::deque<std::shared_ptr<BatchBase>> completed;
  std::atomic<bool> stop{false};
  bool closing = false;
  bool watch_starts = false;
  bool started = false;  // a batch started since the run last looked
  std::size_t runners = 0;
};

/// Runs a batch taken from the queue; false when the run abandoned it meanwhile (a timeout).
bool run_batch(Queues& q, BatchBase& batch) {
  const auto start = Clock::now();
  batch.execute(q.stop);
  batch.run_time = Clock::now() - start;
  // The first failure stops the run now, not when the caller gets round to it.
  if (batch.error) q.stop.store(true, std::memory_order_relaxed);
  auto running = BatchBase::Phase::running;
  return batch.phase.compare_exchange_strong(running, BatchBase::Phase::done);
}

/// Takes the next pending batch and marks it running. Call with the queues locked.
std::shared_ptr<BatchBase> start_next(Queues& q) {
  auto batch = std::move(q.pending.front());
  q.pending.pop_front();
  batch->phase.store(BatchBase::Phase::running, std::memory_order_relaxed);
  batch->started.store(Clock::now().time_since_epoch().count(), std::memory_order_release);
  return batch;
}

/// Runs batches until the run closes (returns true) or its batch is abandoned (false).
bool serve(const std::shared_ptr<Queues>& queues) {
  auto& q = *queues;
  std::unique_lock lock(q.mutex);
  for (;;) {
    q.work.wait(lock, [&q] { return q.closing || !q.pending.empty(); });
    if (q.pending.empty()) break;
    auto batch = start_next(q);
    if (q.watch_starts) {
      q.started = true;
      q.done.notify_one();
    }
    lock.unlock();
    const bool kept = run_batch(q, *batch);
    lock.lock();
    // An abandoned batch's result is dropped; a replacement runner has taken this one's place.
    if (!kept) return false;
    q.completed.push_back(std::move(batch));
    q.done.notify_one();
  }
  return true;
}

class ThreadsExecutor final : public Executor {
 public:
  explicit ThreadsExecutor(const RunSettings& settings)
      : queues_(std::make_shared<Queues>()), caller_works_(caller_can_work(settings)) {
    queues_->watch_starts = settings.timeout.has_value();
    for (std::size_t i = caller_works_ ? 1 : 0; i < settings.workers; ++i)
      launch_runner();
  }

  ThreadsExecutor(const ThreadsExecutor&) = delete;
  ThreadsExecutor& operator=(const ThreadsExecutor&) = delete;
  ThreadsExecutor(ThreadsExecutor&&) = delete;
  ThreadsExecutor& operator=(ThreadsExecutor&&) = delete;

  ~ThreadsExecutor() override {
    std::unique_lock lock(queues_->mutex);
    queues_->closing = true;
    queues_->work.notify_all();
    queues_->done.wait(lock, [this] { return queues_->runners == 0; });
  }

  void submit(std::shared_ptr<BatchBase> batch) override {
    {
      const std::lock_guard lock(queues_->mutex);
      queues_->pending.push_back(std::move(batch));
    }
    queues_->work.notify_one();
  }

  std::shared_ptr<BatchBase> wait(std::optional<Clock::time_point> deadline) override {
    auto& q = *queues_;
    std::unique_lock lock(q.mutex);
    const auto ready = [this, &q] {
      return !q.completed.empty() || q.started || (caller_works_ && !q.pending.empty());
    };
    if (deadline) {
      q.done.wait_until(lock, *deadline, ready);
    } else {
      q.done.wait(lock, ready);
    }
    q.started = false;
    if (q.completed.empty()) {
      if (!caller_works_ || q.pending.empty()) return nullptr;
      auto batch = start_next(q);
      lock.unlock();
      run_batch(q, *batch);  // never abandoned: the caller works only when nothing times out
      return batch;
    }
    auto batch = std::move(q.completed.front());
    q.completed.pop_front();
    return batch;
  }

  void stop() override { queues_->stop.store(true, std::memory_order_relaxed); }

  bool abandon(BatchBase& batch) override {
    auto running = BatchBase::Phase::running;
    if (!batch.phase.compare_exchange_strong(running, BatchBase::Phase::abandoned)) return false;
    {
      const std::lock_guard lock(queues_->mutex);
      --queues_->runners;
    }
    launch_runner();
    return true;
  }

 private:
  /// Whether the calling thread is one of the run's workers: it runs batches while it waits,
  /// and one runner fewer is borrowed from the pool. Then n_jobs threads run tasks, not
  /// n_jobs runners plus a caller that wakes for every batch (on 2 cores, 3 threads that take
  /// turns). Not when it must watch timeouts, nor for generators, whose caller is away in the
  /// user's loop between results, nor when it reports tasks as they finish (observers, progress,
  /// checkpoints): a long task of its own would hold back the news, and the checkpoints, of
  /// every task the runners finish meanwhile.
  static bool caller_can_work(const RunSettings& settings) {
    const bool reports_as_tasks_finish = settings.verbose > 0 || settings.progress ||
                                         settings.on_progress || !settings.observers.empty() ||
                                         !settings.checkpoint.empty();
    return settings.workers > 1 && !settings.timeout && settings.return_as == ReturnAs::list &&
           !reports_as_tasks_finish;
  }

  void launch_runner() {
    {
      const std::lock_guard lock(queues_->mutex);
      ++queues_->runners;
    }
    auto closed = std::make_shared<bool>(false);
    ThreadPool::instance().launch([queues = queues_, closed] { *closed = serve(queues); },
                                  [queues = queues_, closed] {
                                    if (!*closed) return;  // abandon() counted it out already
                                    const std::lock_guard lock(queues->mutex);
                                    --queues->runners;
                                    queues->done.notify_all();
                                  });
  }

  std::shared_ptr<Queues> queues_;
  bool caller_works_;
};

}  // namespace

std::unique_ptr<Executor> make_threads_executor(const RunSettings& settings) {
  return std::make_unique<ThreadsExecutor>(settings);
}

}  // namespace joblet::detail
