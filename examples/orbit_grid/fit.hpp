// The fit at one grid point: K and offset by linear least squares for a fixed P, e and omega.
#pragma once

#include <joblet/share.hpp>

#include "observations.hpp"

namespace orbit_grid {

/// The best velocity amplitude and offset for one (P, e, omega), and how well they fit.
struct PointFit {
  double amplitude;  ///< K, m/s, never negative
  double offset;     ///< m/s
  double chi2;       ///< sum of squared residuals in units of each observation's error

  /// How a fit travels back from a worker process (cereal).
  template <class Archive>
  void serialize(Archive& archive) {
    archive(amplitude, offset, chi2);
  }
};

/// Weighted least squares for K and offset, the only parameters the velocity is linear in.
/// A negative K describes the orbit at omega + pi, so K is held at 0 instead.
[[nodiscard]] PointFit fit_point(const Observations& observations, double period,
                                 double eccentricity, double omega);

/// The sweep's task: fit_point on the observations that every task shares.
///
/// A named function object rather than a capturing lambda: a backend that runs tasks in other
/// processes has to serialize the function, and a type of our own can say how. The observations
/// are a joblet::Shared: threads read the caller's one copy, and worker processes receive it
/// once each rather than once per task.
struct FitAtPoint {
  joblet::Shared<Observations> observations;

  PointFit operator()(double period, double eccentricity, double omega) const {
    return fit_point(*observations, period, eccentricity, omega);
  }

  template <class Archive>
  void serialize(Archive& archive) {
    archive(observations);
  }
};

}  // namespace orbit_grid
