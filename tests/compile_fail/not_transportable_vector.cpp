// A standard container of a class without serialize(): cereal's own trait would accept it.
#include <vector>

#include "joblet/serialize.hpp"

struct Particle {
  double mass;
};

int main() {
  joblet::require_transportable<std::vector<Particle>>();
}
