// A task whose second argument has no serialize().
#include "joblet/joblet.hpp"

struct Particle {
  double mass;
};

double energy(double velocity, const Particle& particle) {
  return 0.5 * particle.mass * velocity * velocity;
}

int main() {
  joblet::require_transportable<decltype(joblet::delayed(energy, 2.0, Particle{1.0}))>();
}
