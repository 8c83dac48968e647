// The control: the same command accepts correct code, so the other snippets fail for their
// own reason.
#include <vector>

#include "joblet/joblet.hpp"

double chi2(double period, double eccentricity) {
  return period * eccentricity;
}

int main() {
  std::vector tasks{joblet::delayed(chi2, 47.3, 0.3)};
  return joblet::Parallel(2)(tasks).size() == 1 ? 0 : 1;
}
