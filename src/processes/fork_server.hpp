// The fork server: a single-threaded child of the program that forks worker processes on
// request, so that no worker is ever forked from a parent that runs threads.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <mutex>
#include <vector>

#include "worker_slots.hpp"

namespace joblet::detail {

/// A worker process: its pid, the parent's end of its socket, and its slot.
struct WorkerProcess {
  pid_t pid = -1;
  int socket = -1;
  std::uint32_t slot = 0;
};

class ForkServer {
 public:
  /// The server, forked now if it is not running. Fork it early (joblet::init) so that it is a
  /// copy of the program before any thread started: workers are copies of the server.
  static ForkServer& instance();

  /// A new worker process. Thread-safe.
  WorkerProcess spawn();

  /// Closes the parent's end of a worker's socket and frees its slot; the worker, if still
  /// alive, exits when it sees the socket close.
  void release(WorkerProcess& worker);

  [[nodiscard]] WorkerSlot& slot(std::uint32_t index) const noexcept { return slots_[index]; }
  [[nodiscard]] pid_t pid() const noexcept { return pid_; }

  ForkServer(const ForkServer&) = delete;
  ForkServer& operator=(const ForkServer&) = delete;
  ForkServer(ForkServer&&) = delete;
  ForkServer& operator=(ForkServer&&) = delete;

 private:
  ForkServer();
  ~ForkServer() = default;

  std::mutex mutex_;
  WorkerSlots slots_;
  int socket_ = -1;  // to the server; spawn requests and their replies
  pid_t pid_ = -1;
  std::vector<std::uint32_t> free_slots_;
};

}  // namespace joblet::detail
