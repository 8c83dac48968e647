#include "sweep.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <stdexcept>

namespace orbit_grid {

namespace {

// Step comparisons get this much slack so that a point exactly one step away counts as within.
constexpr double kSlack = 1e-9;

std::vector<double> evenly_spaced(std::size_t count, double low, double high_excluded) {
  std::vector<double> values(count);
  for (std::size_t i = 0; i < count; ++i)
    values[i] = low + (high_excluded - low) * static_cast<double>(i) / static_cast<double>(count);
  return values;
}

}  // namespace

GridAxes make_axes(const GridShape& shape) {
  if (shape.periods < 2 || shape.eccentricities < 1 || shape.omegas < 1)
    throw std::invalid_argument("the grid needs at least 2 periods, 1 eccentricity and 1 omega");

  GridAxes axes;
  const double ratio = std::log(kLongestPeriod / kShortestPeriod);
  const auto last = static_cast<double>(shape.periods - 1);
  for (std::size_t i = 0; i < shape.periods; ++i)
    axes.periods.push_back(kShortestPeriod * std::exp(ratio * static_cast<double>(i) / last));
  axes.eccentricities = evenly_spaced(shape.eccentricities, 0, kEccentricityLimit);
  axes.omegas = evenly_spaced(shape.omegas, 0, 2 * std::numbers::pi);
  return axes;
}

BestFit best_fit(const GridAxes& axes, const std::vector<PointFit>& fits) {
  const auto best = std::ranges::min_element(fits, {}, &PointFit::chi2);
  const auto index = static_cast<std::size_t>(best - fits.begin());
  const std::size_t omegas = axes.omegas.size();
  const std::size_t eccentricities = axes.eccentricities.size();
  return {.orbit = {.period = axes.periods[index / (omegas * eccentricities)],
                    .eccentricity = axes.eccentricities[(index / omegas) % eccentricities],
                    .omega = axes.omegas[index % omegas],
                    .amplitude = best->amplitude,
                    .offset = best->offset},
          .chi2 = best->chi2};
}

GridSteps steps_of(const GridAxes& axes) {
  return {.period_ratio = axes.periods[1] / axes.periods[0],
          .eccentricity = kEccentricityLimit / static_cast<double>(axes.eccentricities.size()),
          .omega = 2 * std::numbers::pi / static_cast<double>(axes.omegas.size())};
}

bool within_one_step(const GridAxes& axes, const Orbit& found, const Orbit& truth) {
  const GridSteps steps = steps_of(axes);
  const double period_error = std::abs(std::log(found.period / truth.period));
  const double eccentricity_error = std::abs(found.eccentricity - truth.eccentricity);
  const double omega_error =
      std::abs(std::remainder(found.omega - truth.omega, 2 * std::numbers::pi));
  return period_error <= std::log(steps.period_ratio) * (1 + kSlack) &&
         eccentricity_error <= steps.eccentricity * (1 + kSlack) &&
         omega_error <= steps.omega * (1 + kSlack);
}

std::vector<double> min_over_omega(const GridAxes& axes, const std::vector<PointFit>& fits) {
  const std::size_t omegas = axes.omegas.size();
  std::vector<double> map(fits.size() / omegas, std::numeric_limits<double>::infinity());
  for (std::size_t i = 0; i < fits.size(); ++i)
    map[i / omegas] = std::min(map[i / omegas], fits[i].chi2);
  return map;
}

}  // namespace orbit_grid
