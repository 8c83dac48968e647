// delayed() with arguments the function cannot take.
#include "joblet/joblet.hpp"

double chi2(double period, double eccentricity) {
  return period * eccentricity;
}

int main() {
  (void)joblet::delayed(chi2, "47.3");
}
