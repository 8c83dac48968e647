// Options::trace_file and JOBLET_TRACE: a Chrome trace-event file with a slice per task, per
// batch and per kernel call, on one lane per worker.
// Boost 1.74's JSON parser includes boost/bind.hpp, which otherwise prints a deprecation note.
#define BOOST_BIND_GLOBAL_PLACEHOLDERS
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/property_tree/json_parser.hpp>
#include <boost/property_tree/ptree.hpp>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <map>
#include <numeric>
#include <ranges>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "joblet/joblet.hpp"
#include "support/backends.hpp"
#include "support/scoped_env.hpp"
#include "support/temporary_directory.hpp"

namespace {

namespace fs = std::filesystem;
using joblet::testing::BackendCase;

/// A complete ("X") event of the trace.
struct Slice {
  std::string name;
  std::string category;
  std::int64_t start = 0;  ///< nanoseconds, from the file's microseconds with three decimals
  std::int64_t end = 0;
  std::int64_t pid = 0;
  std::int64_t tid = 0;
  boost::property_tree::ptree args;
};

struct Trace {
  std::vector<Slice> slices;
  std::map<std::pair<std::int64_t, std::int64_t>, std::string> thread_names;

  [[nodiscard]] std::vector<Slice> of(const std::string& category) const {
    std::vector<Slice> found;
    for (const auto& slice : slices) {
      if (slice.category == category) found.push_back(slice);
    }
    return found;
  }
};

Trace read_trace(const fs::path& file) {
  boost::property_tree::ptree root;
  boost::property_tree::read_json(file.string(), root);
  Trace trace;
  for (const auto& [key, event] : root.get_child("traceEvents")) {
    const auto phase = event.get<std::string>("ph");
    const auto pid = event.get<std::int64_t>("pid");
    const auto tid = event.get<std::int64_t>("tid");
    if (phase == "M") {
      if (event.get<std::string>("name") == "thread_name") {
        trace.thread_names[{pid, tid}] = event.get<std::string>("args.name");
      }
      continue;
    }
    if (phase != "X") throw std::runtime_error("an event of phase " + phase);
    const auto start = std::llround(event.get<double>("ts") * 1000);
    trace.slices.push_back({event.get<std::string>("name"), event.get<std::string>("cat"), start,
                            start + std::llround(event.get<double>("dur") * 1000), pid, tid,
                            event.get_child("args")});
  }
  return trace;
}

double sum_of_squares(int n) {
  std::vector<double> values(static_cast<std::size_t>(n) + 1);
  std::iota(values.begin(), values.end(), 0.0);
  return joblet::kernels::map_reduce(
      values, 0.0, [](double x) { return x * x; }, std::plus<>());
}

class TraceTest : public ::testing::TestWithParam<BackendCase> {
 protected:
  joblet::testing::TemporaryDirectory directory_;
};

TEST_P(TraceTest, EachTaskIsOneSliceWithItsIndexAndNameInsideItsBatchOnItsWorkersLane) {
  const fs::path file = directory_.path() / "trace.json";
  auto options = GetParam().options();
  options.trace_file = file;
  options.batch_size = 3;
  const auto sums = joblet::Parallel(options).map(sum_of_squares, std::views::iota(0, 40));
  ASSERT_EQ(sums.size(), 40U);

  const Trace trace = read_trace(file);
  const auto tasks = trace.of("task");
  ASSERT_EQ(tasks.size(), 40U);
  std::set<std::size_t> indices;
  std::set<std::pair<std::int64_t, std::int64_t>> lanes;
  for (const auto& task : tasks) {
    EXPECT_NE(task.name.find("sum_of_squares"), std::string::npos) << task.name;
    indices.insert(task.args.get<std::size_t>("index"));
    lanes.insert({task.pid, task.tid});
    EXPECT_TRUE(trace.thread_names.contains({task.pid, task.tid})) << "every lane is named";
    EXPECT_LE(task.start, task.end);
  }
  EXPECT_EQ(indices.size(), 40U);
  EXPECT_EQ(*indices.rbegin(), 39U);
  EXPECT_LE(lanes.size(), static_cast<std::size_t>(joblet::Parallel(options).n_jobs()));

  // The batches cover the tasks once; each task lies inside the slice of the batch that lists
  // it, on its lane. (Batches hold three tasks, but one under sequential, which never groups.)
  const auto batches = trace.of("batch");
  std::size_t covered = 0;
  for (const auto& slice : batches) {
    covered += slice.args.get<std::size_t>("last") - slice.args.get<std::size_t>("first") + 1;
    EXPECT_LE(slice.args.get<std::size_t>("last") - slice.args.get<std::size_t>("first"), 2U);
  }
  EXPECT_EQ(covered, 40U);
  for (const auto& task : tasks) {
    const auto index = task.args.get<std::size_t>("index");
    const auto batch = task.args.get<std::size_t>("batch");
    std::size_t holders = 0;
    for (const auto& slice : batches) {
      if (slice.args.get<std::size_t>("batch") != batch) continue;
      ++holders;
      EXPECT_LE(slice.args.get<std::size_t>("first"), index);
      EXPECT_GE(slice.args.get<std::size_t>("last"), index);
      EXPECT_EQ(std::pair(slice.pid, slice.tid), std::pair(task.pid, task.tid));
      EXPECT_LE(slice.start, task.start);
      EXPECT_GE(slice.end, task.end);
    }
    EXPECT_EQ(holders, 1U);
  }

  // One kernel call per task, inside its task's slice.
  const auto kernels = trace.of("kernel");
  ASSERT_EQ(kernels.size(), 40U);
  for (const auto& kernel : kernels) {
    EXPECT_EQ(kernel.name, "kernels::map_reduce");
    const auto index = kernel.args.get<std::size_t>("index");
    const auto task = std::ranges::find_if(
        tasks, [index](const Slice& t) { return t.args.get<std::size_t>("index") == index; });
    ASSERT_NE(task, tasks.end());
    EXPECT_EQ(std::pair(kernel.pid, kernel.tid), std::pair(task->pid, task->tid));
    EXPECT_LE(task->start, kernel.start);
    EXPECT_GE(task->end, kernel.end);
  }
  EXPECT_EQ(trace.of("run").size(), 1U);
}

TEST_P(TraceTest, JobletTraceTracesARunWithoutRecompiling) {
  const fs::path file = directory_.path() / "from_environment.json";
  const joblet::testing::ScopedEnv trace_env("JOBLET_TRACE", file.c_str());
  joblet::Parallel(GetParam().options()).map(sum_of_squares, std::views::iota(0, 10));
  joblet::Parallel(GetParam().options()).map(sum_of_squares, std::views::iota(0, 5));
  const Trace trace = read_trace(file);
  EXPECT_EQ(trace.of("task").size(), 15U) << "the file holds every traced run of the program";
  EXPECT_EQ(trace.of("run").size(), 2U);
}

INSTANTIATE_TEST_SUITE_P(Backends, TraceTest, ::testing::ValuesIn(joblet::testing::all_backends()),
                         joblet::testing::case_name);

}  // namespace
