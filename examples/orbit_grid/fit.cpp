#include "fit.hpp"

#include <functional>
#include <joblet/kernels.hpp>
#include <vector>

#include "kepler.hpp"

namespace orbit_grid {

namespace {

namespace jk = joblet::kernels;

/// One night seen through a trial orbit: the orbit's velocity with K = 1 and no offset (the
/// shape that K scales and the offset shifts), what was measured, and the weight 1 / sigma^2.
struct Sample {
  double shape;
  double velocity;
  double weight;
};

/// The weighted sums that the normal equations of v = K * shape + offset are made of.
struct NormalSums {
  double w = 0;
  double s = 0;
  double ss = 0;
  double v = 0;
  double sv = 0;

  static NormalSums of(const Sample& x) {
    const double w = x.weight;
    return {.w = w,
            .s = w * x.shape,
            .ss = w * x.shape * x.shape,
            .v = w * x.velocity,
            .sv = w * x.shape * x.velocity};
  }

  friend NormalSums operator+(const NormalSums& a, const NormalSums& b) {
    return {.w = a.w + b.w, .s = a.s + b.s, .ss = a.ss + b.ss, .v = a.v + b.v, .sv = a.sv + b.sv};
  }
};

}  // namespace

PointFit fit_point(const Observations& observations, double period, double eccentricity,
                   double omega) {
  // The kernels use the threads this grid-point task was given: all CPUs for a call outside
  // Parallel, CPUs / n_jobs inside one. A survey of a few hundred nights is below their grain
  // and runs on the task's own thread; a survey of millions would be split.
  const Orbit unit{
      .period = period, .eccentricity = eccentricity, .omega = omega, .amplitude = 1, .offset = 0};
  std::vector<Sample> samples(observations.nights.size());
  jk::map(observations.nights, samples, [unit](const Observation& night) {
    return Sample{.shape = radial_velocity(unit, night.time),
                  .velocity = night.velocity,
                  .weight = 1 / (night.error * night.error)};
  });

  const NormalSums sums = jk::map_reduce(samples, NormalSums{}, &NormalSums::of, std::plus<>{});
  const double determinant = sums.w * sums.ss - sums.s * sums.s;
  double amplitude = determinant > 0 ? (sums.w * sums.sv - sums.s * sums.v) / determinant : 0;
  if (amplitude < 0) amplitude = 0;
  // The offset's own normal equation gives its best value for any fixed K, a clamped K included.
  const double offset = (sums.v - amplitude * sums.s) / sums.w;

  const double chi2 = jk::map_reduce(
      samples, 0.0,
      [amplitude, offset](const Sample& x) {
        const double residual = x.velocity - (amplitude * x.shape + offset);
        return x.weight * residual * residual;
      },
      std::plus<>{});
  return {.amplitude = amplitude, .offset = offset, .chi2 = chi2};
}

}  // namespace orbit_grid
