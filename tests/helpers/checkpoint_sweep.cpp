// A seeded Monte Carlo sweep with Options::checkpoint, for the test that kills it half-way:
//
//     checkpoint_sweep BACKEND N_JOBS CHECKPOINT_DIR MARKS_DIR HANG_FROM RESULTS_FILE
//
// Each task touches MARKS_DIR/<index> when it runs, so the test sees which tasks ran. Tasks
// from index HANG_FROM on (unless it is negative) block until the program is killed, so that
// it is still running when the test kills it. "done N" is printed as each task finishes, after its
// result was kept; the results go to RESULTS_FILE as raw doubles once the sweep ends. An empty
// CHECKPOINT_DIR ("") runs without checkpoints.
#include <unistd.h>

#include <array>
#include <bit>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <joblet/joblet.hpp>
#include <memory>
#include <random>
#include <ranges>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

constexpr int kTasks = 40;

/// Set from the command line before joblet::init, so that worker processes, forked after, see
/// it too. Not an argument of the tasks: a task's arguments are its checkpoint key, and the
/// killed run and the rerun must have the same keys.
int hang_from = -1;

double sample_mean(int index, const std::string& marks) {
  if (hang_from >= 0 && index >= hang_from) {
    for (;;)
      pause();  // until the test's SIGKILL (a worker process goes with its parent)
  }
  std::ofstream(marks + "/" + std::to_string(index)).put('\n');
  std::normal_distribution<double> normal(index, 1.0);
  double sum = 0;
  for (int k = 0; k < 1000; ++k)
    sum += normal(joblet::task_rng());
  return sum / 1000;
}

class PrintDone final : public joblet::Observer {
 public:
  void on_task_done(const joblet::TaskDone& done) override {
    std::printf("done %zu\n", done.progress.done);
    (void)std::fflush(stdout);
  }
};

joblet::Backend backend_named(const std::string& name) {
  for (const auto backend :
       {joblet::Backend::sequential, joblet::Backend::threads, joblet::Backend::processes}) {
    if (joblet::to_string(backend) == name) return backend;
  }
  throw std::invalid_argument("no backend " + name);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 7) hang_from = std::stoi(argv[5]);
  joblet::init(argc, argv);
  if (argc != 7) {
    (void)std::fprintf(stderr,
                       "usage: checkpoint_sweep BACKEND N_JOBS CHECKPOINT_DIR MARKS_DIR HANG_FROM "
                       "RESULTS_FILE\n");
    return 2;
  }
  const std::string marks = argv[4];
  std::vector<decltype(joblet::delayed(sample_mean, 0, marks))> tasks;
  for (int i = 0; i < kTasks; ++i)
    tasks.push_back(joblet::delayed(sample_mean, i, marks));
  const std::vector<double> means =
      joblet::Parallel({.n_jobs = std::stoi(argv[2]),
                        .backend = backend_named(argv[1]),
                        .batch_size = 1,
                        .seed = 2024,
                        .checkpoint = argv[3],
                        .observers = {std::make_shared<PrintDone>()}})(tasks);
  std::ofstream out(argv[6], std::ios::binary);
  for (const double mean : means) {
    const auto bytes = std::bit_cast<std::array<char, sizeof(double)>>(mean);
    out.write(bytes.data(), bytes.size());
  }
  return out.flush() ? 0 : 1;
}
