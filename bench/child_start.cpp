// How long a forked child takes to run its first instruction, with the parent waiting for it
// and with the parent running on: the machine's part of a fresh program's first processes
// result (the fork server, and each worker it forks, are such children). On a 2-vCPU VM the
// child of a parent that runs on started 1-2.5 ms after fork(), against 0.3-0.4 ms when the
// parent waited (README, "Worker processes").
//
//     child_start [FORKS]    FORKS children each way (default 20); prints one JSON object,
//                            min / median / max milliseconds from fork() to the child's first
//                            line, for "parent_waits" and "parent_runs"

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <system_error>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

long long now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

/// Milliseconds from fork() to the child's first line, `forks` times. The child writes its
/// start time into memory shared with the parent; a parent that `runs_on` spins for 5 ms
/// before it waits, as a program goes on with its first call after forking its fork server.
std::vector<double> child_starts(int forks, bool runs_on) {
  void* shared = mmap(nullptr, sizeof(std::atomic<long long>), PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED) throw std::system_error(errno, std::generic_category(), "mmap");
  new (shared) std::atomic<long long>(0);
  auto* started = static_cast<std::atomic<long long>*>(shared);
  std::vector<double> ms;
  for (int i = 0; i < forks; ++i) {
    started->store(0);
    const long long forked = now_ns();
    const pid_t pid = fork();
    if (pid == 0) {
      started->store(now_ns());
      _exit(0);
    }
    if (pid < 0) throw std::system_error(errno, std::generic_category(), "fork");
    if (runs_on) {
      while (now_ns() - forked < 5'000'000) {
      }
    }
    waitpid(pid, nullptr, 0);
    ms.push_back(static_cast<double>(started->load() - forked) / 1e6);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // let the CPUs go idle
  }
  munmap(shared, sizeof(std::atomic<long long>));
  std::sort(ms.begin(), ms.end());
  return ms;
}

void print(const char* name, const std::vector<double>& ms) {
  std::printf("\"%s\": [%.3f, %.3f, %.3f]", name, ms.front(), ms[ms.size() / 2], ms.back());
}

}  // namespace

int main(int argc, char** argv) {
  const int forks =
      argc > 1 ? std::max(1, static_cast<int>(std::strtol(argv[1], nullptr, 10))) : 20;
  try {
    const auto waits = child_starts(forks, false);
    const auto runs = child_starts(forks, true);
    std::printf("{");
    print("parent_waits", waits);
    std::printf(", ");
    print("parent_runs", runs);
    std::printf("}\n");
  } catch (const std::system_error& error) {
    (void)std::fprintf(stderr, "child_start: %s\n", error.what());
    return 1;
  }
  return 0;
}
