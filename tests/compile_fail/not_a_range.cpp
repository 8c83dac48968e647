// Passing something that is not a range of tasks.
#include "joblet/joblet.hpp"

int main() {
  joblet::Parallel(2)(42);
}
