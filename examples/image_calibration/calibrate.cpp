#include "calibrate.hpp"

#include <functional>
#include <joblet/kernels.hpp>
#include <utility>

namespace image_calibration {

namespace jk = joblet::kernels;

std::vector<float> calibrate(const Detector& detector, std::vector<float> stack, Step skip) {
  const std::size_t rows = detector.shape.rows;
  const std::size_t columns = detector.shape.columns;
  const std::size_t frames = stack.size() / detector.shape.pixels();
  // The stack is one 3-d view; each step works on it in place (out is the very same view as
  // the first input) and broadcasts a smaller view over it: the bias, one value per column,
  // over every row of every frame; the dark and the flat, one frame, over every frame.
  const jk::View<float> frames_view{stack.data(), {frames, rows, columns}};
  const jk::View<const float> in_place{stack.data(), {frames, rows, columns}};
  if (skip != Step::bias) {
    jk::zip(in_place, jk::View<const float>{detector.bias.data(), {1, columns}}, frames_view,
            std::minus<>{});
  }
  if (skip != Step::dark) {
    jk::zip(in_place, jk::View<const float>{detector.dark.data(), {rows, columns}}, frames_view,
            std::minus<>{});
  }
  if (skip != Step::flat) {
    jk::zip(in_place, jk::View<const float>{detector.flat.data(), {rows, columns}}, frames_view,
            std::divides<>{});
  }

  // Combine along the stack: sum the frames pixel by pixel, then divide by their number. Each
  // pixel's sum is taken in frame order, so the result does not depend on the threads.
  std::vector<float> sky(detector.shape.pixels());
  const jk::View<float> sum{sky.data(), {1, rows, columns}};
  jk::reduce(in_place, sum, 0, 0.0F, std::plus<>{});
  const auto count = static_cast<float>(frames);
  jk::map(sky, sky, [count](float total) { return total / count; });
  return sky;
}

NightResult CalibrateNight::operator()(int night) const {
  return {.sky = calibrate(*detector, observe(*detector, night, frames), skip),
          .kernel_threads = jk::threads()};
}

}  // namespace image_calibration
