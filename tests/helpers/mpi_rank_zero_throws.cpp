// Under mpirun: rank 0 throws out of main in the middle of its program, after a run. The job
// must end with a non-zero status and say why, instead of leaving the other ranks waiting.
#include <stdexcept>
#include <vector>

#include "joblet/joblet.hpp"

namespace {

int twice(int i) {
  return 2 * i;
}

}  // namespace

// NOLINTNEXTLINE(bugprone-exception-escape): escaping main is what this program is for
int main(int argc, char** argv) {
  joblet::init(argc, argv);
  const std::vector<int> doubled = joblet::Parallel(-1).map(twice, std::vector<int>{1, 2, 3});
  if (doubled.back() == 6) throw std::runtime_error("rank zero gives up");
  return 0;
}
