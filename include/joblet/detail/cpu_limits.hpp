// The parts of cpu_count(), separately testable against made-up system files.
#pragma once

#include <filesystem>
#include <optional>
#include <string_view>

namespace joblet::detail {

/// CPUs allowed by a cgroup v2 "cpu.max" file ("max 100000", "150000 100000"): the quota
/// divided by the period, rounded up; nullopt for no limit or text that does not parse.
[[nodiscard]] std::optional<int> parse_cgroup2_cpu_max(std::string_view text);

/// The same for cgroup v1's cpu.cfs_quota_us and cpu.cfs_period_us (-1 means no limit).
[[nodiscard]] std::optional<int> parse_cgroup1_cpu_quota(std::string_view quota,
                                                         std::string_view period);

/// The tightest CPU quota that applies to a process whose /proc/self/cgroup reads
/// `self_cgroup`, from the cgroup files mounted at `cgroup_root` (normally /sys/fs/cgroup),
/// looking at the process's own cgroup and its ancestors. Missing, empty or malformed files
/// are ignored.
[[nodiscard]] std::optional<int> cgroup_cpu_limit(const std::filesystem::path& cgroup_root,
                                                  std::string_view self_cgroup);

/// The least of the three, never below 1.
[[nodiscard]] int combine_cpu_limits(int hardware_threads, std::optional<int> affinity,
                                     std::optional<int> quota) noexcept;

}  // namespace joblet::detail
