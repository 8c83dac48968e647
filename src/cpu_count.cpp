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
#include <thread>
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
std::string read_file(const std::filesystem::path& path) {
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

/// Applies `limit_in` to `directory` and each ancestor up to `top`, keeping the tightest.
template <class LimitIn>
std::optional<int> walk_up(const std::filesystem::path& top, const std::filesystem::path& start,
                           LimitIn limit_in) {
  const auto root = top.lexically_normal();
  std::optional<int> limit;
  for (auto directory = start.lexically_normal();; directory = directory.parent_path()) {
    if (directory.filename().empty()) directory = directory.parent_path();
    limit = tighter(limit, limit_in(directory));
    if (directory.native().size() <= root.native().size() || directory.parent_path() == directory) {
      break;
    }
  }
  return limit;
}

std::optional<int> v2_limit_in(const std::filesystem::path& directory) {
  return parse_cgroup2_cpu_max(read_file(directory / "cpu.max"));
}

std::optional<int> v1_limit_in(const std::filesystem::path& directory) {
  return parse_cgroup1_cpu_quota(read_file(directory / "cpu.cfs_quota_us"),
                                 read_file(directory / "cpu.cfs_period_us"));
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
  std::optional<int> limit;
  for (std::string_view lines = self_cgroup; !lines.empty();) {
    // "hierarchy-id:controllers:path"
    const std::string_view line = take_field(lines, '\n');
    const auto first = line.find(':');
    const auto second = line.find(':', first == std::string_view::npos ? first : first + 1);
    if (first == std::string_view::npos || second == std::string_view::npos) continue;
    const std::string_view controllers = line.substr(first + 1, second - first - 1);
    const std::filesystem::path path = line.substr(second + 1);
    const auto relative = path.relative_path();
    if (controllers.empty()) {
      limit = tighter(limit, walk_up(cgroup_root, cgroup_root / relative, v2_limit_in));
      continue;
    }
    for (std::string_view names = controllers; !names.empty();) {
      if (take_field(names, ',') != "cpu") continue;
      for (const char* mount : {"cpu,cpuacct", "cpu", "cpuacct,cpu"}) {
        const auto top = cgroup_root / mount;
        limit = tighter(limit, walk_up(top, top / relative, v1_limit_in));
      }
    }
  }
  // In a container /proc/self/cgroup may name paths that are not mounted; the root files
  // are the container's own limits then.
  limit = tighter(limit, v2_limit_in(cgroup_root));
  limit = tighter(limit, v1_limit_in(cgroup_root / "cpu"));
  return limit;
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
    return detail::combine_cpu_limits(static_cast<int>(std::thread::hardware_concurrency()),
                                      detail::affinity_cpus(), quota);
  }();
  return count;
}

}  // namespace joblet
