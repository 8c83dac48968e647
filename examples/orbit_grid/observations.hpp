// Radial-velocity observations: what a spectrograph measured, and a simulated set of them.
#pragma once

#include <cstdint>
#include <vector>

#include "kepler.hpp"

namespace orbit_grid {

/// One night's measurement of the star.
struct Observation {
  double time;      ///< days
  double velocity;  ///< m/s
  double error;     ///< 1-sigma uncertainty of the velocity, m/s

  template <class Archive>
  void serialize(Archive& archive) {
    archive(time, velocity, error);
  }
};

/// Measurements of one star, one per night, in time order. A night's numbers lie together, so
/// a kernel over the nights reads each night's from one place.
struct Observations {
  std::vector<Observation> nights;

  template <class Archive>
  void serialize(Archive& archive) {
    archive(nights);
  }
};

/// How the simulated survey observes the star.
struct Survey {
  int count = 200;          ///< observations
  double span = 1000;       ///< days, from the first possible night to the last
  double noise = 2;         ///< Gaussian noise of each velocity, m/s
  std::uint64_t seed = 42;  ///< the same seed gives the same observations
};

/// Observations of a star on `truth`, at random times within the survey's span, with noise.
[[nodiscard]] Observations simulate(const Orbit& truth, const Survey& survey);

}  // namespace orbit_grid
