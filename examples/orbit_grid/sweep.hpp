// The parameter grid of the sweep, and what the fits over it say.
#pragma once

#include <cstddef>
#include <vector>

#include "fit.hpp"
#include "kepler.hpp"

namespace orbit_grid {

/// The range the grid covers: periods over [2, 200] days, eccentricities over [0, 0.8).
inline constexpr double kShortestPeriod = 2;
inline constexpr double kLongestPeriod = 200;
inline constexpr double kEccentricityLimit = 0.8;

/// How many values each parameter takes.
struct GridShape {
  std::size_t periods = 400;
  std::size_t eccentricities = 20;
  std::size_t omegas = 16;
};

/// The values of each parameter: periods log-spaced over [kShortestPeriod, kLongestPeriod],
/// eccentricities evenly over [0, kEccentricityLimit), omegas evenly over [0, 2 pi).
struct GridAxes {
  std::vector<double> periods;
  std::vector<double> eccentricities;
  std::vector<double> omegas;

  [[nodiscard]] std::size_t size() const {
    return periods.size() * eccentricities.size() * omegas.size();
  }
};

/// The axes of a grid of `shape`; it needs at least two periods and one of everything else.
[[nodiscard]] GridAxes make_axes(const GridShape& shape);

/// The distance between neighbouring grid values, which limits how well the grid resolves an orbit.
struct GridSteps {
  double period_ratio;  ///< of neighbouring periods, above 1: the periods are log-spaced
  double eccentricity;
  double omega;  ///< radians
};

[[nodiscard]] GridSteps steps_of(const GridAxes& axes);

/// The grid point with the lowest chi2, as an orbit, and its chi2.
struct BestFit {
  Orbit orbit;
  double chi2;
};

/// The best of `fits`, which hold one fit per grid point in the order of
/// joblet::grid(periods, eccentricities, omegas): omega varies fastest.
[[nodiscard]] BestFit best_fit(const GridAxes& axes, const std::vector<PointFit>& fits);

/// Whether `found` lies within one grid step of `truth` in period (on the log scale),
/// eccentricity and omega (around the circle): the grid cannot resolve the truth any better.
[[nodiscard]] bool within_one_step(const GridAxes& axes, const Orbit& found, const Orbit& truth);

/// The lowest chi2 over omega at each (period, eccentricity), period-major: element
/// `i * eccentricities.size() + j` belongs to periods[i] and eccentricities[j].
[[nodiscard]] std::vector<double> min_over_omega(const GridAxes& axes,
                                                 const std::vector<PointFit>& fits);

}  // namespace orbit_grid
