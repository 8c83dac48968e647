// The Keplerian orbit of a star with one planet, as seen in its radial velocity.
#pragma once

#include <cmath>
#include <numbers>

namespace orbit_grid {

/// What a radial-velocity curve tells about an orbit. Time counts from a periastron passage.
struct Orbit {
  double period;        ///< days
  double eccentricity;  ///< 0 (circle) to below 1
  double omega;         ///< argument of periastron, radians
  double amplitude;     ///< K, m/s
  double offset;        ///< systemic velocity, m/s
};

/// E with E - e sin E = M, by Newton's method to 1e-10 (at most 50 steps).
inline double eccentric_anomaly(double mean_anomaly, double eccentricity) {
  constexpr double kTolerance = 1e-10;
  constexpr int kMaxSteps = 50;
  // Reducing M first keeps the iteration well conditioned however many orbits have passed.
  const double mean = std::remainder(mean_anomaly, 2 * std::numbers::pi);
  // Danby's starting point converges for every eccentricity below 1.
  double anomaly = mean + std::copysign(0.85 * eccentricity, std::sin(mean));
  for (int step = 0; step < kMaxSteps; ++step) {
    const double correction = (anomaly - eccentricity * std::sin(anomaly) - mean) /
                              (1 - eccentricity * std::cos(anomaly));
    anomaly -= correction;
    if (std::abs(correction) < kTolerance) break;
  }
  return anomaly;
}

/// The angle between periastron and the planet at time t (days after a periastron passage).
inline double true_anomaly(double t, double period, double eccentricity) {
  const double anomaly = eccentric_anomaly(2 * std::numbers::pi * t / period, eccentricity);
  return 2 * std::atan2(std::sqrt(1 + eccentricity) * std::sin(anomaly / 2),
                        std::sqrt(1 - eccentricity) * std::cos(anomaly / 2));
}

/// The star's velocity along the line of sight at time t, m/s.
inline double radial_velocity(const Orbit& orbit, double t) {
  const double nu = true_anomaly(t, orbit.period, orbit.eccentricity);
  return orbit.amplitude *
             (std::cos(nu + orbit.omega) + orbit.eccentricity * std::cos(orbit.omega)) +
         orbit.offset;
}

}  // namespace orbit_grid
