// The control for the not_transportable_* snippets: the same checks accept types and tasks
// that can cross a process boundary.
#include <map>
#include <string>
#include <vector>

#include "joblet/joblet.hpp"

struct Particle {
  double mass;

  template <class Archive>
  void serialize(Archive& archive) {
    archive(mass);
  }
};

double energy(double velocity, const Particle& particle) {
  return 0.5 * particle.mass * velocity * velocity;
}

int main() {
  joblet::require_transportable<Particle>();
  joblet::require_transportable<std::vector<Particle>>();
  joblet::require_transportable<std::map<std::string, std::vector<Particle>>>();
  joblet::require_transportable<decltype(joblet::delayed(energy, 2.0, Particle{1.0}))>();
  auto scaled = [](double x) { return 2.5 * x; };
  joblet::require_transportable<decltype(joblet::delayed(scaled, 1.0))>();
}
