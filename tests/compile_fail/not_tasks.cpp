// Passing a range whose elements are not tasks.
#include <vector>

#include "joblet/joblet.hpp"

int main() {
  joblet::Parallel(2)(std::vector<int>{1, 2, 3});
}
