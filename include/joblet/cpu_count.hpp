// joblet — cpu_count(): how many CPUs this process may use.
#pragma once

namespace joblet {

/// CPUs this process may use: the least of the hardware threads, the affinity mask
/// (sched_getaffinity, as set by taskset or a batch scheduler) and the cgroup CPU quota
/// (v2 cpu.max, v1 cfs_quota_us / cfs_period_us, rounded up), never below 1. Read once.
[[nodiscard]] int cpu_count() noexcept;

}  // namespace joblet
