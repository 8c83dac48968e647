#include "joblet/cpu_count.hpp"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "joblet/detail/cpu_limits.hpp"

namespace joblet {
namespace detail {
namespace {

std::optional<long long> parse_integer(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
    text.remove_suffix(1);
  long long value = 0;
  const auto* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc() || stop != end || text.empty()) return std::nullopt;
  return value;
}

std::optional<int> cpus_for(long long quota, long long period) {
  if (quota <= 0 || period <= 0) return std::nullopt;
  return static_cast<int>(std::max<long long>(1, (quota + period - 1) / period));
}

/// The whole of a small system file; empty if it cannot be read. With read(2), not a stream:
/// a program's first processes call counts the CPUs, and the file streams took 0.6-1.1 ms of
/// it here in a fresh program (page faults), most of the time to its first result.
std::string read_file(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  std::string text;
  std::array<char, 512> chunk{};
  for (;;) {
    const ssize_t got = read(fd, chunk.data(), chunk.size());
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    text.append(chunk.data(), static_cast<std::size_t>(got));
  }
  close(fd);
  return text;
}

/// The text up to the next `separator`, which is removed from `text` with it.
std::string_view take_field(std::string_view& text, char separator) {
  const auto end = text.find(separator);
  const std::string_view line = text.substr(0, end);
  text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
  return line;
}

std::optional<int> tighter(std::optional<int> a, std::optional<int> b) {
  if (a && b) return std::min(*a, *b);
  return a ? a : b;
}

/// `path` without trailing slashes (but "/" stays).
std::string without_trailing_slashes(std::string path) {
  while (path.size() > 1 && path.back() == '/')
    path.pop_back();
  return path;
}

/// `directory` / `name`, for a directory without trailing slashes.
std::string joined(const std::string& directory, std::string_view name) {
  std::string path = directory;
  if (path != "/") path += '/';
  path += name;
  return path;
}

/// The quota files of the cgroup directories that apply, each read once. Plain strings rather
/// than std::filesystem::path, and no second read of a directory already seen: counting the
/// CPUs is on the path to a fresh program's first result, where the path parsing and the
/// repeated reads took 0.2 ms of page faults and system calls.
class CgroupLimits {
 public:
  /// Applies the v2 (`cpu.max`) or v1 (`cpu.cfs_quota_us`) limit of `directory` and of each
  /// of its ancestors up to `top`.
  void walk_up(const std::string& top, std::string directory, bool v2) {
    for (;;) {
      auto read = std::pair(v2, directory);
      if (std::ranges::find(seen_, read) == seen_.end()) {
        limit_ = tighter(limit_, v2 ? v2_limit_in(directory) : v1_limit_in(directory));
        seen_.push_back(std::move(read));
      }
      const auto slash = directory.rfind('/');
      if (directory.size() <= top.size() || slash == std::string::npos || slash == 0) break;
      directory.resize(slash);
    }
  }

  [[nodiscard]] std::optional<int> limit() const { return limit_; }

 private:
  static std::optional<int> v2_limit_in(const std::string& directory) {
    return parse_cgroup2_cpu_max(read_file(joined(directory, "cpu.max")));
  }

  static std::optional<int> v1_limit_in(const std::string& directory) {
    const std::string quota = read_file(joined(directory, "cpu.cfs_quota_us"));
    // No quota (-1), or none to read: the period does not matter.
    if (!quota.starts_with('-') && !quota.empty()) {
      return parse_cgroup1_cpu_quota(quota, read_file(joined(directory, "cpu.cfs_period_us")));
    }
    return std::nullopt;
  }

  std::vector<std::pair<bool, std::string>> seen_;  // (v2, directory)
  std::optional<int> limit_;
};

/// `top` joined with a cgroup path from /proc/self/cgroup ("/a/b", or "/" for the root).
std::string cgroup_directory(const std::string& top, std::string_view cgroup) {
  while (!cgroup.empty() && cgroup.front() == '/')
    cgroup.remove_prefix(1);
  return without_trailing_slashes(cgroup.empty() ? top : joined(top, cgroup));
}

std::optional<int> affinity_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return std::nullopt;
  const int count = CPU_COUNT(&set);
  return count > 0 ? std::optional<int>(count) : std::nullopt;
}

}  // namespace

std::optional<int> parse_cgroup2_cpu_max(std::string_view text) {
  const auto space = text.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const auto quota = parse_integer(text.substr(0, space));
  const auto period = parse_integer(text.substr(space + 1));
  if (!quota || !period) return std::nullopt;
  return cpus_for(*quota, *period);
}

std::optional<int> parse_cgroup1_cpu_quota(std::string_view quota, std::string_view period) {
  const auto q = parse_integer(quota);
  const auto p = parse_integer(period);
  if (!q || !p) return std::nullopt;
  return cpus_for(*q, *p);
}

std::optional<int> cgroup_cpu_limit(const std::filesystem::path& cgroup_root,
                                    std::string_view self_cgroup) {
  const std::string root = without_trailing_slashes(cgroup_root.native());
  CgroupLimits limits;
  for (std::string_view lines = self_cgroup; !lines.empty();) {
    // "hierarchy-id:controllers:path"
    const std::string_view line = take_field(lines, '\n');
    const auto first = line.find(':');
    const auto second = line.find(':', first == std::string_view::npos ? first : first + 1);
    if (first == std::string_view::npos || second == std::string_view::npos) continue;
    const std::string_view controllers = line.substr(first + 1, second - first - 1);
    const std::string_view path = line.substr(second + 1);
    if (controllers.empty()) {
      limits.walk_up(root, cgroup_directory(root, path), true);
      continue;
    }
    for (std::string_view names = controllers; !names.empty();) {
      if (take_field(names, ',') != "cpu") continue;
      for (const char* mount : {"cpu,cpuacct", "cpu", "cpuacct,cpu"}) {
        const std::string top = joined(root, mount);
        limits.walk_up(top, cgroup_directory(top, path), false);
      }
    }
  }
  // In a container /proc/self/cgroup may name paths that are not mounted; the root files
  // are the container's own limits then.
  limits.walk_up(root, root, true);
  const std::string v1_root = joined(root, "cpu");
  limits.walk_up(v1_root, v1_root, false);
  return limits.limit();
}

int combine_cpu_limits(int hardware_threads, std::optional<int> affinity,
                       std::optional<int> quota) noexcept {
  int count = std::max(hardware_threads, 1);
  if (affinity) count = std::min(count, *affinity);
  if (quota) count = std::min(count, *quota);
  return std::max(count, 1);
}

}  // namespace detail

int cpu_count() noexcept {
  static const int count = [] {
    std::optional<int> quota;
    try {
      quota = detail::cgroup_cpu_limit("/sys/fs/cgroup", detail::read_file("/proc/self/cgroup"));
    } catch (...) {
      // Unreadable system files mean no known quota.
    }
    const std::optional<int> affinity = detail::affinity_cpus();
    // The kernel puts only online CPUs in the mask, so the count of hardware threads adds
    // nothing then; reading it cost a fresh program 0.08 ms of page faults.
    const int hardware =
        affinity ? *affinity : static_cast<int>(std::thread::hardware_concurrency());
    return detail::combine_cpu_limits(hardware, affinity, quota);
  }();
  return count;
}

}  // namespace joblet
