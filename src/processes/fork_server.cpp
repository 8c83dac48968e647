#include "fork_server.hpp"

#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "../../workers/worker_loop.hpp"
#include "fd_passing.hpp"
#include "joblet/detail/function_id.hpp"

namespace joblet::detail {
namespace {

[[noreturn]] void fail(const char* what) {
  throw std::system_error(errno, std::generic_category(), std::string("joblet: ") + what);
}

/// Makes this process die with its parent; false if the parent is already gone.
/// PR_SET_PDEATHSIG fires when the thread that forked ends, not its process: a server forked
/// by another thread (a first processes run started there) relies on its socket to the parent
/// closing instead, which happens when the parent process ends, however it ends.
bool follow_parent(pid_t parent, bool forked_by_main_thread) {
  if (forked_by_main_thread && prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) return false;
  return getppid() == parent;
}

/// The CPUs this process may run on; nullopt when it may run on one only, or they are unknown.
std::optional<cpu_set_t> allowed_cpus() {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0 || CPU_COUNT(&allowed) < 2) {
    return std::nullopt;
  }
  return allowed;
}

/// fork(), with the child queued on the CPU the server runs on: it starts there as soon as the
/// server waits again, where on another CPU, asleep, it waited for that CPU to wake (1-3 ms
/// on a virtual machine, bench/child_start; a fresh program's first result came 0.1-0.4 ms
/// sooner this way, README). Both processes take `allowed` back at once, so that a worker
/// runs wherever the program may.
pid_t fork_here(const std::optional<cpu_set_t>& allowed) {
  const int cpu = sched_getcpu();
  if (!allowed || cpu < 0 || cpu >= CPU_SETSIZE) return fork();
  cpu_set_t here;
  CPU_ZERO(&here);
  CPU_SET(cpu, &here);
  (void)sched_setaffinity(0, sizeof(here), &here);
  const pid_t pid = fork();
  (void)sched_setaffinity(0, sizeof(*allowed), &*allowed);
  return pid;
}

struct Child {
  std::uint32_t slot;
  int socket;  // the server's copy of the worker's end: closed once the exit status is written
};

/// Receives one spawn request: the slot number, and the worker's end of its socket.
bool receive_request(int socket, std::uint32_t& slot, int& worker_socket) {
  std::vector<int> fds;
  const ssize_t got = receive_with_fds(socket, std::as_writable_bytes(std::span(&slot, 1)), fds);
  if (got != static_cast<ssize_t>(sizeof(slot)) || fds.size() != 1) {
    for (const int fd : fds)
      close(fd);
    return false;
  }
  worker_socket = fds.front();
  return true;
}

/// Sends one spawn request: the slot number, and the worker's end of its socket.
bool send_request(int socket, std::uint32_t slot, int worker_socket) {
  return send_with_fds(socket, std::as_bytes(std::span(&slot, 1)), std::span(&worker_socket, 1));
}

/// The server's loop: poll() on the parent's socket and a signalfd for SIGCHLD. (No Asio here:
/// the server forks, and passing file descriptors needs recvmsg, which Asio does not offer.)
[[noreturn]] void serve(int parent_socket, const WorkerSlots& slots, pid_t parent,
                        bool forked_by_main_thread) {
  if (!follow_parent(parent, forked_by_main_thread)) _exit(0);
  // Ctrl-C reaches the terminal's whole process group. The parent answers it (Interrupted,
  // and it kills the workers); the server and the workers, which inherit this, must not die
  // of it first and leave the parent without workers for its next run.
  (void)signal(SIGINT, SIG_IGN);
  sigset_t child_signals;
  sigemptyset(&child_signals);
  sigaddset(&child_signals, SIGCHLD);
  sigset_t original_mask;
  // NOLINTNEXTLINE(concurrency-mt-unsafe): the server runs one thread
  sigprocmask(SIG_BLOCK, &child_signals, &original_mask);
  const int exits = signalfd(-1, &child_signals, SFD_CLOEXEC);
  const std::optional<cpu_set_t> allowed = allowed_cpus();
  std::map<pid_t, Child> children;

  for (;;) {
    std::array<pollfd, 2> watched{pollfd{parent_socket, POLLIN, 0}, pollfd{exits, POLLIN, 0}};
    if (poll(watched.data(), watched.size(), -1) < 0) {
      if (errno == EINTR) continue;
      _exit(1);
    }
    if ((watched[1].revents & POLLIN) != 0) {
      signalfd_siginfo info{};
      while (read(exits, &info, sizeof(info)) < 0 && errno == EINTR) {
      }
      int status = 0;
      pid_t pid = 0;
      while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        const auto child = children.find(pid);
        if (child == children.end()) continue;
        WorkerSlot& slot = slots[child->second.slot];
        if (slot.pid.load(std::memory_order_relaxed) == pid) {
          slot.exit_status.store(status, std::memory_order_relaxed);
          slot.exited.store(true, std::memory_order_release);
        }
        close(child->second.socket);  // now the parent sees the worker's socket close
        children.erase(child);
      }
    }
    if ((watched[0].revents & (POLLIN | POLLHUP)) == 0) continue;
    std::uint32_t slot = 0;
    int worker_socket = -1;
    if (!receive_request(parent_socket, slot, worker_socket)) _exit(0);  // the parent is gone
    const pid_t server = getpid();
    WorkerSlot& shared = slots[slot];
    shared.task.store(0, std::memory_order_relaxed);
    shared.exit_status.store(0, std::memory_order_relaxed);
    shared.exited.store(false, std::memory_order_relaxed);
    const pid_t pid = fork_here(allowed);
    if (pid == 0) {
      close(parent_socket);
      close(exits);
      for (const auto& [other, child] : children)
        close(child.socket);
      sigprocmask(SIG_SETMASK, &original_mask, nullptr);  // NOLINT(concurrency-mt-unsafe)
      if (!follow_parent(server, true)) _exit(0);         // the server is single-threaded
      run_worker(worker_socket, slots[slot]);
    }
    if (pid > 0) {
      shared.pid.store(pid, std::memory_order_release);
      children.emplace(pid, Child{slot, worker_socket});
    } else {
      close(worker_socket);
    }
    const std::int32_t reply = pid > 0 ? pid : -errno;
    while (send(parent_socket, &reply, sizeof(reply), MSG_NOSIGNAL) < 0 && errno == EINTR) {
    }
  }
}

}  // namespace

ForkServer& ForkServer::instance() {
  // Never destroyed: workers and the server end with the program (their sockets close).
  static auto* server = new ForkServer;  // NOLINT(cppcoreguidelines-owning-memory)
  return *server;
}

ForkServer::ForkServer() : slots_(WorkerSlots::create()) {
  std::array<int, 2> ends{};
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ends.data()) != 0) {
    fail("socketpair for the fork server");
  }
  const pid_t parent = getpid();
  const bool forked_by_main_thread = gettid() == parent;
  read_module_table();
  pid_ = fork();
  if (pid_ < 0) fail("fork of the fork server");
  if (pid_ == 0) {
    close(ends[0]);
    serve(ends[1], slots_, parent, forked_by_main_thread);
  }
  close(ends[1]);
  socket_ = ends[0];
  free_slots_.reserve(kMaxWorkers);
  for (std::uint32_t i = kMaxWorkers; i-- > 0;)
    free_slots_.push_back(i);
}

WorkerProcess ForkServer::request() {
  const std::lock_guard lock(mutex_);
  if (free_slots_.empty()) {
    throw std::runtime_error("joblet: more than " + std::to_string(kMaxWorkers) +
                             " worker processes at once");
  }
  std::array<int, 2> ends{};
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends.data()) != 0) {
    fail("socketpair for a worker");
  }
  const std::uint32_t slot = free_slots_.back();
  slots_.begin_use(slot);
  slots_[slot].ready.store(false, std::memory_order_relaxed);
  const bool sent = send_request(socket_, slot, ends[1]);
  const int error = errno;
  close(ends[1]);
  if (!sent) {
    close(ends[0]);
    errno = error;
    fail("the fork server could not start a worker");
  }
  free_slots_.pop_back();
  return {
      .pid = 0, .socket = ends[0], .slot = slot, .request = ++requests_sent_, .regions = nullptr};
}

void ForkServer::await_start(WorkerProcess& worker) {
  if (worker.request == 0) return;
  const std::lock_guard lock(mutex_);
  // Replies come in the order of the requests; those for other threads' workers are kept.
  while (replies_read_ < worker.request) {
    std::int32_t reply = 0;
    ssize_t got = 0;
    do {
      got = recv(socket_, &reply, sizeof(reply), 0);
    } while (got < 0 && errno == EINTR);
    replies_.emplace(++replies_read_, got == static_cast<ssize_t>(sizeof(reply)) ? reply : -EPIPE);
  }
  const auto reply = replies_.extract(worker.request);
  worker.request = 0;
  worker.pid = reply.mapped() > 0 ? reply.mapped() : -1;
  if (worker.pid < 0) {
    errno = -reply.mapped();
    fail("the fork server could not start a worker");
  }
}

void ForkServer::release(WorkerProcess& worker) {
  if (worker.socket >= 0) close(worker.socket);
  try {
    await_start(worker);  // the server writes the slot until it has replied
  } catch (const std::system_error&) {
    // Never started: its slot is free all the same.
  }
  const std::lock_guard lock(mutex_);
  free_slots_.push_back(worker.slot);
  worker = {};
}

}  // namespace joblet::detail
