// A task whose function is a lambda that captures a variable.
#include "joblet/joblet.hpp"

int main() {
  const double scale = 2.5;
  auto scaled = [scale](double x) { return scale * x; };
  joblet::require_transportable<decltype(joblet::delayed(scaled, 1.0))>();
}
