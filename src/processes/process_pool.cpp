#include "process_pool.hpp"

namespace joblet::detail {

ProcessPool& ProcessPool::instance() {
  static auto* pool = new ProcessPool;  // NOLINT(cppcoreguidelines-owning-memory): see ForkServer
  return *pool;
}

std::vector<WorkerProcess> ProcessPool::lease_idle(std::size_t most) {
  std::vector<WorkerProcess> workers;
  const std::lock_guard lock(mutex_);
  while (workers.size() < most && !idle_.empty()) {
    WorkerProcess worker = idle_.back();
    idle_.pop_back();
    if (has_exited(worker)) {
      ForkServer::instance().release(worker);  // killed while idle: never blame a task for it
    } else {
      workers.push_back(worker);
    }
  }
  return workers;
}

WorkerProcess ProcessPool::lease() {
  if (auto idle = lease_idle(1); !idle.empty()) return idle.front();
  return ForkServer::instance().request();
}

void ProcessPool::give_back(const WorkerProcess& worker) {
  // A worker still starting keeps its pid unread: waiting for the fork server's reply here
  // would hold up the end of the run by a fork.
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
