// What a run tells people: on_progress, joblib-style verbose lines, the progress bar.
#include <gtest/gtest.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ranges>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "joblet/joblet.hpp"
#include "support/backends.hpp"

namespace {

using joblet::testing::BackendCase;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

class ProgressTest : public ::testing::TestWithParam<BackendCase> {
 protected:
  [[nodiscard]] static joblet::Options backend_options() { return GetParam().options(); }
};

TEST_P(ProgressTest, OnProgressIsCalledOncePerTaskWithTheCountSoFar) {
  std::vector<joblet::Progress> calls;
  auto options = backend_options();
  options.on_progress = [&calls](const joblet::Progress& progress) { calls.push_back(progress); };
  joblet::Parallel(options).map([](int i) { return i; }, std::views::iota(0, 500));
  ASSERT_EQ(calls.size(), 500U);
  for (std::size_t k = 0; k < calls.size(); ++k) {
    EXPECT_EQ(calls[k].done, k + 1);
    EXPECT_EQ(calls[k].total, 500U);
  }
  EXPECT_TRUE(std::ranges::is_sorted(calls, {}, [](const auto& p) { return p.elapsed; }));
}

TEST_P(ProgressTest, OnProgressLearnsTheTotalOfAnUnsizedRangeWhenItEnds) {
  std::vector<joblet::Progress> calls;
  auto options = backend_options();
  options.on_progress = [&calls](const joblet::Progress& progress) { calls.push_back(progress); };
  auto unsized =
      std::views::iota(0) | std::views::take_while([](int i) { return i < 100; }) |
      std::views::transform([](int i) { return joblet::delayed([](int k) { return k; }, i); });
  static_assert(!std::ranges::sized_range<decltype(unsized)>);
  joblet::Parallel parallel(options);
  parallel(unsized);
  ASSERT_EQ(calls.size(), 100U);
  EXPECT_EQ(calls.back().total, 100U);
}

TEST_P(ProgressTest, OnProgressFiresUnderTryRunForFailedTasksToo) {
  std::size_t calls = 0;
  auto options = backend_options();
  options.on_progress = [&calls](const joblet::Progress&) { ++calls; };
  joblet::Parallel(options).try_map(
      [](int i) {
        if (i % 2 == 0) throw std::runtime_error("even");
        return i;
      },
      std::views::iota(0, 40));
  EXPECT_EQ(calls, 40U);
}

TEST_P(ProgressTest, VerboseLinesFollowJoblibsFormat) {
  auto options = backend_options();
  options.verbose = 10;
  ::testing::internal::CaptureStderr();
  joblet::Parallel(options).map([](int i) { return i; }, std::views::iota(0, 100));
  const auto lines = lines_of(::testing::internal::GetCapturedStderr());
  ASSERT_GE(lines.size(), 2U);
  const std::string prefix = "[Parallel(n_jobs=" + std::to_string(GetParam().n_jobs) + ")]: ";
  EXPECT_EQ(lines.front(),
            prefix + "Using backend " + std::string(joblet::to_string(GetParam().backend)) +
                " with " + std::to_string(joblet::Parallel(options).n_jobs()) +
                " concurrent worker" + (joblet::Parallel(options).n_jobs() == 1 ? "." : "s."));
  const std::regex done(
      R"(\[Parallel\(n_jobs=-?\d+\)\]: Done +\d+ out of +100 \| elapsed: +\d+\.\ds remaining: +\d+\.\ds)");
  for (std::size_t i = 1; i + 1 < lines.size(); ++i) {
    EXPECT_TRUE(std::regex_match(lines[i], done)) << lines[i];
  }
  EXPECT_TRUE(std::regex_match(
      lines.back(),
      std::regex(
          R"(\[Parallel\(n_jobs=-?\d+\)\]: Done 100 out of 100 \| elapsed: +\d+\.\ds finished)")))
      << lines.back();
}

TEST_P(ProgressTest, ProgressOnANonTerminalPrintsALinePerTenth) {
  auto options = backend_options();
  options.progress = true;
  options.batch_size = GetParam().backend == joblet::Backend::sequential ? 0 : 1;
  ::testing::internal::CaptureStderr();
  joblet::Parallel(options).map([](int i) { return i; }, std::views::iota(0, 100));
  const auto lines = lines_of(::testing::internal::GetCapturedStderr());
  ASSERT_GE(lines.size(), 2U);
  EXPECT_LE(lines.size(), 11U);
  const std::regex line(
      R"(\[joblet\] (\d+)/100 \((\d+)%\) \| [\d.]+ tasks/s \| elapsed [\d.]+s( \| ETA [\d.]+s)?)");
  for (const auto& text : lines)
    EXPECT_TRUE(std::regex_match(text, line)) << text;
  EXPECT_EQ(lines.back().rfind("[joblet] 100/100 (100%)", 0), 0U) << lines.back();
}

TEST_P(ProgressTest, QuietRunsWriteNothing) {
  ::testing::internal::CaptureStderr();
  joblet::Parallel(backend_options()).map([](int i) { return i; }, std::views::iota(0, 100));
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

INSTANTIATE_TEST_SUITE_P(AllBackends, ProgressTest,
                         ::testing::ValuesIn(joblet::testing::all_backends()),
                         joblet::testing::case_name);

TEST(Progress, VerboseForAnUnsizedRangeCountsTasksUntilTheEndIsKnown) {
  ::testing::internal::CaptureStderr();
  auto unsized =
      std::views::iota(0) | std::views::take_while([](int i) { return i < 50; }) |
      std::views::transform([](int i) { return joblet::delayed([](int k) { return k; }, i); });
  joblet::Parallel({.n_jobs = 1, .verbose = 11})(unsized);
  const auto lines = lines_of(::testing::internal::GetCapturedStderr());
  ASSERT_GE(lines.size(), 3U);
  EXPECT_EQ(lines[1], std::string("[Parallel(n_jobs=1)]: Done   1 tasks      | elapsed:    0.0s"));
  EXPECT_NE(lines.back().find("Done  50 out of  50"), std::string::npos) << lines.back();
}

/// Runs `program` on a pseudo-terminal and returns everything it wrote.
std::string run_on_terminal(const char* program) {
  int terminal = -1;
  const pid_t child = forkpty(&terminal, nullptr, nullptr, nullptr);
  if (child == 0) {
    execl(program, program, static_cast<char*>(nullptr));
    _exit(127);
  }
  std::string output;
  char buffer[4096];
  for (;;) {
    const ssize_t got = read(terminal, buffer, sizeof(buffer));
    if (got > 0) {
      output.append(buffer, static_cast<std::size_t>(got));
    } else if (got < 0 && errno == EINTR) {
      continue;
    } else {
      break;  // EIO once the child has gone
    }
  }
  int status = 0;
  waitpid(child, &status, 0);
  close(terminal);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << output;
  return output;
}

TEST(Progress, OnATerminalOneLineIsRedrawnInPlace) {
  const std::string output = run_on_terminal(JOBLET_PROGRESS_DEMO);
  // Redraws start with a carriage return and clear the rest of the line.
  EXPECT_GE(std::count(output.begin(), output.end(), '\r'), 3) << output;
  EXPECT_NE(output.find("\x1b[K"), std::string::npos);
  EXPECT_NE(output.find("[joblet] 40/40 (100%) [########################]"), std::string::npos)
      << output;
  // One line in all: the only line end is the one after the finished bar.
  const auto last_bar = output.rfind("\r[joblet] 40/40");
  ASSERT_NE(last_bar, std::string::npos);
  EXPECT_EQ(output.find('\n'), output.find('\n', last_bar)) << output;
}

}  // namespace
