// Calibration of a night's stack of frames, written with joblet::kernels over 2-d and 3-d views.
#pragma once

#include <cstddef>
#include <joblet/share.hpp>
#include <vector>

#include "detector.hpp"

namespace image_calibration {

/// A calibration step, for --skip: leaving one out shows what it corrects.
enum class Step { none, bias, dark, flat };

/// Subtracts the bias (per column) and the dark (per pixel) from every frame of `stack`
/// (frame-major, detector.shape frames), divides by the flat, and returns the mean of the
/// frames: the night's sky.
[[nodiscard]] std::vector<float> calibrate(const Detector& detector, std::vector<float> stack,
                                           Step skip = Step::none);

/// What one night's task sends back.
struct NightResult {
  std::vector<float> sky;  ///< the calibrated, combined frame
  int kernel_threads = 0;  ///< the threads its kernels were given

  template <class Archive>
  void serialize(Archive& archive) {
    archive(sky, kernel_threads);
  }
};

/// The task of one night: observe its frames, calibrate them. A function object that says how
/// it travels, for worker processes; the detector is a joblet::Shared, sent to each worker once.
struct CalibrateNight {
  joblet::Shared<Detector> detector;
  std::size_t frames = 8;
  Step skip = Step::none;

  NightResult operator()(int night) const;

  template <class Archive>
  void serialize(Archive& archive) {
    // As a number: the same bytes whatever the archive thinks of enums.
    auto step = static_cast<int>(skip);
    archive(detector, frames, step);
    skip = static_cast<Step>(step);
  }
};

}  // namespace image_calibration
