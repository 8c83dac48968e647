// Message frames, and what the parent makes of malformed bytes from a worker: a clear error,
// never a crash, a hang or a huge allocation.
#include "processes/frames.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "joblet/detail/batch.hpp"
#include "joblet/joblet.hpp"
#include "support/thrown.hpp"

namespace joblet::testing {
namespace {

using detail::Bytes;
using detail::FrameReader;
using detail::FrameType;
using detail::InputArchive;
using detail::kFrameHeaderSize;
using detail::kMaxFramePayload;
using detail::MalformedBytes;
using detail::MalformedFrame;
using detail::OutputArchive;

constexpr std::array kFromWorker{FrameType::batch_done, FrameType::worker_error};

struct Message {
  FrameType type;
  Bytes payload;

  bool operator==(const Message&) const = default;
};

Bytes bytes_of(std::string_view text) {
  Bytes bytes(text.size());
  std::transform(text.begin(), text.end(), bytes.begin(),
                 [](char c) { return static_cast<std::byte>(c); });
  return bytes;
}

/// Messages of every size from empty to larger than one 64 KiB read, alternating types.
std::vector<Message> sample_messages() {
  std::vector<Message> messages;
  std::mt19937 random(20240611U);
  for (const std::size_t size : {0UL, 1UL, 7UL, 8UL, 9UL, 255UL, 4096UL, 200'000UL, 3UL}) {
    Bytes payload(size);
    std::generate(payload.begin(), payload.end(),
                  [&random] { return static_cast<std::byte>(random()); });
    const FrameType type =
        messages.size() % 2 == 0 ? FrameType::batch_done : FrameType::worker_error;
    messages.push_back({type, std::move(payload)});
  }
  return messages;
}

Bytes frames_of(const std::vector<Message>& messages) {
  Bytes stream;
  for (const auto& message : messages) {
    const std::size_t header = detail::begin_frame(stream, message.type);
    stream.insert(stream.end(), message.payload.begin(), message.payload.end());
    detail::finish_frame(stream, header);
  }
  return stream;
}

/// A header as a worker could send it, whatever it holds.
Bytes header(std::uint32_t length, std::uint8_t type, std::array<std::uint8_t, 3> reserved = {}) {
  Bytes bytes(kFrameHeaderSize);
  for (std::size_t i = 0; i < 4; ++i)
    bytes[i] = static_cast<std::byte>((length >> (8U * i)) & 0xFFU);
  bytes[4] = static_cast<std::byte>(type);
  for (std::size_t i = 0; i < 3; ++i)
    bytes[5 + i] = static_cast<std::byte>(reserved[i]);
  return bytes;
}

/// What `call` threw as an E, or "nothing thrown".
template <class E, class Call>
std::string message_of(Call&& call) {
  const auto error = thrown<E>(std::forward<Call>(call));
  return error ? std::string(error->what()) : "nothing thrown";
}

void feed(FrameReader& reader, std::span<const std::byte> bytes) {
  const std::span<std::byte> space = reader.space(bytes.size());
  ASSERT_GE(space.size(), bytes.size());
  std::copy(bytes.begin(), bytes.end(), space.begin());
  reader.commit(bytes.size());
}

std::vector<Message> take_all(FrameReader& reader) {
  std::vector<Message> messages;
  for (;;) {
    const auto frame = reader.next();
    if (!frame) return messages;
    messages.push_back({frame->type, Bytes(frame->payload.begin(), frame->payload.end())});
  }
}

/// Feeds `stream` in pieces of the sizes `piece` hands out, taking frames after each piece.
template <class Piece>
std::vector<Message> read_in_pieces(std::span<const std::byte> stream, Piece piece) {
  FrameReader reader(kFromWorker);
  std::vector<Message> messages;
  for (std::size_t done = 0; done < stream.size();) {
    const std::size_t size = std::min(piece(), stream.size() - done);
    feed(reader, stream.subspan(done, size));
    done += size;
    for (auto& message : take_all(reader))
      messages.push_back(std::move(message));
  }
  EXPECT_EQ(reader.buffered(), 0U);
  return messages;
}

TEST(Frames, HeaderIsLittleEndianLengthThenTypeThenZeros) {
  Bytes stream;
  const std::size_t at = detail::begin_frame(stream, FrameType::worker_error);
  stream.resize(stream.size() + 0x010203);
  detail::finish_frame(stream, at);
  const Bytes expected = header(0x010203, static_cast<std::uint8_t>(FrameType::worker_error));
  EXPECT_TRUE(std::equal(expected.begin(), expected.end(), stream.begin()));
}

TEST(Frames, SeveralFramesInOneReadComeOutInOrder) {
  const auto messages = sample_messages();
  const Bytes stream = frames_of(messages);
  FrameReader reader(kFromWorker);
  feed(reader, stream);
  EXPECT_EQ(take_all(reader), messages);
  EXPECT_EQ(reader.buffered(), 0U);
}

TEST(Frames, SplitAcrossReadsOfOneByte) {
  const auto messages = sample_messages();
  const Bytes stream = frames_of(messages);
  EXPECT_EQ(read_in_pieces(stream, [] { return std::size_t{1}; }), messages);
}

TEST(Frames, SplitAcrossReadsOfEverySizeUpToTwoHeaders) {
  const auto messages = sample_messages();
  const Bytes stream = frames_of(messages);
  for (std::size_t size = 2; size <= 2 * kFrameHeaderSize + 1; ++size) {
    EXPECT_EQ(read_in_pieces(stream, [size] { return size; }), messages) << "reads of " << size;
  }
}

TEST(Frames, SplitAcrossReadsOfRandomSizes) {
  const auto messages = sample_messages();
  const Bytes stream = frames_of(messages);
  std::mt19937 random(7U);
  for (int round = 0; round < 20; ++round) {
    std::uniform_int_distribution<std::size_t> size(1, round % 2 == 0 ? 16 : 100'000);
    EXPECT_EQ(read_in_pieces(stream, [&] { return size(random); }), messages) << round;
  }
}

TEST(Frames, BufferIsReusedRatherThanGrowingWithEachFrame) {
  const std::vector<Message> one{{FrameType::batch_done, Bytes(100, std::byte{42})}};
  const Bytes frame = frames_of(one);
  FrameReader reader(kFromWorker);
  std::size_t room = 0;
  for (int i = 0; i < 10'000; ++i) {
    for (std::size_t done = 0; done < frame.size(); done += 64) {
      feed(reader, std::span(frame).subspan(done, std::min<std::size_t>(64, frame.size() - done)));
      for (auto& message : take_all(reader))
        ASSERT_EQ(message, one.front());
    }
    room = std::max(room, reader.space(64).size());
  }
  // Space for a few frames, not for the 1 MB that went through.
  EXPECT_LT(room, 8 * frame.size());
}

/// How many space() calls a reader that fills each room it is given takes to return `frame`.
std::size_t reads_to_receive(FrameReader& reader, std::span<const std::byte> frame) {
  std::size_t reads = 0;
  for (std::size_t done = 0; done < frame.size(); ++reads) {
    const std::span<std::byte> room = reader.space(64);
    const std::size_t piece = std::min(room.size(), frame.size() - done);
    std::copy_n(frame.begin() + static_cast<std::ptrdiff_t>(done), piece, room.begin());
    reader.commit(piece);
    done += piece;
  }
  EXPECT_EQ(take_all(reader).size(), 1U);
  return reads;
}

TEST(Frames, ALargeFrameIsReadInAFewPiecesNotInPiecesOfTheSizeAskedFor) {
  const Bytes frame = frames_of({{FrameType::batch_done, Bytes(1U << 20U, std::byte{7})}});
  FrameReader reader(kFromWorker);
  // The first time the room grows, at most doubling per read; then it holds the whole frame.
  EXPECT_LE(reads_to_receive(reader, frame), 32U);
  EXPECT_LE(reads_to_receive(reader, frame), 2U);
}

TEST(Frames, TruncatedFrameIsNotReturnedUntilItsLastByteArrives) {
  const std::vector<Message> one{{FrameType::batch_done, bytes_of("a result record")}};
  const Bytes stream = frames_of(one);
  FrameReader reader(kFromWorker);
  for (std::size_t i = 0; i + 1 < stream.size(); ++i) {
    feed(reader, std::span(stream).subspan(i, 1));
    EXPECT_EQ(reader.next(), std::nullopt) << "after " << i + 1 << " bytes";
    EXPECT_EQ(reader.buffered(), i + 1);
  }
  feed(reader, std::span(stream).last(1));
  EXPECT_EQ(take_all(reader), one);
  EXPECT_EQ(reader.buffered(), 0U);
}

TEST(Frames, LengthAboveTheLimitIsMalformedAsSoonAsTheHeaderArrives) {
  const auto type = static_cast<std::uint8_t>(FrameType::batch_done);
  for (const std::uint64_t length : {std::uint64_t{kMaxFramePayload} + 1,
                                     std::uint64_t{std::numeric_limits<std::uint32_t>::max()}}) {
    FrameReader reader(kFromWorker);
    feed(reader, header(static_cast<std::uint32_t>(length), type));
    const std::string what = message_of<MalformedFrame>([&] { (void)reader.next(); });
    EXPECT_NE(what.find(std::to_string(length) + " bytes, more than the"), std::string::npos)
        << what;
  }
  // The largest allowed length only waits for its payload.
  FrameReader reader(kFromWorker);
  feed(reader, header(static_cast<std::uint32_t>(kMaxFramePayload), type));
  EXPECT_EQ(reader.next(), std::nullopt);
}

TEST(Frames, UnknownTypeIsMalformed) {
  for (const std::uint8_t type : {0, 4, 15, 18, 99, 255}) {
    FrameReader reader(kFromWorker);
    feed(reader, header(0, type));
    const std::string what = message_of<MalformedFrame>([&] { (void)reader.next(); });
    EXPECT_NE(what.find("unknown frame type " + std::to_string(type)), std::string::npos) << what;
  }
}

TEST(Frames, TypeMeantForTheOtherSideIsMalformed) {
  for (const FrameType type :
       {FrameType::run_batch, FrameType::shared_value, FrameType::end_of_run}) {
    FrameReader reader(kFromWorker);
    feed(reader, header(0, static_cast<std::uint8_t>(type)));
    EXPECT_TRUE(thrown<MalformedFrame>([&] { (void)reader.next(); })) << int(type);
  }
}

TEST(Frames, NonZeroReservedByteIsMalformed) {
  for (std::size_t i = 0; i < 3; ++i) {
    std::array<std::uint8_t, 3> reserved{};
    reserved.at(i) = 1;
    FrameReader reader(kFromWorker);
    feed(reader, header(0, static_cast<std::uint8_t>(FrameType::batch_done), reserved));
    const std::string what = message_of<MalformedFrame>([&] { (void)reader.next(); });
    EXPECT_NE(what.find("non-zero reserved bytes"), std::string::npos)
        << "byte " << i << ": " << what;
  }
}

TEST(Frames, GarbageIsMalformedOrWaitsForMoreNeverMore) {
  // Random bytes either stop at the first bad header or leave an incomplete frame; every frame
  // they hold lies inside them.
  std::mt19937 random(3U);
  for (int round = 0; round < 2000; ++round) {
    Bytes garbage(std::uniform_int_distribution<std::size_t>(0, 64)(random));
    std::generate(garbage.begin(), garbage.end(),
                  [&random] { return static_cast<std::byte>(random() % 4 == 0 ? 0 : random()); });
    FrameReader reader(kFromWorker);
    feed(reader, garbage);
    std::size_t taken = 0;
    try {
      for (const auto& message : take_all(reader))
        taken += kFrameHeaderSize + message.payload.size();
    } catch (const MalformedFrame&) {
      continue;
    }
    EXPECT_EQ(taken + reader.buffered(), garbage.size()) << round;
  }
}

// ######################################################################
// Result records: what a batch_done frame holds, read the way the parent reads it.

Bytes encoded(const auto&... values) {
  Bytes bytes;
  OutputArchive out(bytes);
  out(values...);
  return bytes;
}

template <class T>
T decoded(std::span<const std::byte> bytes) {
  InputArchive in(bytes);
  T value;
  in(value);
  return value;
}

TEST(Frames, EveryTruncationOfAResultIsMalformedBytes) {
  const std::vector<std::string> value{"alpha", "", "gamma ray"};
  const Bytes bytes = encoded(value);
  for (std::size_t size = 0; size < bytes.size(); ++size) {
    EXPECT_TRUE(thrown<MalformedBytes>([&] {
      (void)decoded<std::vector<std::string>>(std::span(bytes).first(size));
    })) << size
        << " of " << bytes.size() << " bytes";
  }
  EXPECT_EQ(decoded<std::vector<std::string>>(bytes), value);
}

TEST(Frames, ContainerLongerThanItsBytesIsMalformedBeforeAnyAllocation) {
  // 2^62 strings, or one string of 2^62 chars, in a few bytes: refused by size, not by
  // running out of memory.
  constexpr std::uint64_t kHuge = std::uint64_t{1} << 62U;
  const Bytes many = encoded(kHuge, std::uint64_t{0});
  const std::string what =
      message_of<MalformedBytes>([&] { (void)decoded<std::vector<std::string>>(many); });
  EXPECT_NE(what.find("a container of " + std::to_string(kHuge)), std::string::npos) << what;
  const Bytes long_string = encoded(std::uint64_t{1}, kHuge, std::uint32_t{0});
  EXPECT_TRUE(
      thrown<MalformedBytes>([&] { (void)decoded<std::vector<std::string>>(long_string); }));
}

TEST(Frames, GarbageDecodesAsMalformedBytesOrAsAValueNoLargerThanItself) {
  std::mt19937 random(11U);
  int malformed = 0;
  for (int round = 0; round < 5000; ++round) {
    // Small numbers are likelier than in uniform bytes, so that some garbage decodes.
    Bytes garbage(std::uniform_int_distribution<std::size_t>(0, 48)(random));
    std::generate(garbage.begin(), garbage.end(), [&random] {
      return static_cast<std::byte>(random() % 3 == 0 ? random() % 4 : random());
    });
    try {
      const auto value = decoded<std::vector<std::string>>(garbage);
      std::size_t chars = 0;
      for (const auto& text : value)
        chars += text.size();
      EXPECT_LE(chars + value.size(), garbage.size()) << round;
    } catch (const MalformedBytes&) {
      ++malformed;
    }
  }
  EXPECT_GT(malformed, 0);
}

TEST(Frames, BoolOtherThanZeroOrOneIsMalformedBytes) {
  // Copying such a byte into a bool is undefined behaviour, not a value.
  for (const std::uint8_t byte : {2, 4, 255}) {
    const Bytes bytes = encoded(byte);
    EXPECT_TRUE(thrown<MalformedBytes>([&] { (void)decoded<bool>(bytes); })) << int{byte};
    EXPECT_TRUE(thrown<MalformedBytes>([&] { (void)decoded<std::optional<int>>(bytes); }))
        << int{byte};
  }
}

int square(int x) {
  return x * x;
}

using SquareTask = decltype(delayed(&square, 0));

/// A batch of tasks square(first), square(first + 1), ... as the parent holds it while their
/// results are out in a worker; failures are recorded as under try_run.
struct RecordingBatch {
  explicit RecordingBatch(std::size_t tasks) {
    for (std::size_t i = 0; i < tasks; ++i)
      batch.owned.push_back(delayed(&square, static_cast<int>(i)));
    batch.count = tasks;
  }
  detail::Batch<std::vector<SquareTask>, detail::OnFailure::record> batch{0, 1};
};

TEST(Frames, FailureRecordBecomesTaskErrorWithTheWorkersTypeAndMessage) {
  RecordingBatch recording(2);
  const Bytes records = encoded(detail::TaskStatus::ok, square(0), detail::TaskStatus::failed,
                                std::string("std::domain_error"), std::string("no convergence"));
  InputArchive in(records);
  EXPECT_TRUE(recording.batch.read_result(in));
  EXPECT_FALSE(recording.batch.read_result(in));
  EXPECT_EQ(in.remaining(), 0U);
  const auto& outcomes = recording.batch.results.values;
  ASSERT_EQ(outcomes.size(), 2U);
  EXPECT_EQ(*outcomes[0], square(0));
  ASSERT_FALSE(outcomes[1]);
  EXPECT_EQ(outcomes[1].error().index(), 1U);
  EXPECT_EQ(outcomes[1].error().exception_type(), "std::domain_error");
  EXPECT_EQ(outcomes[1].error().message(), "no convergence");
}

TEST(Frames, EveryTruncationOfAResultRecordIsMalformedBytes) {
  const Bytes records = encoded(detail::TaskStatus::ok, square(0), detail::TaskStatus::failed,
                                std::string("std::domain_error"), std::string("no convergence"));
  for (std::size_t size = 0; size < records.size(); ++size) {
    RecordingBatch recording(2);
    InputArchive in{std::span(records).first(size)};
    EXPECT_TRUE(thrown<MalformedBytes>([&] {
      recording.batch.read_result(in);
      recording.batch.read_result(in);
    })) << size
        << " of " << records.size() << " bytes";
  }
}

TEST(Frames, ResultRecordWithAnUnknownStatusIsMalformedBytes) {
  // Only ok (0) and failed (1) are written; anything else is not a result to trust.
  for (const std::uint8_t status : {2, 7, 255}) {
    RecordingBatch recording(1);
    const Bytes record = encoded(status, square(0));
    InputArchive in(record);
    EXPECT_TRUE(thrown<MalformedBytes>([&] { recording.batch.read_result(in); }))
        << "status " << int{status};
  }
}

// ######################################################################
// End to end: a task that writes bytes of its own on its worker's socket, as a worker with a
// broken serialize() or a stray write could. The parent names the problem and kills the worker;
// the next run works.

/// The worker's end of its socket to the parent: its only Unix stream socket.
int parent_socket() {
  for (int fd = 3; fd < 1024; ++fd) {
    int type = 0;
    socklen_t size = sizeof(type);
    sockaddr address{};
    socklen_t address_size = sizeof(address);
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &size) == 0 && type == SOCK_STREAM &&
        getsockname(fd, &address, &address_size) == 0 && address.sa_family == AF_UNIX) {
      return fd;
    }
  }
  return -1;
}

enum class Forgery { garbage, length_above_limit, result_shorter_than_its_type };

Bytes forged(Forgery forgery) {
  switch (forgery) {
    case Forgery::garbage: {
      Bytes bytes(64);
      std::mt19937 random(5U);
      std::generate(bytes.begin(), bytes.end(),
                    [&random] { return static_cast<std::byte>(random()); });
      bytes[5] = std::byte{0xA5};  // whatever else it holds, not a header
      return bytes;
    }
    case Forgery::length_above_limit:
      return header(std::numeric_limits<std::uint32_t>::max(),
                    static_cast<std::uint8_t>(FrameType::batch_done));
    case Forgery::result_shorter_than_its_type: {
      // One record whose int has two of its four bytes.
      Bytes stream;
      const std::size_t at = detail::begin_frame(stream, FrameType::batch_done);
      OutputArchive out(stream);
      out(std::uint64_t{1}, detail::TaskStatus::ok, std::uint16_t{0});
      detail::finish_frame(stream, at);
      return stream;
    }
  }
  return {};
}

int forge_and_return(int forgery) {
  const Bytes bytes = forged(static_cast<Forgery>(forgery));
  const int socket = parent_socket();
  if (socket < 0 ||
      write(socket, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) {
    throw std::runtime_error("could not reach the parent's socket");
  }
  return forgery;
}

TEST(Frames, MalformedBytesFromAWorkerAreAnErrorInTheParentAndTheNextRunWorks) {
  const std::array<std::pair<Forgery, std::string>, 3> cases{{
      {Forgery::garbage, "reserved bytes"},
      {Forgery::length_above_limit, "more than the 1 GiB limit"},
      {Forgery::result_shorter_than_its_type, "malformed bytes: 4 bytes wanted, 2 left"},
  }};
  const Options options{.n_jobs = 2, .backend = Backend::processes};
  for (const auto& [forgery, message] : cases) {
    const std::vector tasks{delayed(&forge_and_return, static_cast<int>(forgery))};
    const std::string what = message_of<Error>([&] { (void)Parallel(options)(tasks); });
    EXPECT_NE(what.find(message), std::string::npos) << what;
    EXPECT_NE(what.find("it was killed"), std::string::npos) << what;

    std::vector<SquareTask> squares;
    std::vector<int> expected;
    for (int i = 0; i < 20; ++i) {
      squares.push_back(delayed(&square, i));
      expected.push_back(square(i));
    }
    EXPECT_EQ(Parallel(options)(squares), expected) << "after " << message;
  }
}

}  // namespace
}  // namespace joblet::testing
