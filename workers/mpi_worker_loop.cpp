#include "mpi_worker_loop.hpp"

#include <unistd.h>

#include <array>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <optional>

#include "../src/mpi/runtime.hpp"
#include "../src/processes/worker_slots.hpp"
#include "worker_session.hpp"

namespace joblet::detail {
namespace {

/// The task this rank runs, for the crash report; there is no other process to read it.
WorkerSlot running;
/// "joblet: rank 2 on node7 died of signal ", written before the crash so that the handler
/// formats nothing but numbers.
std::array<char, 256> crash_prefix{};

void append_number(char*& at, const char* end, std::uint64_t value) {
  std::array<char, 24> digits{};
  std::size_t count = 0;
  do {
    digits.at(count++) = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0 && count < digits.size());
  while (count > 0 && at < end)
    *at++ = digits.at(--count);
}

void append_text(char*& at, const char* end, const char* text) {
  while (*text != '\0' && at < end)
    *at++ = *text++;
}

/// A rank that dies takes the MPI job with it, and mpirun names only the rank and the signal:
/// say which task it was running, with what is async-signal-safe.
extern "C" void report_crash(int signal) {
  std::array<char, 512> line{};
  char* at = line.data();
  const char* end = line.data() + line.size();
  append_text(at, end, crash_prefix.data());
  append_number(at, end, static_cast<std::uint64_t>(signal));
  const std::uint64_t task = running.task.load(std::memory_order_acquire);
  if (task != 0) {
    append_text(at, end, " while running task ");
    append_number(at, end, task - 1);
  } else {
    append_text(at, end, " between tasks");
  }
  append_text(at, end, "; the MPI job ends with it\n");
  [[maybe_unused]] const ssize_t written =
      write(STDERR_FILENO, line.data(), static_cast<std::size_t>(at - line.data()));
  std::signal(signal, SIG_DFL);  // NOLINT(cert-err33-c): nothing to do if it fails
  (void)std::raise(signal);
}

void report_crashes(const std::string& name) {
  (void)std::snprintf(crash_prefix.data(), crash_prefix.size(), "joblet: %s died of signal ",
                      name.c_str());
  struct sigaction action {};
  action.sa_handler = report_crash;
  action.sa_flags = SA_RESETHAND;
  for (const int signal : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT})
    sigaction(signal, &action, nullptr);
}

void send(MPI_Comm communicator, const Bytes& frame) {
  MPI_Send(frame.data(), static_cast<int>(frame.size()), MPI_BYTE, 0, kFramesTag, communicator);
}

/// Runs what every whole frame received so far asks for, and sends the replies.
void answer_frames(FrameReader& frames, WorkerSession& session, MPI_Comm communicator) {
  for (;;) {
    const std::optional<Frame> frame = frames.next();
    if (!frame) return;
    if (auto reply = session.handle(*frame)) send(communicator, *reply);
  }
}

}  // namespace

void serve_rank_zero(MPI_Comm communicator, const std::string& name) {
  report_crashes(name);
  WorkerSession session(running);
  FrameReader frames(frames_from_parent());
  for (;;) {
    MPI_Status status;
    MPI_Probe(0, MPI_ANY_TAG, communicator, &status);
    int bytes = 0;
    MPI_Get_count(&status, MPI_BYTE, &bytes);
    const auto space = frames.space(static_cast<std::size_t>(bytes));
    MPI_Recv(space.data(), bytes, MPI_BYTE, 0, status.MPI_TAG, communicator, MPI_STATUS_IGNORE);
    if (status.MPI_TAG == kShutdownTag) return;
    frames.commit(static_cast<std::size_t>(bytes));
    try {
      answer_frames(frames, session, communicator);
    } catch (const MalformedFrame& error) {
      send(communicator, worker_error_frame(error.what()));
    }
  }
}

}  // namespace joblet::detail
