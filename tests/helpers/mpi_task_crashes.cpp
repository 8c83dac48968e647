// Under mpirun: task 5 kills the rank that runs it. MPI ends the whole job; the job's output
// must say which rank died and which task it was running.
#include <csignal>
#include <vector>

#include "joblet/joblet.hpp"

namespace {

int crash_at_five(int i) {
  if (i == 5) (void)std::raise(SIGSEGV);
  return i;
}

}  // namespace

int main(int argc, char** argv) {
  joblet::init(argc, argv);
  std::vector<int> inputs(20);
  for (int i = 0; i < 20; ++i)
    inputs[static_cast<std::size_t>(i)] = i;
  (void)joblet::Parallel({.n_jobs = -1, .batch_size = 1}).map(crash_at_five, inputs);
  return 0;
}
