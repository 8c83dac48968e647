// The chi2 map as an SVG picture: period (log axis) by eccentricity, coloured by chi2.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "kepler.hpp"

namespace orbit_grid {

/// What the picture shows.
struct Chi2Map {
  std::vector<double> periods;         ///< x axis, days, increasing
  std::vector<double> eccentricities;  ///< y axis, evenly spaced, increasing
  /// One value per cell, period-major: element i * eccentricities.size() + j is the cell of
  /// periods[i] and eccentricities[j].
  std::vector<double> chi2;
  Orbit truth;  ///< marked with a circle
  Orbit best;   ///< marked with a cross
  double best_chi2;
  std::string title;
  std::string subtitle;
};

/// Writes `map` to `file` as a standalone SVG; throws std::runtime_error if it cannot.
void write_svg(const std::filesystem::path& file, const Chi2Map& map);

}  // namespace orbit_grid
