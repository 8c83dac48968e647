// Shared memory between the parent and one worker, for frames too large to send cheaply
// through their socket. The sender copies such a frame into its region and sends a small
// in_region frame in its place; the receiver reads the frame where it lies. The bytes so cross
// once instead of twice (into the kernel and out again), without a system call and a wake-up
// per socket buffer's worth (bench/processes_bench.cpp, the 1 MiB round trip).
#pragma once

#include <cstddef>
#include <memory>
#include <span>

#include "frames.hpp"

namespace joblet::detail {

/// Frames from this size up go through a region, where one is large enough.
inline constexpr std::size_t kRegionFramesFrom = std::size_t{64} * 1024;
/// The smallest and the largest region. A worker keeps its regions while it lives, idle in the
/// pool too, and the pages a frame touched stay in memory: larger frames keep going through
/// the socket rather than holding more memory per worker.
inline constexpr std::size_t kMinRegionBytes = std::size_t{1} << 20U;
inline constexpr std::size_t kMaxRegionBytes = std::size_t{16} << 20U;

/// A mapping of a memory file that another process maps too.
class SharedRegion {
 public:
  /// A new region of `size` bytes, in the parent.
  explicit SharedRegion(std::size_t size);
  /// Maps a region received from the parent, and owns `fd` from now on, even on failure.
  /// Throws MalformedFrame when `fd` is not a memory file of at least `size` bytes.
  SharedRegion(int fd, std::size_t size);
  ~SharedRegion();
  SharedRegion(const SharedRegion&) = delete;
  SharedRegion& operator=(const SharedRegion&) = delete;
  SharedRegion(SharedRegion&&) = delete;
  SharedRegion& operator=(SharedRegion&&) = delete;

  [[nodiscard]] std::span<std::byte> bytes() const noexcept { return {data_, size_}; }
  [[nodiscard]] int fd() const noexcept { return fd_; }

 private:
  int fd_ = -1;
  std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

/// A worker's two regions, one for each direction, of one size.
struct SharedRegions {
  explicit SharedRegions(std::size_t size) : to_worker(size), from_worker(size) {}

  SharedRegion to_worker;
  SharedRegion from_worker;
};

/// The size of a new pair of regions that fits a frame of `frame_bytes`, and no smaller than
/// `current` (0 for none). Zero when the frame is too large for any region.
[[nodiscard]] std::size_t region_size_for(std::size_t frame_bytes, std::size_t current) noexcept;

/// Sends new regions to the worker at the other end of `socket`: a regions frame with their
/// size, their memory files attached to its first byte. Blocks until it is written (a few
/// bytes, on a socket with no other write in progress); false if the worker is gone.
bool send_regions(int socket, const SharedRegions& regions);

/// The size of each region announced by a regions frame's payload.
[[nodiscard]] std::size_t announced_region_size(std::span<const std::byte> payload);

/// The in_region frame that stands for a frame of `frame_bytes` at the start of a region.
[[nodiscard]] Bytes in_region_frame(std::size_t frame_bytes);

/// The frame an in_region frame's payload points to, at the start of `region`, checked as
/// FrameReader checks a frame from the socket: MalformedFrame if it does not lie there whole,
/// or its type is not `accepted`.
[[nodiscard]] Frame frame_in_region(std::span<const std::byte> payload,
                                    std::span<const std::byte> region,
                                    std::span<const FrameType> accepted);

}  // namespace joblet::detail
