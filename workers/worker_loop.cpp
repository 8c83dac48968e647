#include "worker_loop.hpp"

#include <malloc.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <optional>
#include <vector>

#include "../src/processes/fd_passing.hpp"
#include "../src/processes/shared_region.hpp"
#include "worker_session.hpp"

namespace joblet::detail {
namespace {

/// What a session handles (frames_from_parent), and the frames about regions. Only the
/// former may lie in a region: neither new regions nor another pointer into one.
constexpr std::array kFromParent{FrameType::run_batch, FrameType::shared_value,
                                 FrameType::end_of_run, FrameType::regions, FrameType::in_region};

/// Blocks up to this size come from, and go back to, the worker's heap (see run_worker).
constexpr int kKeptBlockBytes = 32 << 20;  // glibc's largest mmap threshold on 64-bit
constexpr std::size_t kReadBytes = std::size_t{64} * 1024;

void write_all(int socket, const Bytes& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t sent = write(socket, bytes.data() + done, bytes.size() - done);
    if (sent < 0 && errno == EINTR) continue;
    if (sent <= 0) _exit(0);  // the parent is gone
    done += static_cast<std::size_t>(sent);
  }
}

/// The parent's socket and what came through it: frames, and the regions it sent.
class ParentLink {
 public:
  ParentLink(int socket, WorkerSlot& slot) : socket_(socket), session_(slot) {}

  /// Reads what the parent sent next and acts on each whole frame in it.
  void receive() {
    const auto space = frames_.space(kReadBytes);
    // recvmsg rather than read: a regions frame brings its memory files along.
    const ssize_t got = receive_with_fds(socket_, space, fds_);
    if (got <= 0) _exit(0);  // the parent closed the socket or exited
    frames_.commit(static_cast<std::size_t>(got));
    try {
      for (;;) {
        const std::optional<Frame> frame = frames_.next();
        if (!frame) break;
        handle(*frame);
      }
    } catch (const MalformedFrame& error) {
      write_all(socket_, worker_error_frame(error.what()));
    }
  }

 private:
  void handle(const Frame& frame) {
    if (frame.type == FrameType::regions) {
      adopt_regions(announced_region_size(frame.payload));
    } else if (frame.type == FrameType::in_region) {
      if (!to_worker_) throw MalformedFrame("joblet: an in_region frame before any region");
      handle(frame_in_region(frame.payload, to_worker_->bytes(), frames_from_parent()));
    } else if (auto reply = session_.handle(frame)) {
      send(*reply);
    }
  }

  void adopt_regions(std::size_t size) {
    to_worker_.reset();
    from_worker_.reset();
    if (fds_.size() < 2) throw MalformedFrame("joblet: a regions frame without its memory files");
    const int to_worker = fds_[0];
    const int from_worker = fds_[1];
    fds_.erase(fds_.begin(), fds_.begin() + 2);
    try {
      to_worker_.emplace(to_worker, size);
    } catch (...) {
      close(from_worker);
      throw;
    }
    from_worker_.emplace(from_worker, size);
  }

  void send(const Bytes& reply) {
    if (from_worker_ && reply.size() >= kRegionFramesFrom &&
        reply.size() <= from_worker_->bytes().size()) {
      std::memcpy(from_worker_->bytes().data(), reply.data(), reply.size());
      write_all(socket_, in_region_frame(reply.size()));
      return;
    }
    write_all(socket_, reply);
  }

  int socket_;
  WorkerSession session_;
  FrameReader frames_{kFromParent};
  std::vector<int> fds_;  // received, not yet taken by a regions frame
  std::optional<SharedRegion> to_worker_;
  std::optional<SharedRegion> from_worker_;
};

}  // namespace

void run_worker(int socket, WorkerSlot& slot) {
  // Each batch builds and frees its messages. By default glibc gives blocks above 128 KiB back
  // to the kernel when freed, and the next batch faults every page in again (bench/
  // compare_processes.py: a 1 MiB argument's round trip took 15x the raw socket copy that
  // way); a worker keeps its freed memory for the next batch instead.
  mallopt(M_MMAP_THRESHOLD, kKeptBlockBytes);  // NOLINT(concurrency-mt-unsafe): one thread
  mallopt(M_TRIM_THRESHOLD, kKeptBlockBytes);  // NOLINT(concurrency-mt-unsafe)
  ParentLink parent(socket, slot);
  // The parent sends a new worker batches once it runs, unless no running worker could take
  // them sooner (src/backends/processes.cpp, idle_worker).
  slot.ready.store(true, std::memory_order_release);
  Bytes ready;
  finish_frame(ready, begin_frame(ready, FrameType::worker_ready));
  write_all(socket, ready);
  for (;;)
    parent.receive();
}

}  // namespace joblet::detail
