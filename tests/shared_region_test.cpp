// Shared memory regions and the in_region frames that point into them: what a receiver reads
// is the frame announced, whole, or a MalformedFrame; never bytes beyond the region.
#include "processes/shared_region.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cstddef>
#include <cstring>
#include <string>

#include "support/thrown.hpp"

namespace joblet::testing {
namespace {

using detail::Bytes;
using detail::Frame;
using detail::frame_in_region;
using detail::FrameType;
using detail::in_region_frame;
using detail::kFrameHeaderSize;
using detail::MalformedFrame;
using detail::SharedRegion;

constexpr std::array kFromWorker{FrameType::batch_done, FrameType::worker_error};
constexpr std::size_t kRegionBytes = 4096;

/// A batch_done frame of `payload` bytes, each its position modulo 251.
Bytes batch_done(std::size_t payload) {
  Bytes frame;
  const std::size_t header = detail::begin_frame(frame, FrameType::batch_done);
  for (std::size_t i = 0; i < payload; ++i)
    frame.push_back(static_cast<std::byte>(i % 251));
  detail::finish_frame(frame, header);
  return frame;
}

/// What the MalformedFrame that `call` threw says.
template <class Call>
std::string malformed(Call&& call) {
  const auto error = thrown<MalformedFrame>(call);
  return error ? error->what() : "no MalformedFrame";
}

/// The payload of the in_region frame that stands for a frame of `size` bytes.
Bytes pointer_to(std::size_t size) {
  const Bytes frame = in_region_frame(size);
  return {frame.begin() + kFrameHeaderSize, frame.end()};
}

TEST(SharedRegion, IsTheSameMemoryInAnotherMappingOfItsFile) {
  const SharedRegion parent(kRegionBytes);
  const SharedRegion worker(dup(parent.fd()), kRegionBytes);
  const std::string text = "written by the parent";
  std::memcpy(parent.bytes().data(), text.data(), text.size());
  EXPECT_EQ(std::memcmp(worker.bytes().data(), text.data(), text.size()), 0);
}

TEST(SharedRegion, AFileSmallerThanAnnouncedIsMalformed) {
  const SharedRegion parent(kRegionBytes);
  const std::string what =
      malformed([&] { const SharedRegion worker(dup(parent.fd()), 2 * kRegionBytes); });
  EXPECT_NE(what.find("cannot be mapped"), std::string::npos) << what;
}

TEST(FrameInRegion, IsTheFrameAnnouncedAtTheStartOfTheRegion) {
  const SharedRegion region(kRegionBytes);
  const Bytes frame = batch_done(1000);
  std::memcpy(region.bytes().data(), frame.data(), frame.size());

  const Frame found = frame_in_region(pointer_to(frame.size()), region.bytes(), kFromWorker);

  EXPECT_EQ(found.type, FrameType::batch_done);
  EXPECT_EQ(found.payload.data(), region.bytes().data() + kFrameHeaderSize);
  EXPECT_TRUE(std::equal(found.payload.begin(), found.payload.end(),
                         frame.begin() + kFrameHeaderSize, frame.end()));
}

TEST(FrameInRegion, ASizeBeyondTheRegionIsMalformed) {
  const SharedRegion region(kRegionBytes);
  const Bytes frame = batch_done(kRegionBytes - kFrameHeaderSize);
  std::memcpy(region.bytes().data(), frame.data(), frame.size());
  const std::string what = malformed(
      [&] { (void)frame_in_region(pointer_to(kRegionBytes + 1), region.bytes(), kFromWorker); });
  EXPECT_NE(what.find("in a region of 4096"), std::string::npos) << what;
}

TEST(FrameInRegion, ASizeOtherThanTheFramesOwnIsMalformed) {
  const SharedRegion region(kRegionBytes);
  const Bytes frame = batch_done(100);
  std::memcpy(region.bytes().data(), frame.data(), frame.size());
  for (const std::size_t size :
       {std::size_t{0}, std::size_t{7}, frame.size() - 1, frame.size() + 1}) {
    const std::string what =
        malformed([&] { (void)frame_in_region(pointer_to(size), region.bytes(), kFromWorker); });
    EXPECT_NE(what.find("not the " + std::to_string(size) + " bytes announced"), std::string::npos)
        << what;
  }
}

TEST(FrameInRegion, APointerToAnotherPointerIsMalformed) {
  const SharedRegion region(kRegionBytes);
  const Bytes pointer = in_region_frame(16);
  std::memcpy(region.bytes().data(), pointer.data(), pointer.size());
  const std::string what = malformed(
      [&] { (void)frame_in_region(pointer_to(pointer.size()), region.bytes(), kFromWorker); });
  EXPECT_NE(what.find("unknown frame type 5"), std::string::npos) << what;
}

TEST(FrameInRegion, APayloadOtherThanOneNumberIsMalformed) {
  const SharedRegion region(kRegionBytes);
  const Bytes payload(4);
  const std::string what =
      malformed([&] { (void)frame_in_region(payload, region.bytes(), kFromWorker); });
  EXPECT_NE(what.find("4 bytes, not 8"), std::string::npos) << what;
}

}  // namespace
}  // namespace joblet::testing
