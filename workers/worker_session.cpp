#include "worker_session.hpp"

#include <array>
#include <chrono>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>

#include "joblet/detail/task_codec.hpp"
#include "joblet/detail/task_context.hpp"
#include "joblet/detail/trace.hpp"

namespace joblet::detail {
namespace {

constexpr std::array kFromParent{FrameType::run_batch, FrameType::shared_value,
                                 FrameType::end_of_run};

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Bytes worker_error_frame(const std::string& message) {
  Bytes reply;
  const std::size_t header = begin_frame(reply, FrameType::worker_error);
  OutputArchive out(reply);
  out(message);
  finish_frame(reply, header);
  return reply;
}

std::span<const FrameType> frames_from_parent() noexcept {
  return kFromParent;
}

WorkerSession::WorkerSession(WorkerSlot& slot) : slot_(&slot), previous_inbox_(shared_inbox) {
  shared_inbox = this;
}

WorkerSession::~WorkerSession() {
  shared_inbox = previous_inbox_;
}

std::optional<Bytes> WorkerSession::handle(const Frame& frame) {
  try {
    if (frame.type == FrameType::run_batch) return run_batch(frame.payload);
    if (frame.type == FrameType::shared_value) {
      InputArchive in(frame.payload);
      std::uint64_t id = 0;
      in(id);
      const auto bytes = frame.payload.subspan(sizeof(id));
      shared_[id] = Entry{Bytes(bytes.begin(), bytes.end()), nullptr, nullptr};
    } else {
      shared_.clear();
    }
    return std::nullopt;
  } catch (const std::exception& error) {
    // A batch this worker cannot even read: the run fails; the worker stays usable.
    slot_->task.store(0, std::memory_order_release);
    return worker_error_frame(error.what());
  }
}

std::shared_ptr<const void> WorkerSession::find(
    std::uint64_t id, const std::type_info& type,
    std::shared_ptr<const void> (*read)(std::span<const std::byte> bytes)) {
  const auto entry = shared_.find(id);
  if (entry == shared_.end()) {
    throw std::runtime_error("joblet: shared value " + std::to_string(id) +
                             " was not sent to this worker");
  }
  if (entry->second.value == nullptr || *entry->second.type != type) {
    entry->second.value = read(entry->second.bytes);
    entry->second.type = &type;
  }
  return entry->second.value;
}

Bytes WorkerSession::run_batch(std::span<const std::byte> payload) {
  InputArchive in(payload);
  std::uint8_t flags = 0;
  TaskContext context;
  std::uint64_t count = 0;
  in(flags, context.seed, context.inner_threads, count);
  const bool traced = (flags & kTraceTasks) != 0;
  std::vector<TraceSlice> trace;
  if (traced) context.trace = &trace;

  Bytes reply;
  const std::size_t header = begin_frame(reply, FrameType::batch_done);
  const std::size_t count_at = reply.size();
  reply.resize(count_at + sizeof(std::uint64_t));
  OutputArchive out(reply);
  std::uint64_t done = 0;
  {
    const TaskScope scope(context);
    for (; done < count;) {
      std::uint64_t index = 0;
      FunctionId kind_id;
      in(index, kind_id);
      const TaskKind& kind = task_kind_at(kind_id);
      context.index = index;
      context.rng.reset();
      slot_->started.store(now_ns(), std::memory_order_relaxed);
      slot_->task.store(index + 1, std::memory_order_release);
      const std::size_t record = out.size();
      const std::int64_t start = traced ? trace_clock() : 0;
      kind.run(in, out);
      if (traced)
        trace.push_back({.start = start, .end = trace_clock(), .task = index, .kernel = {}});
      slot_->task.store(0, std::memory_order_release);
      ++done;
      if ((flags & kStopAtFailure) != 0 &&
          reply[record] == static_cast<std::byte>(TaskStatus::failed)) {
        break;
      }
    }
  }
  std::memcpy(reply.data() + count_at, &done, sizeof(done));
  if (traced) out(this_lane(), trace);
  finish_frame(reply, header);
  return reply;
}

}  // namespace joblet::detail
