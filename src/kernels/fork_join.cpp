#include "joblet/detail/fork_join.hpp"

#include <atomic>
#include <exception>
#include <memory>
#include <mutex>

#include "../thread_pool.hpp"
#include "joblet/cpu_count.hpp"
#include "joblet/detail/task_context.hpp"

namespace joblet::detail {
namespace {

/// Set while this thread runs a part of a kernel: a kernel called from there runs serially,
/// since the threads of the budget are already busy with the outer kernel.
thread_local bool running_a_part = false;

class PartScope {
 public:
  PartScope() noexcept : previous_(running_a_part) { running_a_part = true; }
  ~PartScope() { running_a_part = previous_; }
  PartScope(const PartScope&) = delete;
  PartScope& operator=(const PartScope&) = delete;
  PartScope(PartScope&&) = delete;
  PartScope& operator=(PartScope&&) = delete;

 private:
  bool previous_;
};

/// One kernel call's parts, claimed one at a time by whichever thread is free first. Owned
/// jointly by the caller and its helpers: a helper may still be finishing its last touch of
/// `helpers_running` when the caller has returned.
struct Parts {
  std::size_t count = 0;
  void (*run)(const void*, std::size_t) = nullptr;
  const void* context = nullptr;
  std::atomic<std::size_t> next{0};
  std::atomic<int> helpers_running{0};
  std::mutex error_mutex;
  std::exception_ptr error;

  void work() {
    const PartScope scope;
    for (;;) {
      const std::size_t p = next.fetch_add(1, std::memory_order_relaxed);
      if (p >= count) return;
      try {
        run(context, p);
      } catch (...) {
        next.store(count, std::memory_order_relaxed);
        const std::lock_guard lock(error_mutex);
        if (!error) error = std::current_exception();
      }
    }
  }
};

// Parts of this many iterations or more are worth a thread's wake-up (a few microseconds);
// several parts per thread let a thread that was delayed catch up on the others.
constexpr std::size_t kPartsPerThread = 4;

}  // namespace

int kernel_threads() noexcept {
  if (running_a_part) return 1;
  if (const TaskContext* task = current_task()) return std::max(1, task->inner_threads);
  return cpu_count();
}

Plan plan_loop(std::size_t n, std::size_t grain) noexcept {
  const std::size_t useful = std::max<std::size_t>(1, n / std::max<std::size_t>(1, grain));
  const auto threads =
      static_cast<int>(std::min(useful, static_cast<std::size_t>(kernel_threads())));
  if (threads <= 1) return {.parts = 1, .threads = 1};
  return {.parts = std::min(useful, static_cast<std::size_t>(threads) * kPartsPerThread),
          .threads = threads};
}

void run_parts(std::size_t parts, int threads, void (*part)(const void* context, std::size_t p),
               const void* context) {
  if (parts == 0) return;
  const int helpers = static_cast<int>(std::min<std::size_t>(parts, std::max(threads, 1))) - 1;
  if (helpers == 0) {
    const PartScope scope;
    for (std::size_t p = 0; p < parts; ++p)
      part(context, p);
    return;
  }
  auto shared = std::make_shared<Parts>();
  shared->count = parts;
  shared->run = part;
  shared->context = context;
  shared->helpers_running.store(helpers, std::memory_order_relaxed);
  for (int h = 0; h < helpers; ++h) {
    ThreadPool::instance().launch(
        [shared] {
          shared->work();
          if (shared->helpers_running.fetch_sub(1, std::memory_order_acq_rel) == 1) {
            shared->helpers_running.notify_one();
          }
        },
        [] {});
  }
  shared->work();
  for (int running = shared->helpers_running.load(std::memory_order_acquire); running != 0;
       running = shared->helpers_running.load(std::memory_order_acquire)) {
    shared->helpers_running.wait(running, std::memory_order_acquire);
  }
  if (shared->error) std::rethrow_exception(shared->error);
}

}  // namespace joblet::detail
