#include "process_pool.hpp"

#include <system_error>

namespace joblet::detail {

ProcessPool& ProcessPool::instance() {
  static auto* pool = new ProcessPool;  // NOLINT(cppcoreguidelines-owning-memory): see ForkServer
  return *pool;
}

std::vector<WorkerProcess> ProcessPool::lease(std::size_t count) {
  std::vector<WorkerProcess> workers;
  {
    const std::lock_guard lock(mutex_);
    while (workers.size() < count && !idle_.empty()) {
      WorkerProcess worker = idle_.back();
      idle_.pop_back();
      if (has_exited(worker)) {
        ForkServer::instance().release(worker);  // killed while idle: never blame a task for it
      } else {
        workers.push_back(worker);
      }
    }
  }
  try {
    while (workers.size() < count)
      workers.push_back(ForkServer::instance().request());
  } catch (...) {
    for (const WorkerProcess& worker : workers)
      give_back(worker);  // healthy: the next run can have them
    throw;
  }
  return workers;
}

void ProcessPool::give_back(WorkerProcess worker) {
  try {
    ForkServer::instance().await_start(worker);  // an idle worker's pid is known
  } catch (const std::system_error&) {
    discard(worker);
    return;
  }
  const std::lock_guard lock(mutex_);
  idle_.push_back(worker);
}

void ProcessPool::discard(WorkerProcess& worker) {
  ForkServer::instance().release(worker);
}

bool ProcessPool::has_exited(const WorkerProcess& worker) {
  const WorkerSlot& slot = ForkServer::instance().slot(worker.slot);
  return slot.exited.load(std::memory_order_acquire) &&
         slot.pid.load(std::memory_order_relaxed) == worker.pid;
}

int ProcessPool::exit_status(const WorkerProcess& worker) {
  return ForkServer::instance().slot(worker.slot).exit_status.load(std::memory_order_relaxed);
}

TransportCounters& transport_counters() {
  static TransportCounters counters;
  return counters;
}

}  // namespace joblet::detail
