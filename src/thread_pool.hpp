// The process-wide pool of threads that the threads backend borrows its workers from.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace joblet::detail {

/// Threads running one Asio io_context. A job launched here starts at once: when every
/// thread is busy the pool grows by one, so a run's workers never wait behind another run's
/// (or behind a task abandoned after a timeout). Threads are kept for later calls.
class ThreadPool {
 public:
  /// The pool, started on first use and never destroyed: a task abandoned after a timeout may
  /// still be running when the program exits.
  static ThreadPool& instance();

  /// Runs `job` on a pool thread, then `then` once the thread counts as free again: whoever
  /// waits for `then` can launch a job that reuses the thread.
  void launch(std::function<void()> job, std::function<void()> then);

  /// Threads started so far.
  [[nodiscard]] std::size_t threads() const;

  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;
  ThreadPool(ThreadPool&&) = delete;
  ThreadPool& operator=(ThreadPool&&) = delete;

 private:
  ThreadPool();
  ~ThreadPool() = default;

  boost::asio::io_context context_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> keep_running_;
  mutable std::mutex mutex_;
  std::vector<std::thread> threads_;
  std::size_t unfinished_jobs_ = 0;
};

}  // namespace joblet::detail
