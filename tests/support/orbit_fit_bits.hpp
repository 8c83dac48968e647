// The orbit_grid example's fit over a small grid, as bits, for the tests that compare it
// across backends (the test program links the example's fit.cpp, observations.cpp, sweep.cpp).
#pragma once

#include <bit>
#include <cstdint>
#include <vector>

#include "fit.hpp"
#include "joblet/joblet.hpp"
#include "observations.hpp"
#include "sweep.hpp"

namespace joblet::testing {

/// A planet's simulated observations fitted over a 60 x 6 x 4 grid by a Parallel made of
/// `options`: every grid point's amplitude, offset and chi2, as their bits.
inline std::vector<std::uint64_t> orbit_fit_bits(const joblet::Options& options) {
  namespace og = orbit_grid;
  const og::Orbit truth{
      .period = 47.3, .eccentricity = 0.31, .omega = 1.2, .amplitude = 35, .offset = -3};
  const auto observations = joblet::share(og::simulate(truth, og::Survey{}));
  const og::GridAxes axes = og::make_axes({.periods = 60, .eccentricities = 6, .omegas = 4});
  const auto fits = joblet::Parallel(options).map(
      og::FitAtPoint{observations}, joblet::grid(axes.periods, axes.eccentricities, axes.omegas));
  std::vector<std::uint64_t> bits;
  for (const og::PointFit& fit : fits) {
    for (const double value : {fit.amplitude, fit.offset, fit.chi2})
      bits.push_back(std::bit_cast<std::uint64_t>(value));
  }
  return bits;
}

}  // namespace joblet::testing
