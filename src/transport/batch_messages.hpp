// The messages of a batch that travels as bytes, whatever carries them (a socket to a forked
// worker, or MPI between ranks): the run_batch request, the Shared values it refers to, and
// the batch_done reply read back into the batch.
#pragma once

#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "../processes/frames.hpp"
#include "joblet/detail/executor.hpp"
#include "joblet/share.hpp"

namespace joblet::detail {

/// A Shared value's shared_value frame, written once per run, sent once per worker.
struct SharedFrame {
  Bytes frame;
  std::shared_ptr<const void> value;
};

/// The shared_value frames of one run, by Shared id.
using SharedFrames = std::map<std::uint64_t, SharedFrame>;

/// Tasks of a batch that already have an outcome without a result record, by position: they
/// killed or outlasted a worker, and are not sent again.
using SettledTasks = std::map<std::size_t, std::exception_ptr>;

/// Writes into `request`, in place of what it held (its memory is reused), the run_batch frame
/// for the tasks of `batch` from `finished` on, except `settled` ones. Adds a frame to
/// `frames` for each Shared value first met, and lists in `referred` the ids of every Shared
/// value the tasks refer to.
void encode_batch_request(const BatchBase& batch, const SettledTasks& settled,
                          const RunSettings& settings, SharedFrames& frames,
                          std::vector<std::uint64_t>& referred, Bytes& request);

/// Records, in task order, the settled tasks that are next in line.
void take_settled(BatchBase& batch, SettledTasks& settled);

/// Reads a batch_done payload into `batch`, settled tasks in their places. MalformedFrame for
/// a reply that does not fit the batch.
void read_batch_done(std::span<const std::byte> payload, BatchBase& batch, SettledTasks& settled);

/// The Error for a worker_error payload: `worker` ("a worker", "rank 2") could not run
/// `batch` (null if it had none).
[[nodiscard]] std::exception_ptr batch_refused(std::span<const std::byte> payload,
                                               const BatchBase* batch, const std::string& worker);

}  // namespace joblet::detail
