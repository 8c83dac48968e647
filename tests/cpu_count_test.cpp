// cpu_count(): hardware threads, affinity and cgroup quotas, never below 1.
#include "joblet/cpu_count.hpp"

#include <gtest/gtest.h>
#include <sched.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "joblet/detail/cpu_limits.hpp"

namespace {

namespace fs = std::filesystem;
using joblet::detail::cgroup_cpu_limit;
using joblet::detail::combine_cpu_limits;
using joblet::detail::parse_cgroup1_cpu_quota;
using joblet::detail::parse_cgroup2_cpu_max;

/// A made-up /sys/fs/cgroup in a temporary directory.
class FakeCgroups : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("joblet-cgroup-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  void write(const fs::path& relative, const std::string& text) const {
    fs::create_directories((root_ / relative).parent_path());
    std::ofstream(root_ / relative) << text;
  }

  fs::path root_;
};

TEST(CpuCount, IsAtLeastOneAndAtMostTheHardwareThreads) {
  EXPECT_GE(joblet::cpu_count(), 1);
  EXPECT_LE(joblet::cpu_count(),
            static_cast<int>(std::max(1U, std::thread::hardware_concurrency())));
}

TEST(CpuCount, RespectsTheAffinityMask) {
  cpu_set_t set;
  CPU_ZERO(&set);
  ASSERT_EQ(sched_getaffinity(0, sizeof(set), &set), 0);
  EXPECT_LE(joblet::cpu_count(), CPU_COUNT(&set));
}

TEST(CpuCount, CgroupV2QuotaIsRoundedUp) {
  EXPECT_EQ(parse_cgroup2_cpu_max("150000 100000\n"), 2);
  EXPECT_EQ(parse_cgroup2_cpu_max("100000 100000"), 1);
  EXPECT_EQ(parse_cgroup2_cpu_max("50000 100000"), 1);
  EXPECT_EQ(parse_cgroup2_cpu_max("400000 100000"), 4);
}

TEST(CpuCount, CgroupV2MaxMeansNoLimit) {
  EXPECT_EQ(parse_cgroup2_cpu_max("max 100000\n"), std::nullopt);
}

TEST(CpuCount, MalformedOrEmptyCgroupTextIsIgnored) {
  for (const char* text :
       {"", "\n", "garbage", "100000", "12x 100000", "100000 0", "-5 100000", "100000 100000 7"}) {
    EXPECT_EQ(parse_cgroup2_cpu_max(text), std::nullopt) << '"' << text << '"';
  }
  EXPECT_EQ(parse_cgroup1_cpu_quota("", "100000"), std::nullopt);
  EXPECT_EQ(parse_cgroup1_cpu_quota("abc", "100000"), std::nullopt);
}

TEST(CpuCount, CgroupV1QuotaOfMinusOneMeansNoLimit) {
  EXPECT_EQ(parse_cgroup1_cpu_quota("-1\n", "100000\n"), std::nullopt);
  EXPECT_EQ(parse_cgroup1_cpu_quota("250000\n", "100000\n"), 3);
}

TEST(CpuCount, TheLeastLimitWinsAndNeverBelowOne) {
  EXPECT_EQ(combine_cpu_limits(16, 8, 3), 3);
  EXPECT_EQ(combine_cpu_limits(16, 2, std::nullopt), 2);
  EXPECT_EQ(combine_cpu_limits(4, std::nullopt, std::nullopt), 4);
  EXPECT_EQ(combine_cpu_limits(0, std::nullopt, std::nullopt), 1);
  EXPECT_EQ(combine_cpu_limits(4, 0, std::nullopt), 1);
}

TEST_F(FakeCgroups, ReadsTheProcessOwnCgroupV2AndItsAncestors) {
  write("batch.slice/cpu.max", "300000 100000\n");
  write("batch.slice/job42/cpu.max", "max 100000\n");
  EXPECT_EQ(cgroup_cpu_limit(root_, "0::/batch.slice/job42\n"), 3);
  write("batch.slice/job42/cpu.max", "150000 100000\n");
  EXPECT_EQ(cgroup_cpu_limit(root_, "0::/batch.slice/job42\n"), 2);
}

TEST_F(FakeCgroups, ReadsTheRootOfAContainer) {
  write("cpu.max", "200000 100000");
  EXPECT_EQ(cgroup_cpu_limit(root_, "0::/\n"), 2);
}

TEST_F(FakeCgroups, ReadsCgroupV1Quotas) {
  write("cpu,cpuacct/slurm/job7/cpu.cfs_quota_us", "400000\n");
  write("cpu,cpuacct/slurm/job7/cpu.cfs_period_us", "100000\n");
  EXPECT_EQ(cgroup_cpu_limit(root_, "4:cpu,cpuacct:/slurm/job7\n3:memory:/slurm/job7\n"), 4);
}

TEST_F(FakeCgroups, ReadsCgroupV1AncestorsWhereTheJobHasNoQuota) {
  write("cpu/slurm/cpu.cfs_quota_us", "200000\n");
  write("cpu/slurm/cpu.cfs_period_us", "100000\n");
  write("cpu/slurm/job7/cpu.cfs_quota_us", "-1\n");
  write("cpu/slurm/job7/cpu.cfs_period_us", "100000\n");
  EXPECT_EQ(cgroup_cpu_limit(root_, "4:cpu:/slurm/job7/\n"), 2);
}

TEST_F(FakeCgroups, IgnoresEmptyAndMalformedFiles) {
  write("a/cpu.max", "");
  write("a/b/cpu.max", "nonsense here\n");
  write("cpu,cpuacct/a/cpu.cfs_quota_us", "x");
  write("cpu,cpuacct/a/cpu.cfs_period_us", "");
  EXPECT_EQ(cgroup_cpu_limit(root_, "0::/a/b\n4:cpu,cpuacct:/a\n"), std::nullopt);
}

TEST_F(FakeCgroups, IgnoresMalformedProcSelfCgroup) {
  write("cpu.max", "max 100000");
  EXPECT_EQ(cgroup_cpu_limit(root_, "not a cgroup line\n::\n:\n"), std::nullopt);
  EXPECT_EQ(cgroup_cpu_limit(root_ / "missing", "0::/x\n"), std::nullopt);
}

}  // namespace
