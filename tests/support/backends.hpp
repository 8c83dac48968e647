// The backends and worker counts that every behaviour test runs over.
#pragma once

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "joblet/options.hpp"

namespace joblet::testing {

struct BackendCase {
  Backend backend;
  int n_jobs;

  [[nodiscard]] Options options() const { return {.n_jobs = n_jobs, .backend = backend}; }
};

/// sequential, and threads with 1, 2, 4 and all CPUs: the backends that run tasks in this
/// process, where a task may change the caller's memory.
inline std::vector<BackendCase> in_process_backends() {
  return {{Backend::sequential, 1},
          {Backend::threads, 1},
          {Backend::threads, 2},
          {Backend::threads, 4},
          {Backend::threads, -1}};
}

/// Every backend: those in this process, and worker processes (1 and 3 of them).
inline std::vector<BackendCase> all_backends() {
  auto cases = in_process_backends();
  cases.push_back({Backend::processes, 1});
  cases.push_back({Backend::processes, 3});
  return cases;
}

/// Only the backends that run tasks on other threads.
inline std::vector<BackendCase> concurrent_backends() {
  return {{Backend::threads, 2}, {Backend::threads, 4}, {Backend::threads, -1}};
}

/// How a case reads in test output: "threads with n_jobs=2".
inline void PrintTo(const BackendCase& c, std::ostream* out) {
  *out << to_string(c.backend) << " with n_jobs=" << c.n_jobs;
}

inline std::string case_name(const ::testing::TestParamInfo<BackendCase>& info) {
  const auto& c = info.param;
  const std::string jobs = c.n_jobs < 0 ? "all" : std::to_string(c.n_jobs);
  return std::string(to_string(c.backend)) + (c.backend == Backend::sequential ? "" : "_" + jobs);
}

}  // namespace joblet::testing
