#include "worker_loop.hpp"

#include <malloc.h>
#include <unistd.h>

#include <cerrno>
#include <optional>

#include "worker_session.hpp"

namespace joblet::detail {
namespace {

void write_all(int socket, const Bytes& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t sent = write(socket, bytes.data() + done, bytes.size() - done);
    if (sent < 0 && errno == EINTR) continue;
    if (sent <= 0) _exit(0);  // the parent is gone
    done += static_cast<std::size_t>(sent);
  }
}

/// Blocks up to this size come from, and go back to, the worker's heap (see run_worker).
constexpr int kKeptBlockBytes = 32 << 20;  // glibc's largest mmap threshold on 64-bit
constexpr std::size_t kReadBytes = std::size_t{64} * 1024;

}  // namespace

void run_worker(int socket, WorkerSlot& slot) {
  // Each batch builds and frees its messages. By default glibc gives blocks above 128 KiB back
  // to the kernel when freed, and the next batch faults every page in again (bench/
  // compare_processes.py: a 1 MiB argument's round trip took 15x the raw socket copy that
  // way); a worker keeps its freed memory for the next batch instead.
  mallopt(M_MMAP_THRESHOLD, kKeptBlockBytes);  // NOLINT(concurrency-mt-unsafe): one thread
  mallopt(M_TRIM_THRESHOLD, kKeptBlockBytes);  // NOLINT(concurrency-mt-unsafe)
  WorkerSession session(slot);
  FrameReader frames(frames_from_parent());
  for (;;) {
    const auto space = frames.space(kReadBytes);
    const ssize_t got = read(socket, space.data(), space.size());
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) _exit(0);  // the parent closed the socket or exited
    frames.commit(static_cast<std::size_t>(got));
    try {
      for (;;) {
        const std::optional<Frame> frame = frames.next();
        if (!frame) break;
        if (auto reply = session.handle(*frame)) write_all(socket, *reply);
      }
    } catch (const MalformedFrame& error) {
      write_all(socket, worker_error_frame(error.what()));
    }
  }
}

}  // namespace joblet::detail
