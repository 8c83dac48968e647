// Worker processes kept between runs, so a run does not pay for forking them.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

#include "fork_server.hpp"

namespace joblet::detail {

class ProcessPool {
 public:
  static ProcessPool& instance();

  /// Up to `most` idle workers for a run.
  std::vector<WorkerProcess> lease_idle(std::size_t most);
  /// One worker for a run: an idle one, or else a new one, whose pid is known only after
  /// ForkServer::await_start.
  WorkerProcess lease();
  /// A worker that finished its run healthy and idle; it may still be starting.
  void give_back(const WorkerProcess& worker);
  /// A worker that died (and was reaped) or must go.
  static void discard(WorkerProcess& worker);

  /// Whether the fork server has reaped this worker; false while its pid is unread.
  [[nodiscard]] static bool has_exited(const WorkerProcess& worker);
  /// The waitpid() status of a worker that has exited.
  [[nodiscard]] static int exit_status(const WorkerProcess& worker);

 private:
  std::mutex mutex_;
  std::vector<WorkerProcess> idle_;
};

/// What the processes backend sent, for tests and benchmarks.
struct TransportCounters {
  std::atomic<std::uint64_t> bytes_to_workers{0};
  std::atomic<std::uint64_t> shared_values_sent{0};
  /// Bytes of frames that went through shared memory instead (shared_region.hpp), both ways.
  std::atomic<std::uint64_t> bytes_through_regions{0};
};
TransportCounters& transport_counters();

}  // namespace joblet::detail
