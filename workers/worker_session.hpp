// What a worker does with each message from its parent, whatever carries the messages: a
// socket to a forked worker, or MPI between ranks.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <typeinfo>

#include "../src/processes/frames.hpp"
#include "../src/processes/worker_slots.hpp"
#include "joblet/share.hpp"

namespace joblet::detail {

/// The frame types a worker accepts from its parent.
[[nodiscard]] std::span<const FrameType> frames_from_parent() noexcept;

/// A worker_error frame: the worker could not run a batch, and says why.
[[nodiscard]] Bytes worker_error_frame(const std::string& message);

/// One worker's state between messages: the run's Shared values, kept as bytes until a task
/// first reads one. Installs itself as the worker's Shared inbox while it lives.
class WorkerSession final : public SharedInbox {
 public:
  /// `slot` says, at every moment, which task is running.
  explicit WorkerSession(WorkerSlot& slot);
  ~WorkerSession() override;
  WorkerSession(const WorkerSession&) = delete;
  WorkerSession& operator=(const WorkerSession&) = delete;
  WorkerSession(WorkerSession&&) = delete;
  WorkerSession& operator=(WorkerSession&&) = delete;

  /// Acts on one frame from the parent; returns the frame to send back, if any: batch_done
  /// for run_batch, worker_error for a batch this worker cannot even read.
  [[nodiscard]] std::optional<Bytes> handle(const Frame& frame);

  std::shared_ptr<const void> find(
      std::uint64_t id, const std::type_info& type,
      std::shared_ptr<const void> (*read)(std::span<const std::byte> bytes)) override;

 private:
  struct Entry {
    Bytes bytes;
    std::shared_ptr<const void> value;
    const std::type_info* type = nullptr;
  };

  Bytes run_batch(std::span<const std::byte> payload);

  WorkerSlot* slot_;
  std::map<std::uint64_t, Entry> shared_;
  SharedInbox* previous_inbox_;
};

}  // namespace joblet::detail
