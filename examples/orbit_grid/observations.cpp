#include "observations.hpp"

#include <algorithm>
#include <cstddef>
#include <random>
#include <vector>

namespace orbit_grid {

Observations simulate(const Orbit& truth, const Survey& survey) {
  // mt19937_64's sequence is fixed by the standard but the distributions' algorithms are not:
  // the observations repeat exactly with one standard library, and differ in their noise (not
  // in their statistics) with another.
  std::mt19937_64 generator(survey.seed);
  std::uniform_real_distribution<double> night(0, survey.span);
  std::normal_distribution<double> noise(0, survey.noise);

  std::vector<double> times(static_cast<std::size_t>(survey.count));
  std::ranges::generate(times, [&] { return night(generator); });
  std::ranges::sort(times);

  Observations observations;
  observations.nights.reserve(times.size());
  for (const double t : times) {
    observations.nights.push_back({.time = t,
                                   .velocity = radial_velocity(truth, t) + noise(generator),
                                   .error = survey.noise});
  }
  return observations;
}

}  // namespace orbit_grid
