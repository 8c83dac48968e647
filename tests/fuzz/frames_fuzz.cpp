// libFuzzer target: bytes from a worker, as the parent receives them. They arrive in pieces of
// sizes the input chooses, are cut into frames by FrameReader, and each frame is decoded the
// way the processes backend decodes it (ProcessesExecutor::take in src/backends/processes.cpp):
// a worker_error frame holds a message, a batch_done frame a count and result records read
// by a real Batch. Malformed input may only end in the exceptions the code documents for it:
// MalformedFrame, cereal::Exception (MalformedBytes is one) and, for a type that only
// Boost.Serialization can read, boost::archive::archive_exception. Any other exception, a
// crash, a sanitizer report, a hang or a large allocation is a finding.
//
// An in_region frame points at a frame in the worker's shared memory region, checked by
// frame_in_region as the parent checks it; here the region is the input's last bytes.
//
// Input: byte 0 picks the result type and whether failures stop the batch, byte 1 the number
// of tasks in each batch, byte 2 how many of the next bytes are piece sizes (none: all at once)
// and, in its top bit, whether the second half of the rest is the region; the rest is the
// stream.
#include <algorithm>
#include <array>
#include <boost/archive/archive_exception.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

#include "joblet/delayed.hpp"
#include "joblet/detail/batch.hpp"
#include "processes/frames.hpp"
#include "processes/shared_region.hpp"

namespace {

using joblet::detail::Batch;
using joblet::detail::FrameReader;
using joblet::detail::FrameType;
using joblet::detail::InputArchive;
using joblet::detail::MalformedFrame;
using joblet::detail::OnFailure;

/// A result type with cereal support of its own.
struct Point {
  double x = 0;
  double y = 0;
  bool valid = false;
  template <class Archive>
  void serialize(Archive& archive) {
    archive(x, y, valid);
  }
};

/// A result type that only Boost.Serialization can read.
struct BoostOnly {
  std::vector<int> values;
  std::string name;
  template <class Archive>
  void serialize(Archive& archive, unsigned /*version*/) {
    archive& values& name;
  }
};

template <class R>
R produce(int /*seed*/) {
  if constexpr (!std::is_void_v<R>) return R{};
}

/// Fails the run: the decoder broke a promise that no exception type can express.
[[noreturn]] void finding(const char* what) {
  (void)std::fputs(what, stderr);
  std::abort();
}

/// Reads a batch_done payload for `tasks` tasks returning R, as the parent does.
template <class R, OnFailure on_failure>
void take_results(std::span<const std::byte> payload, std::size_t tasks) {
  using Task = decltype(joblet::delayed(&produce<R>, 0));
  Batch<std::vector<Task>, on_failure> batch(0, 1);
  for (std::size_t i = 0; i < tasks; ++i)
    batch.owned.push_back(joblet::delayed(&produce<R>, static_cast<int>(i)));
  batch.count = tasks;
  InputArchive in(payload);
  std::uint64_t records = 0;
  in(records);
  for (std::uint64_t i = 0; i < records && !batch.error; ++i) {
    if (batch.finished >= batch.count) throw MalformedFrame("more results than tasks");
    batch.read_result(in);
  }
  if (!batch.error && batch.finished < batch.count && !batch.stops_at_failure()) {
    throw MalformedFrame("fewer results than tasks");
  }
  if (batch.finished > batch.count) finding("a batch finished more tasks than it holds\n");
}

template <OnFailure on_failure>
void take_results_of_type(unsigned type, std::span<const std::byte> payload, std::size_t tasks) {
  switch (type) {
    case 0:
      return take_results<int, on_failure>(payload, tasks);
    case 1:
      return take_results<double, on_failure>(payload, tasks);
    case 2:
      return take_results<bool, on_failure>(payload, tasks);
    case 3:
      return take_results<std::string, on_failure>(payload, tasks);
    case 4:
      return take_results<std::vector<std::string>, on_failure>(payload, tasks);
    case 5:
      return take_results<std::vector<double>, on_failure>(payload, tasks);
    case 6:
      return take_results<std::map<std::string, int>, on_failure>(payload, tasks);
    case 7:
      return take_results<std::optional<double>, on_failure>(payload, tasks);
    case 8:
      return take_results<std::variant<int, std::string>, on_failure>(payload, tasks);
    case 9:
      return take_results<std::tuple<int, bool, std::string>, on_failure>(payload, tasks);
    case 10:
      return take_results<std::shared_ptr<int>, on_failure>(payload, tasks);
    case 11:
      return take_results<Point, on_failure>(payload, tasks);
    case 12:
      return take_results<BoostOnly, on_failure>(payload, tasks);
    case 13:
      return take_results<void, on_failure>(payload, tasks);
    case 14:
      return take_results<std::set<int>, on_failure>(payload, tasks);
    default:
      return take_results<std::pair<std::array<float, 3>, char>, on_failure>(payload, tasks);
  }
}

constexpr std::array kFromWorker{FrameType::batch_done, FrameType::worker_error,
                                 FrameType::worker_ready, FrameType::in_region};
constexpr std::array kInRegion{FrameType::batch_done, FrameType::worker_error};

std::uint32_t length_at(std::span<const std::byte> stream, std::size_t offset) {
  std::uint32_t length = 0;
  for (std::size_t i = 4; i-- > 0;)
    length = (length << 8U) | std::to_integer<std::uint32_t>(stream[offset + i]);
  return length;
}

/// Decodes one frame from a worker as the parent does.
void take_frame(unsigned type, bool record, std::size_t tasks, const joblet::detail::Frame& frame,
                std::span<const std::byte> region) {
  if (frame.type == FrameType::in_region) {
    const auto in_region = joblet::detail::frame_in_region(frame.payload, region, kInRegion);
    if (in_region.payload.data() < region.data() ||
        in_region.payload.data() + in_region.payload.size() > region.data() + region.size()) {
      finding("a frame in the region reaches beyond it\n");
    }
    take_frame(type, record, tasks, in_region, region);
  } else if (frame.type == FrameType::worker_ready) {
    return;  // nothing to decode: the parent only checks that it carries nothing
  } else if (frame.type == FrameType::worker_error) {
    InputArchive in(frame.payload);
    std::string message;
    in(message);
  } else if (record) {
    take_results_of_type<OnFailure::record>(type, frame.payload, tasks);
  } else {
    take_results_of_type<OnFailure::stop>(type, frame.payload, tasks);
  }
}

void decode_stream(unsigned type, bool record, std::size_t tasks,
                   std::span<const std::uint8_t> pieces, std::span<const std::byte> stream,
                   std::span<const std::byte> region) {
  FrameReader reader(kFromWorker);
  std::size_t fed = 0;
  std::size_t cut = 0;  // where the next frame must start in the stream
  for (std::size_t piece = 0; fed < stream.size(); ++piece) {
    const std::size_t wanted =
        pieces.empty() ? stream.size() : std::size_t{pieces[piece % pieces.size()]} + 1;
    const std::size_t size = std::min(wanted, stream.size() - fed);
    const std::span<std::byte> space = reader.space(size);
    if (space.size() < size) finding("space() gave less room than asked for\n");
    std::memcpy(space.data(), stream.data() + fed, size);
    reader.commit(size);
    fed += size;
    while (auto frame = reader.next()) {
      // A frame is the next header's length of bytes right after it, nothing else.
      if (frame->payload.size() != length_at(stream, cut) ||
          !std::equal(frame->payload.begin(), frame->payload.end(),
                      stream.begin() + static_cast<std::ptrdiff_t>(cut + 8))) {
        finding("a frame's payload is not the bytes its header announced\n");
      }
      cut += joblet::detail::kFrameHeaderSize + frame->payload.size();
      take_frame(type, record, tasks, *frame, region);
    }
  }
  if (reader.buffered() != stream.size() - cut) finding("buffered() lost count of bytes\n");
  if (reader.buffered() >= joblet::detail::kFrameHeaderSize &&
      reader.buffered() - joblet::detail::kFrameHeaderSize >= length_at(stream, cut)) {
    finding("a whole frame was received but not returned\n");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  const unsigned type = data[0] & 15U;
  const bool record = (data[0] & 16U) != 0;
  const std::size_t tasks = 1 + data[1] % 16U;
  const std::size_t piece_bytes = std::min<std::size_t>(data[2] % 8U, size - 3);
  const std::span<const std::uint8_t> pieces(data + 3, piece_bytes);
  std::span<const std::byte> stream(reinterpret_cast<const std::byte*>(data) + 3 + piece_bytes,
                                    size - 3 - piece_bytes);
  std::span<const std::byte> region;
  if ((data[2] & 0x80U) != 0) {
    region = stream.subspan(stream.size() / 2);
    stream = stream.first(stream.size() / 2);
  }
  try {
    decode_stream(type, record, tasks, pieces, stream, region);
  } catch (const MalformedFrame&) {                     // NOLINT(bugprone-empty-catch)
  } catch (const cereal::Exception&) {                  // NOLINT(bugprone-empty-catch)
  } catch (const boost::archive::archive_exception&) {  // NOLINT(bugprone-empty-catch)
  }  // the clear errors malformed input is allowed to end in
  return 0;
}
