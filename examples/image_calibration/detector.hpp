// A synthetic camera and sky: what the calibration has to undo, and the truth to check it by.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace image_calibration {

/// Frames are rows x columns pixels, row-major.
struct FrameShape {
  std::size_t rows = 192;
  std::size_t columns = 256;

  [[nodiscard]] std::size_t pixels() const { return rows * columns; }

  template <class Archive>
  void serialize(Archive& archive) {
    archive(rows, columns);
  }
};

/// The camera's calibration frames, as a night's master frames would give them.
struct Detector {
  FrameShape shape;
  std::vector<float> bias{};  ///< per column, ADU: each column has its own amplifier offset
  std::vector<float> dark{};  ///< per pixel, ADU per exposure, with hot pixels
  std::vector<float> flat{};  ///< per pixel, relative sensitivity (vignetting), near 1
  float read_noise = 10;      ///< ADU, Gaussian, per pixel and frame

  template <class Archive>
  void serialize(Archive& archive) {
    archive(shape, bias, dark, flat, read_noise);
  }
};

[[nodiscard]] Detector make_detector(const FrameShape& shape);

/// The sky of `night` as it would reach a perfect camera: a background that changes from
/// night to night, and a fixed field of stars.
[[nodiscard]] std::vector<float> true_sky(const FrameShape& shape, int night);

/// `frames` exposures of `night`'s sky through `detector`, stacked frame-major: sky * flat +
/// dark + bias + read noise. The noise depends on the night and frame only.
[[nodiscard]] std::vector<float> observe(const Detector& detector, int night, std::size_t frames);

}  // namespace image_calibration
