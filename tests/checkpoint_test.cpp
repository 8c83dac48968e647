// Options::checkpoint: a rerun skips what finished, never uses a damaged or foreign result,
// and gives the results of a clean run bit for bit, even after the first run was killed.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <ranges>
#include <string>
#include <vector>

#include "helpers/process_watch.hpp"
#include "joblet/joblet.hpp"
#include "support/backends.hpp"
#include "support/temporary_directory.hpp"

namespace {

namespace fs = std::filesystem;
using joblet::testing::BackendCase;
using joblet::testing::TemporaryDirectory;

std::vector<fs::path> files_in(const fs::path& directory, const std::string& extension = "") {
  std::vector<fs::path> files;
  if (!fs::exists(directory)) return files;
  for (const auto& entry : fs::directory_iterator(directory)) {
    if (extension.empty() || entry.path().extension() == extension) files.push_back(entry.path());
  }
  std::ranges::sort(files);
  return files;
}

/// Marks that it ran (a file named after its point in `marks`), for every backend.
double marked_square(const std::string& marks, int point) {
  std::ofstream(marks + "/" + std::to_string(point)).put('\n');
  return point * 1.5 * point;
}

double marked_cube(const std::string& marks, int point) {
  std::ofstream(marks + "/" + std::to_string(point)).put('\n');
  return point * 1.5 * point * point;
}

double marked_shift(const std::string& marks, const joblet::Shared<double>& shift, int point) {
  std::ofstream(marks + "/" + std::to_string(point)).put('\n');
  return point + *shift;
}

class CheckpointTest : public ::testing::TestWithParam<BackendCase> {
 protected:
  [[nodiscard]] joblet::Options options() const {
    auto options = GetParam().options();
    options.checkpoint = store_.path() / "sweep";
    return options;
  }

  template <class F>
  std::vector<double> sweep(F fn, int points) {
    fs::remove_all(marks_.path());
    fs::create_directories(marks_.path());
    std::vector<decltype(joblet::delayed(fn, std::string(), 0))> tasks;
    for (int i = 0; i < points; ++i)
      tasks.push_back(joblet::delayed(fn, marks_.path().string(), i));
    return joblet::Parallel(options())(tasks);
  }

  [[nodiscard]] std::size_t tasks_that_ran() const { return files_in(marks_.path()).size(); }
  [[nodiscard]] std::vector<fs::path> kept() const {
    return files_in(store_.path() / "sweep", ".result");
  }

  TemporaryDirectory store_;
  TemporaryDirectory marks_;
};

TEST_P(CheckpointTest, ARerunRunsOnlyUnfinishedTasks) {
  const auto clean = sweep(marked_square, 60);
  EXPECT_EQ(tasks_that_ran(), 60U);
  auto files = kept();
  ASSERT_EQ(files.size(), 60U);
  for (std::size_t i = 0; i < files.size(); i += 6)
    fs::remove(files[i]);

  EXPECT_EQ(sweep(marked_square, 60), clean);
  EXPECT_EQ(tasks_that_ran(), 10U);
  EXPECT_EQ(kept().size(), 60U);

  EXPECT_EQ(sweep(marked_square, 60), clean);
  EXPECT_EQ(tasks_that_ran(), 0U);
}

TEST_P(CheckpointTest, ATruncatedOrCorruptedFileIsRecomputedNeverUsed) {
  const auto clean = sweep(marked_square, 30);
  const auto files = kept();
  ASSERT_EQ(files.size(), 30U);
  fs::resize_file(files[3], fs::file_size(files[3]) / 2);
  {
    // The last bytes are the result itself: read without its checksum, it would be wrong.
    std::fstream damaged(files[7], std::ios::in | std::ios::out | std::ios::binary);
    damaged.seekp(-3, std::ios::end);
    damaged.put('\x5a');
  }
  fs::resize_file(files[11], 0);

  EXPECT_EQ(sweep(marked_square, 30), clean);
  EXPECT_EQ(tasks_that_ran(), 3U);
  EXPECT_EQ(sweep(marked_square, 30), clean) << "the damaged files were written again";
  EXPECT_EQ(tasks_that_ran(), 0U);
}

TEST_P(CheckpointTest, TwoSweepsInOneDirectoryDoNotMix) {
  const auto squares = sweep(marked_square, 20);
  const auto cubes = sweep(marked_cube, 20);
  EXPECT_EQ(tasks_that_ran(), 20U) << "another function is another sweep";
  for (int i = 0; i < 20; ++i)
    EXPECT_EQ(cubes[static_cast<std::size_t>(i)], i * 1.5 * i * i);

  const auto shifted = [this](double by) {
    fs::remove_all(marks_.path());
    fs::create_directories(marks_.path());
    const auto shift = joblet::share(by);
    std::vector<decltype(joblet::delayed(marked_shift, std::string(), shift, 0))> tasks;
    for (int i = 0; i < 10; ++i)
      tasks.push_back(joblet::delayed(marked_shift, marks_.path().string(), shift, i));
    return joblet::Parallel(options())(tasks);
  };
  EXPECT_EQ(shifted(0.25)[4], 4.25);
  EXPECT_EQ(shifted(0.5)[4], 4.5) << "the same function over other shared data is another sweep";
  EXPECT_EQ(tasks_that_ran(), 10U);
  EXPECT_EQ(sweep(marked_square, 20), squares);
  EXPECT_EQ(tasks_that_ran(), 0U) << "the first sweep's results are all still there";
}

TEST_P(CheckpointTest, ATaskThatCannotBeWrittenIsRefusedWithTheFix) {
  const std::string unit = "m/s";
  const auto with_unit = [unit](int i) { return std::to_string(i) + " " + unit; };
  const std::vector tasks{joblet::delayed(with_unit, 1)};
  joblet::Parallel parallel(options());
  try {
    parallel(tasks);
    ADD_FAILURE() << "a capturing lambda was checkpointed";
  } catch (const joblet::NotSerializable& error) {
    EXPECT_NE(std::string(error.what()).find("Options::checkpoint"), std::string::npos);
    EXPECT_NE(std::string(error.what()).find("Pass the captured values as arguments"),
              std::string::npos)
        << error.what();
  }
}

/// The sweep of helpers/checkpoint_sweep.cpp with this case's backend; its results' bytes.
class KilledSweep {
 public:
  explicit KilledSweep(const BackendCase& c)
      : backend_(joblet::to_string(c.backend)), n_jobs_(std::to_string(c.n_jobs)) {}

  [[nodiscard]] joblet::testing::Helper start(const fs::path& checkpoint, int hang_from,
                                              const fs::path& out) const {
    fs::remove_all(marks_.path());
    fs::create_directories(marks_.path());
    return joblet::testing::Helper(JOBLET_CHECKPOINT_SWEEP,
                                   {backend_, n_jobs_, checkpoint.string(), marks_.path().string(),
                                    std::to_string(hang_from), out.string()});
  }

  [[nodiscard]] std::size_t tasks_that_ran() const { return files_in(marks_.path()).size(); }

 private:
  std::string backend_;
  std::string n_jobs_;
  TemporaryDirectory marks_;
};

std::string contents(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST_P(CheckpointTest, ASweepKilledHalfWayResumesToTheResultsOfACleanRun) {
  constexpr int kTasks = 40;  // as in checkpoint_sweep.cpp
  constexpr int kHangFrom = 20;
  const KilledSweep program(GetParam());
  const fs::path checkpoint = store_.path() / "killed";
  const fs::path clean = store_.path() / "clean.bin";
  const fs::path resumed = store_.path() / "resumed.bin";

  auto clean_run = program.start("", -1, clean);
  ASSERT_EQ(clean_run.wait_for_exit(std::chrono::seconds(60)), std::optional(0));

  auto killed = program.start(checkpoint, kHangFrom, resumed);
  // Tasks from kHangFrom on take a minute: once the first ones are done, the program is killed
  // in the middle of the sweep, some results kept and others not.
  const std::string wanted = "done " + std::to_string(kHangFrom);
  for (;;) {
    const auto line = killed.read_line(std::chrono::seconds(60));
    ASSERT_TRUE(line.has_value()) << "the sweep never reached " << wanted;
    if (line.value_or("") == wanted) break;
  }
  ASSERT_TRUE(killed.signal(SIGKILL));
  ASSERT_TRUE(killed.wait_for_exit(std::chrono::seconds(60)));
  const std::size_t kept_before = files_in(checkpoint, ".result").size();
  ASSERT_GE(kept_before, static_cast<std::size_t>(kHangFrom));
  ASSERT_LT(kept_before, static_cast<std::size_t>(kTasks));
  EXPECT_FALSE(fs::exists(resumed));

  auto rerun = program.start(checkpoint, -1, resumed);
  ASSERT_EQ(rerun.wait_for_exit(std::chrono::seconds(60)), std::optional(0));
  EXPECT_EQ(program.tasks_that_ran(), kTasks - kept_before);
  const std::string expected = contents(clean);
  ASSERT_EQ(expected.size(), kTasks * sizeof(double));
  EXPECT_EQ(contents(resumed), expected) << "bit for bit";
}

INSTANTIATE_TEST_SUITE_P(Backends, CheckpointTest,
                         ::testing::ValuesIn(joblet::testing::all_backends()),
                         joblet::testing::case_name);

}  // namespace
