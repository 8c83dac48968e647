#include "frames.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

namespace joblet::detail {
namespace {

std::uint32_t read_length(const std::byte* header) {
  std::uint32_t length = 0;
  for (int i = 3; i >= 0; --i) {
    length = (length << 8U) | std::to_integer<std::uint32_t>(header[i]);
  }
  return length;
}

}  // namespace

std::size_t begin_frame(Bytes& bytes, FrameType type) {
  const std::size_t header = bytes.size();
  bytes.resize(header + kFrameHeaderSize, std::byte{0});
  bytes[header + 4] = static_cast<std::byte>(type);
  return header;
}

void finish_frame(Bytes& bytes, std::size_t header) {
  const std::size_t payload = bytes.size() - header - kFrameHeaderSize;
  if (payload > kMaxFramePayload) {
    throw std::length_error("joblet: a batch of " + std::to_string(payload) +
                            " bytes is larger than the 1 GiB a message may carry; lower "
                            "Options::batch_size, or share() large arguments");
  }
  for (int i = 0; i < 4; ++i) {
    bytes[header + static_cast<std::size_t>(i)] =
        static_cast<std::byte>((payload >> (8U * static_cast<unsigned>(i))) & 0xFFU);
  }
}

std::span<std::byte> FrameReader::space(std::size_t bytes) {
  const std::size_t received = end_ - start_;
  if (received >= kFrameHeaderSize) {
    const std::size_t frame =
        kFrameHeaderSize +
        std::min<std::size_t>(read_length(buffer_.get() + start_), kMaxFramePayload);
    if (frame > received)
      bytes = std::max(bytes, std::min(frame - received, std::max(capacity_, bytes)));
  }
  if (start_ > 0 && capacity_ - end_ < bytes) {
    // Move what is left of the last frames to the front rather than growing without end.
    std::memmove(buffer_.get(), buffer_.get() + start_, end_ - start_);
    end_ -= start_;
    start_ = 0;
  }
  if (capacity_ - end_ < bytes) {
    const std::size_t capacity = end_ + std::max(bytes, capacity_);
    auto grown = std::make_unique_for_overwrite<std::byte[]>(capacity);
    if (end_ > 0) std::memcpy(grown.get(), buffer_.get(), end_);
    buffer_ = std::move(grown);
    capacity_ = capacity;
  }
  return {buffer_.get() + end_, capacity_ - end_};
}

void FrameReader::commit(std::size_t bytes) {
  end_ += std::min(bytes, capacity_ - end_);
}

std::optional<Frame> frame_at(std::span<const std::byte> bytes,
                              std::span<const FrameType> accepted) {
  if (bytes.size() < kFrameHeaderSize) return std::nullopt;
  const std::byte* header = bytes.data();
  const std::size_t length = read_length(header);
  const auto type = static_cast<FrameType>(header[4]);
  if (header[5] != std::byte{0} || header[6] != std::byte{0} || header[7] != std::byte{0}) {
    throw MalformedFrame(
        "joblet: malformed message from a worker: a frame header with "
        "non-zero reserved bytes");
  }
  if (std::find(accepted.begin(), accepted.end(), type) == accepted.end()) {
    throw MalformedFrame("joblet: malformed message from a worker: unknown frame type " +
                         std::to_string(std::to_integer<int>(header[4])));
  }
  if (length > kMaxFramePayload) {
    throw MalformedFrame("joblet: malformed message from a worker: a frame of " +
                         std::to_string(length) + " bytes, more than the 1 GiB limit");
  }
  if (bytes.size() - kFrameHeaderSize < length) return std::nullopt;
  return Frame{type, bytes.subspan(kFrameHeaderSize, length)};
}

std::optional<Frame> FrameReader::next() {
  auto frame = frame_at({buffer_.get() + start_, end_ - start_}, accepted_);
  if (frame) start_ += kFrameHeaderSize + frame->payload.size();
  return frame;
}

}  // namespace joblet::detail
