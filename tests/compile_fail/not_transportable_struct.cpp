// A class without serialize(), required to cross a process boundary.
#include "joblet/serialize.hpp"

struct Particle {
  double mass;
};

int main() {
  joblet::require_transportable<Particle>();
}
