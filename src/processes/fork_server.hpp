// The fork server: a single-threaded child of the program that forks worker processes on
// request, so that no worker is ever forked from a parent that runs threads.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "worker_slots.hpp"

namespace joblet::detail {

struct SharedRegions;  // shared_region.hpp

/// A worker process: its pid, the parent's end of its socket, its slot, and the regions it
/// was sent for large frames.
struct WorkerProcess {
  pid_t pid = -1;  ///< 0 until the fork server's reply is read (ForkServer::await_start)
  int socket = -1;
  std::uint32_t slot = 0;
  std::uint64_t request = 0;  ///< the request whose reply gives the pid; 0 once read
  std::shared_ptr<const SharedRegions> regions;  ///< null until a frame needs them
};

class ForkServer {
 public:
  /// The server, forked now if it is not running. Fork it early (joblet::init) so that it is a
  /// copy of the program before any thread started: workers are copies of the server.
  static ForkServer& instance();

  /// Asks the server for a new worker process and returns at once: the socket and the slot
  /// are usable now (the worker reads what is written to it once it runs), the pid comes with
  /// await_start(). A fresh program's first call so writes its first batch while the server
  /// forks. Thread-safe.
  WorkerProcess request();

  /// Reads the server's reply to the request that started `worker`, if not read yet, and sets
  /// its pid; throws std::system_error, and sets the pid to -1, if the server could not fork
  /// it. Thread-safe.
  void await_start(WorkerProcess& worker);

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
  std::uint64_t requests_sent_ = 0;
  std::uint64_t replies_read_ = 0;
  std::map<std::uint64_t, std::int32_t> replies_;  // read, not yet asked for
};

}  // namespace joblet::detail
