// Frames: how messages between the parent and a worker are cut out of a byte stream.
//
// A frame is an 8-byte header (payload length as a little-endian u32, a type byte, three zero
// bytes) and the payload. Everything a worker sends is checked before it is trusted: a wrong
// length, an unknown type or garbage is a MalformedFrame, never a crash or a hang.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>

#include "joblet/detail/archive.hpp"

namespace joblet::detail {

enum class FrameType : std::uint8_t {
  // parent to worker
  run_batch = 1,     ///< tasks to run
  shared_value = 2,  ///< a Shared value the next batches refer to
  end_of_run = 3,    ///< forget the run's shared values
  regions = 4,       ///< shared memory for large frames; their memory files come with it
  // either way
  in_region = 5,  ///< the frame lies at the start of the sender's region (shared_region.hpp)
  // worker to parent
  batch_done = 16,    ///< result records of a batch
  worker_error = 17,  ///< the worker could not run a batch at all
  worker_ready = 18,  ///< the worker runs and takes batches: its first frame, sent once
};

/// Bits of the first byte of a run_batch request.
enum RunBatchFlags : std::uint8_t {
  kStopAtFailure = 1,  ///< stop at the first task that fails
  kTraceTasks = 2,     ///< reply with when each task ran (Options::trace_file)
};

inline constexpr std::size_t kFrameHeaderSize = 8;
/// The largest payload: batches above it are refused when written ("lower batch_size").
inline constexpr std::size_t kMaxFramePayload = std::size_t{1} << 30U;

class MalformedFrame : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Starts a frame at the end of `bytes`; returns where its header is, for finish_frame.
std::size_t begin_frame(Bytes& bytes, FrameType type);
/// Writes the payload length into the header; throws when the payload is too large.
void finish_frame(Bytes& bytes, std::size_t header);

struct Frame {
  FrameType type;
  std::span<const std::byte> payload;
};

/// The frame at the start of `bytes`, nullopt if it has not arrived whole; MalformedFrame if
/// its header is not one of a frame of an `accepted` type.
std::optional<Frame> frame_at(std::span<const std::byte> bytes,
                              std::span<const FrameType> accepted);

/// Cuts frames out of bytes that arrive in pieces of any size.
class FrameReader {
 public:
  /// `accepted`: the frame types this side may receive; others are malformed.
  explicit FrameReader(std::span<const FrameType> accepted) : accepted_(accepted) {}

  /// Room for at least `bytes` more bytes, and for the rest of a frame whose header has
  /// arrived, so that a large frame is read in a few calls rather than in `bytes`-sized pieces
  /// (the room for a frame at most doubles per call: a header that lies about its length
  /// costs no more memory than the bytes that came). Write into it, then commit() what was
  /// written.
  std::span<std::byte> space(std::size_t bytes);
  void commit(std::size_t bytes);

  /// The next whole frame, valid until the next call to next() or space(); nullopt until one
  /// has arrived.
  std::optional<Frame> next();

  /// Bytes received but not yet returned in a frame.
  [[nodiscard]] std::size_t buffered() const noexcept { return end_ - start_; }

 private:
  std::span<const FrameType> accepted_;
  // Not zero-filled: the room read() is offered is only touched as bytes arrive, so a reader
  // that only ever sees small frames touches one page, not all it has room for (a first touch
  // costs a page fault, 14-24 us on some virtual machines).
  std::unique_ptr<std::byte[]> buffer_;  // NOLINT(*-avoid-c-arrays): grown by hand, see above
  std::size_t capacity_ = 0;
  std::size_t start_ = 0;  // first byte not yet returned in a frame
  std::size_t end_ = 0;    // one past the last byte received
};

}  // namespace joblet::detail
