#include "detector.hpp"

#include <array>
#include <cmath>
#include <joblet/random.hpp>
#include <random>

namespace image_calibration {

namespace {

struct Star {
  double row;
  double column;
  double peak;  ///< ADU at the centre
};

constexpr std::array<Star, 5> kStars{{
    {.row = 40.5, .column = 60.2, .peak = 4000},
    {.row = 150.1, .column = 30.7, .peak = 1500},
    {.row = 96.0, .column = 128.0, .peak = 9000},
    {.row = 20.3, .column = 230.9, .peak = 800},
    {.row = 170.8, .column = 200.4, .peak = 2500},
}};
constexpr double kSeeing = 2.5;  ///< pixels, the stars' Gaussian width
constexpr std::uint64_t kNoiseSeed = 0x5eed;

}  // namespace

Detector make_detector(const FrameShape& shape) {
  Detector detector{.shape = shape};
  detector.bias.resize(shape.columns);
  for (std::size_t c = 0; c < shape.columns; ++c) {
    const auto x = static_cast<double>(c);
    detector.bias[c] =
        static_cast<float>(1000 + 25 * std::sin(x / 9) + 3.0 * static_cast<double>(c % 4));
  }
  detector.dark.resize(shape.pixels());
  detector.flat.resize(shape.pixels());
  const double centre_row = static_cast<double>(shape.rows) / 2;
  const double centre_column = static_cast<double>(shape.columns) / 2;
  const double corner = centre_row * centre_row + centre_column * centre_column;
  for (std::size_t r = 0; r < shape.rows; ++r) {
    for (std::size_t c = 0; c < shape.columns; ++c) {
      const std::size_t p = r * shape.columns + c;
      detector.dark[p] = p % 97 == 13 ? 400.0F : 6.0F;
      const double dr = static_cast<double>(r) - centre_row;
      const double dc = static_cast<double>(c) - centre_column;
      detector.flat[p] = static_cast<float>(1 - 0.3 * (dr * dr + dc * dc) / corner);
    }
  }
  return detector;
}

std::vector<float> true_sky(const FrameShape& shape, int night) {
  const double background = 300 + 45 * night;
  std::vector<float> sky(shape.pixels());
  for (std::size_t r = 0; r < shape.rows; ++r) {
    for (std::size_t c = 0; c < shape.columns; ++c) {
      double value = background;
      for (const Star& star : kStars) {
        const double dr = static_cast<double>(r) - star.row;
        const double dc = static_cast<double>(c) - star.column;
        value += star.peak * std::exp(-(dr * dr + dc * dc) / (2 * kSeeing * kSeeing));
      }
      sky[r * shape.columns + c] = static_cast<float>(value);
    }
  }
  return sky;
}

std::vector<float> observe(const Detector& detector, int night, std::size_t frames) {
  const FrameShape& shape = detector.shape;
  const std::vector<float> sky = true_sky(shape, night);
  std::vector<float> stack(frames * shape.pixels());
  for (std::size_t f = 0; f < frames; ++f) {
    // mt19937_64 is the same everywhere; normal_distribution's algorithm is the standard
    // library's, so the noise repeats exactly with one library.
    std::mt19937_64 generator(
        joblet::SplitMix64::mix(kNoiseSeed + 1000 * static_cast<std::uint64_t>(night) + f));
    std::normal_distribution<float> noise(0, detector.read_noise);
    for (std::size_t p = 0; p < shape.pixels(); ++p) {
      stack[f * shape.pixels() + p] = sky[p] * detector.flat[p] + detector.dark[p] +
                                      detector.bias[p % shape.columns] + noise(generator);
    }
  }
  return stack;
}

}  // namespace image_calibration
