#include "worker_loop.hpp"

#include <malloc.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <optional>
#include <string>

#include "../src/processes/frames.hpp"
#include "joblet/detail/task_codec.hpp"
#include "joblet/detail/task_context.hpp"
#include "joblet/share.hpp"

namespace joblet::detail {
namespace {

/// The run's Shared values, kept as bytes until a task first reads one.
class SharedCache final : public SharedInbox {
 public:
  void store(std::uint64_t id, std::span<const std::byte> bytes) {
    entries_[id] = Entry{Bytes(bytes.begin(), bytes.end()), nullptr, nullptr};
  }
  void clear() { entries_.clear(); }

  std::shared_ptr<const void> find(
      std::uint64_t id, const std::type_info& type,
      std::shared_ptr<const void> (*read)(std::span<const std::byte> bytes)) override {
    const auto entry = entries_.find(id);
    if (entry == entries_.end()) {
      throw std::runtime_error("joblet: shared value " + std::to_string(id) +
                               " was not sent to this worker");
    }
    if (entry->second.value == nullptr || *entry->second.type != type) {
      entry->second.value = read(entry->second.bytes);
      entry->second.type = &type;
    }
    return entry->second.value;
  }

 private:
  struct Entry {
    Bytes bytes;
    std::shared_ptr<const void> value;
    const std::type_info* type = nullptr;
  };
  std::map<std::uint64_t, Entry> entries_;
};

void write_all(int socket, const Bytes& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t sent = write(socket, bytes.data() + done, bytes.size() - done);
    if (sent < 0 && errno == EINTR) continue;
    if (sent <= 0) _exit(0);  // the parent is gone
    done += static_cast<std::size_t>(sent);
  }
}

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

/// Runs the tasks of one run_batch frame; returns the batch_done frame.
Bytes run_batch(std::span<const std::byte> payload, WorkerSlot& slot) {
  InputArchive in(payload);
  std::uint8_t stop_at_failure = 0;
  TaskContext context;
  std::uint64_t count = 0;
  in(stop_at_failure, context.seed, context.inner_threads, count);

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
      slot.started.store(now_ns(), std::memory_order_relaxed);
      slot.task.store(index + 1, std::memory_order_release);
      const std::size_t record = out.size();
      kind.run(in, out);
      slot.task.store(0, std::memory_order_release);
      ++done;
      if (stop_at_failure != 0 && reply[record] == static_cast<std::byte>(TaskStatus::failed)) {
        break;
      }
    }
  }
  std::memcpy(reply.data() + count_at, &done, sizeof(done));
  finish_frame(reply, header);
  return reply;
}

Bytes worker_error(const std::string& message) {
  Bytes reply;
  const std::size_t header = begin_frame(reply, FrameType::worker_error);
  OutputArchive out(reply);
  out(message);
  finish_frame(reply, header);
  return reply;
}

/// Blocks up to this size come from, and go back to, the worker's heap (see run_worker).
constexpr int kKeptBlockBytes = 32 << 20;  // glibc's largest mmap threshold on 64-bit
constexpr std::size_t kReadBytes = std::size_t{64} * 1024;

constexpr std::array kFromParent{FrameType::run_batch, FrameType::shared_value,
                                 FrameType::end_of_run};

}  // namespace

void run_worker(int socket, WorkerSlot& slot) {
  // Each batch builds and frees its messages. By default glibc gives blocks above 128 KiB back
  // to the kernel when freed, and the next batch faults every page in again (bench/
  // compare_processes.py: a 1 MiB argument's round trip took 15x the raw socket copy that
  // way); a worker keeps its freed memory for the next batch instead.
  mallopt(M_MMAP_THRESHOLD, kKeptBlockBytes);  // NOLINT(concurrency-mt-unsafe): one thread
  mallopt(M_TRIM_THRESHOLD, kKeptBlockBytes);  // NOLINT(concurrency-mt-unsafe)
  SharedCache shared;
  shared_inbox = &shared;
  FrameReader frames(kFromParent);
  for (;;) {
    const auto space = frames.space(kReadBytes);
    const ssize_t got = read(socket, space.data(), space.size());
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) _exit(0);  // the parent closed the socket or exited
    frames.commit(static_cast<std::size_t>(got));
    try {
      for (;;) {
        const std::optional<Frame> next = frames.next();
        if (!next.has_value()) break;
        const Frame& frame = *next;
        if (frame.type == FrameType::run_batch) {
          write_all(socket, run_batch(frame.payload, slot));
        } else if (frame.type == FrameType::shared_value) {
          InputArchive in(frame.payload);
          std::uint64_t id = 0;
          in(id);
          shared.store(id, frame.payload.subspan(sizeof(id)));
        } else {
          shared.clear();
        }
      }
    } catch (const std::exception& error) {
      // A batch this worker cannot even read: the run fails; the worker stays usable.
      slot.task.store(0, std::memory_order_release);
      write_all(socket, worker_error(error.what()));
    }
  }
}

}  // namespace joblet::detail
