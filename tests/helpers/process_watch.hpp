// Watching other processes from a test: whether one has ended (pidfd_open + poll, with a
// deadline), who its children and descendants are, which processes of a process group are
// still running, and running a program with its output on a pipe. Shared by the tests of
// worker processes and by the programs they start.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX declares it nowhere

namespace joblet::testing {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

/// Milliseconds from now to `deadline`, for poll(); 0 once it passed.
inline int ms_until(steady_clock::time_point deadline) {
  const auto left = std::chrono::ceil<milliseconds>(deadline - steady_clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

/// Whether process `pid` has ended (exited or been killed; reaped or still a zombie) within
/// `limit`: a pidfd becomes readable when its process ends.
inline bool ended_within(pid_t pid, milliseconds limit) {
  const auto deadline = steady_clock::now() + limit;
  const int fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return errno == ESRCH;  // reaped already
  pollfd watched{fd, POLLIN, 0};
  int ready = 0;
  do {
    ready = poll(&watched, 1, ms_until(deadline));
  } while (ready < 0 && errno == EINTR);
  close(fd);
  return ready > 0;
}

/// Whether process `pid` has ended by `deadline` (see ended_within).
inline bool ended_by(pid_t pid, steady_clock::time_point deadline) {
  return ended_within(pid, milliseconds(ms_until(deadline)));
}

/// Whether `pid` is a process that has not ended.
inline bool is_alive(pid_t pid) {
  return !ended_within(pid, milliseconds(0));
}

/// Fields of /proc/<pid>/stat after the command name: state, parent pid, process group.
struct ProcStat {
  char state = '?';
  pid_t parent = 0;
  pid_t group = 0;

  /// Not yet ended: a zombie or a dead process has ended, even if nobody reaped it.
  [[nodiscard]] bool running() const { return state != 'Z' && state != 'X'; }
};

inline std::optional<ProcStat> proc_stat(pid_t pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(file, text)) return std::nullopt;
  const auto name_end = text.rfind(')');  // the command name may hold spaces and parentheses
  if (name_end == std::string::npos) return std::nullopt;
  std::istringstream rest(text.substr(name_end + 1));
  ProcStat stat;
  rest >> stat.state >> stat.parent >> stat.group;
  return rest ? std::optional(stat) : std::nullopt;
}

/// Every process in /proc now, with its stat; processes that end during the scan are left out.
inline std::map<pid_t, ProcStat> all_processes() {
  std::map<pid_t, ProcStat> processes;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
    const std::string name = entry.path().filename().string();
    pid_t pid = 0;
    const auto [end, parsed] = std::from_chars(name.data(), name.data() + name.size(), pid);
    if (parsed != std::errc() || end != name.data() + name.size()) continue;
    if (const auto stat = proc_stat(pid)) processes.emplace(pid, *stat);
  }
  return processes;
}

/// The children of `pid`, their children, and so on, as /proc shows them now. Unlike
/// children_of, it finds children of every thread.
inline std::set<pid_t> descendants_of(pid_t pid) {
  const auto processes = all_processes();
  std::set<pid_t> found;
  std::vector<pid_t> parents{pid};
  while (!parents.empty()) {
    const pid_t parent = parents.back();
    parents.pop_back();
    for (const auto& [child, stat] : processes) {
      if (stat.parent == parent && found.insert(child).second) parents.push_back(child);
    }
  }
  return found;
}

/// The processes of process group `group` that have not ended. Processes keep their group
/// when their parent dies, so this finds orphans that descendants_of no longer reaches.
inline std::set<pid_t> running_in_group(pid_t group) {
  std::set<pid_t> running;
  for (const auto& [pid, stat] : all_processes()) {
    if (stat.group == group && stat.running()) running.insert(pid);
  }
  return running;
}

/// The children of `pid` (its main thread's, which is every child of a single-threaded
/// process), as the kernel lists them.
inline std::set<pid_t> children_of(pid_t pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  std::set<pid_t> children;
  for (pid_t child = 0; file >> child;)
    children.insert(child);
  return children;
}

/// Where a started program's process group is: this process's, or a new one of its own (led
/// by the program, so its group id is its pid), which its descendants inherit.
enum class ProcessGroup { inherit, own };

/// A program started with its standard output on a pipe that this process reads.
class Helper {
 public:
  /// Starts `program` with `arguments` (argv[1]...). posix_spawn: safe in a threaded process.
  Helper(const std::string& program, const std::vector<std::string>& arguments,
         ProcessGroup group = ProcessGroup::inherit) {
    std::array<int, 2> ends{};
    if (pipe2(ends.data(), O_CLOEXEC) != 0) return;
    std::vector<std::string> words{program};
    words.insert(words.end(), arguments.begin(), arguments.end());
    std::vector<char*> argv;
    argv.reserve(words.size() + 1);
    for (auto& word : words)
      argv.push_back(word.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions{};
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, ends[1], STDOUT_FILENO);
    // Every signal with its default action and none blocked, as from a terminal, whatever
    // this process (or whoever started it: a shell's background job ignores SIGINT) set.
    posix_spawnattr_t attributes{};
    posix_spawnattr_init(&attributes);
    sigset_t signals;
    sigfillset(&signals);
    posix_spawnattr_setsigdefault(&attributes, &signals);
    sigemptyset(&signals);
    posix_spawnattr_setsigmask(&attributes, &signals);
    int flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
    if (group == ProcessGroup::own) {
      flags |= POSIX_SPAWN_SETPGROUP;
      posix_spawnattr_setpgroup(&attributes, 0);
    }
    posix_spawnattr_setflags(&attributes, static_cast<short>(flags));
    if (posix_spawn(&pid_, program.c_str(), &actions, &attributes, argv.data(), environ) != 0) {
      pid_ = -1;
    }
    posix_spawnattr_destroy(&attributes);
    posix_spawn_file_actions_destroy(&actions);
    close(ends[1]);
    output_ = ends[0];
  }

  Helper(const Helper&) = delete;
  Helper& operator=(const Helper&) = delete;
  Helper(Helper&&) = delete;
  Helper& operator=(Helper&&) = delete;

  /// Kills and reaps the program if the test did not.
  ~Helper() {
    if (pid_ > 0 && !status_) {
      kill(pid_, SIGKILL);
      (void)wait_for_exit(milliseconds(10'000));
    }
    if (output_ >= 0) close(output_);
  }

  [[nodiscard]] bool started() const { return pid_ > 0; }
  [[nodiscard]] pid_t pid() const { return pid_; }

  /// Sends `signal` to the program; false if it could not be sent.
  [[nodiscard]] bool signal(int number) const {
    return pid_ > 0 && !status_ && kill(pid_, number) == 0;
  }

  /// The next line the program writes (without its newline), or nullopt when it closes its
  /// output or `limit` passes first.
  std::optional<std::string> read_line(milliseconds limit) {
    const auto deadline = steady_clock::now() + limit;
    for (;;) {
      if (const auto end = buffer_.find('\n'); end != std::string::npos) {
        std::string line = buffer_.substr(0, end);
        buffer_.erase(0, end + 1);
        return line;
      }
      if (!fill(deadline)) return std::nullopt;
    }
  }

  /// Everything the program writes until it closes its output, or until `limit` passes.
  std::string read_all(milliseconds limit) {
    const auto deadline = steady_clock::now() + limit;
    while (fill(deadline)) {
    }
    return std::exchange(buffer_, {});
  }

  /// The program's waitpid() status once it exits within `limit`; nullopt if it does not.
  std::optional<int> wait_for_exit(milliseconds limit) {
    if (status_) return status_;
    if (!ended_within(pid_, limit)) return std::nullopt;
    int status = 0;
    pid_t reaped = 0;
    do {
      reaped = waitpid(pid_, &status, 0);
    } while (reaped < 0 && errno == EINTR);
    if (reaped == pid_) status_ = status;
    return status_;
  }

 private:
  /// Reads what is there, waiting until `deadline`; false at the end of output or deadline.
  bool fill(steady_clock::time_point deadline) {
    if (output_ < 0) return false;
    pollfd watched{output_, POLLIN, 0};
    int ready = 0;
    do {
      ready = poll(&watched, 1, ms_until(deadline));
    } while (ready < 0 && errno == EINTR);
    if (ready <= 0) return false;
    std::array<char, 4096> chunk{};
    ssize_t got = 0;
    do {
      got = read(output_, chunk.data(), chunk.size());
    } while (got < 0 && errno == EINTR);
    if (got <= 0) return false;
    buffer_.append(chunk.data(), static_cast<std::size_t>(got));
    return true;
  }

  pid_t pid_ = -1;
  int output_ = -1;
  std::string buffer_;
  std::optional<int> status_;
};

}  // namespace joblet::testing
