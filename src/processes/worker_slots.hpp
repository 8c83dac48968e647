// What the parent, the fork server and each worker share in memory: per worker, the task it
// is running and how the worker ended. Written without a message, so a worker that crashes or
// hangs has already said which task it was in.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace joblet::detail {

struct alignas(64) WorkerSlot {
  /// The worker using the slot; set by the fork server, which alone writes the fields below.
  std::atomic<int> pid{0};
  /// Index + 1 of the task the worker is running; 0 between tasks.
  std::atomic<std::uint64_t> task{0};
  /// steady_clock time in nanoseconds when that task started.
  std::atomic<std::int64_t> started{0};
  /// waitpid() status, written by the fork server once it has reaped `pid`.
  std::atomic<int> exit_status{0};
  std::atomic<bool> exited{false};
  /// Set by the worker once it runs, before it sends its worker_ready frame; cleared by the
  /// parent before it asks for a worker in this slot. A run learns from it whether a worker
  /// it leases from the pool has started, even when its worker_ready frame was read by an
  /// earlier run.
  std::atomic<bool> ready{false};
};

inline constexpr std::size_t kMaxWorkers = 1024;

/// A shared memory region of kMaxWorkers slots, inherited by every process forked after it.
class WorkerSlots {
 public:
  /// Creates the region in the parent.
  static WorkerSlots create();

  /// Begins the lifetime of slot `index` (and of any below it not yet begun), about to be
  /// given to a worker: in the parent, before any other process is told of it. Slots begin
  /// their lifetime here, lowest first, rather than all at create():
  /// fresh memory reads as zeros, their initial state, and a program that runs two workers
  /// touches one page of the region, not sixteen (a first touch costs a page fault, 14-24 us
  /// on some virtual machines).
  void begin_use(std::size_t index);

  WorkerSlot& operator[](std::size_t index) const noexcept { return slots_[index]; }

 private:
  explicit WorkerSlots(WorkerSlot* slots) : slots_(slots) {}
  WorkerSlot* slots_ = nullptr;
  std::size_t constructed_ = 0;  // slots [0, constructed_) have begun their lifetime
};

}  // namespace joblet::detail
