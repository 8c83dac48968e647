#include "thread_pool.hpp"

#include <boost/asio/post.hpp>
#include <utility>

namespace joblet::detail {

ThreadPool& ThreadPool::instance() {
  static auto* pool = new ThreadPool;  // NOLINT(cppcoreguidelines-owning-memory): see header
  return *pool;
}

ThreadPool::ThreadPool() : keep_running_(boost::asio::make_work_guard(context_)) {}

void ThreadPool::launch(std::function<void()> job, std::function<void()> then) {
  {
    const std::lock_guard lock(mutex_);
    ++unfinished_jobs_;
    if (unfinished_jobs_ > threads_.size()) {
      threads_.emplace_back([this] { context_.run(); });
    }
  }
  boost::asio::post(context_, [this, job = std::move(job), then = std::move(then)] {
    job();
    {
      const std::lock_guard lock(mutex_);
      --unfinished_jobs_;
    }
    then();
  });
}

std::size_t ThreadPool::threads() const {
  const std::lock_guard lock(mutex_);
  return threads_.size();
}

}  // namespace joblet::detail
