#include "shared_region.hpp"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <system_error>

#include "fd_passing.hpp"

namespace joblet::detail {
namespace {

std::byte* map_shared(int fd, std::size_t size) {
  void* data = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  return data == MAP_FAILED ? nullptr : static_cast<std::byte*>(data);
}

/// The one number a regions or in_region frame carries.
std::uint64_t number_in(std::span<const std::byte> payload, const char* frame) {
  if (payload.size() != sizeof(std::uint64_t)) {
    throw MalformedFrame(std::string("joblet: malformed message: ") + frame + " frame of " +
                         std::to_string(payload.size()) + " bytes, not 8");
  }
  std::uint64_t value = 0;
  InputArchive in(payload);
  in(value);
  return value;
}

}  // namespace

SharedRegion::SharedRegion(std::size_t size)
    : fd_(memfd_create("joblet-region", MFD_CLOEXEC)), size_(size) {
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "joblet: memfd_create");
  if (ftruncate(fd_, static_cast<off_t>(size)) == 0) data_ = map_shared(fd_, size);
  if (data_ == nullptr) {
    const int error = errno;
    close(fd_);
    throw std::system_error(error, std::generic_category(), "joblet: a shared memory region");
  }
}

SharedRegion::SharedRegion(int fd, std::size_t size) : fd_(fd), size_(size) {
  struct stat file {};
  if (size > 0 && fstat(fd_, &file) == 0 && S_ISREG(file.st_mode) &&
      static_cast<std::uint64_t>(file.st_size) >= size) {
    data_ = map_shared(fd_, size);
  }
  if (data_ == nullptr) {
    close(fd_);
    throw MalformedFrame("joblet: malformed message: a region of " + std::to_string(size) +
                         " bytes that cannot be mapped");
  }
}

SharedRegion::~SharedRegion() {
  munmap(data_, size_);
  close(fd_);
}

std::size_t region_size_for(std::size_t frame_bytes, std::size_t current) noexcept {
  if (frame_bytes > kMaxRegionBytes) return 0;
  return std::max({std::bit_ceil(frame_bytes), kMinRegionBytes, current});
}

bool send_regions(int socket, const SharedRegions& regions) {
  Bytes frame;
  const std::size_t header = begin_frame(frame, FrameType::regions);
  OutputArchive out(frame);
  out(static_cast<std::uint64_t>(regions.to_worker.bytes().size()));
  finish_frame(frame, header);

  const std::array fds{regions.to_worker.fd(), regions.from_worker.fd()};
  return send_with_fds(socket, frame, fds);
}

std::size_t announced_region_size(std::span<const std::byte> payload) {
  const std::uint64_t size = number_in(payload, "regions");
  if (size > kMaxRegionBytes) {
    throw MalformedFrame("joblet: malformed message: regions of " + std::to_string(size) +
                         " bytes, more than the " + std::to_string(kMaxRegionBytes) + " allowed");
  }
  return size;
}

Bytes in_region_frame(std::size_t frame_bytes) {
  Bytes frame;
  const std::size_t header = begin_frame(frame, FrameType::in_region);
  OutputArchive out(frame);
  out(static_cast<std::uint64_t>(frame_bytes));
  finish_frame(frame, header);
  return frame;
}

Frame frame_in_region(std::span<const std::byte> payload, std::span<const std::byte> region,
                      std::span<const FrameType> accepted) {
  const std::uint64_t size = number_in(payload, "in_region");
  if (size > region.size()) {
    throw MalformedFrame("joblet: malformed message: a frame of " + std::to_string(size) +
                         " bytes in a region of " + std::to_string(region.size()));
  }
  const auto frame = frame_at(region.first(size), accepted);
  if (!frame || kFrameHeaderSize + frame->payload.size() != size) {
    throw MalformedFrame("joblet: malformed message: the frame in a region is not the " +
                         std::to_string(size) + " bytes announced");
  }
  return *frame;
}

}  // namespace joblet::detail
