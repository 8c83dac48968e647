// image_calibration: calibrates nights of synthetic camera frames with joblet::kernels, one
// joblet task per night.
//
//     image_calibration                       # 4 nights of 8 frames on all CPUs
//     image_calibration --n-jobs 2 --backend processes
//     image_calibration --skip dark           # leave a step out: the check then fails
#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <iomanip>
#include <iostream>
#include <joblet/joblet.hpp>
#include <limits>
#include <ranges>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "calibrate.hpp"
#include "detector.hpp"

namespace {

namespace ic = image_calibration;

constexpr int kUsageError = 2;

constexpr std::string_view kUsage =
    R"(usage: image_calibration [--n-jobs N] [--backend NAME] [--nights N] [--frames N] [--skip STEP]

Simulates nights of exposures through a camera with a bias per column, a dark current and a
vignetting flat; calibrates each night's stack (one task per night) and compares the combined
frame with the true sky.

  --n-jobs N      workers: 1, 2, ..., or -1 for all CPUs, -2 for all but one (not 0); default -1
  --backend NAME  automatic, sequential, threads, processes or mpi; default automatic
  --nights N      nights to calibrate, at least 1; default 4
  --frames N      frames per night, at least 1; default 8
  --skip STEP     leave out bias, dark or flat, to see what it corrects
  --help          show this text
)";

struct CommandLine {
  int n_jobs = -1;
  joblet::Backend backend = joblet::Backend::automatic;
  int nights = 4;
  std::size_t frames = 8;
  ic::Step skip = ic::Step::none;
  bool help = false;
};

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

[[noreturn]] void reject(std::string_view flag, std::string_view value, std::string_view accepted) {
  throw UsageError(std::string(flag) + ": \"" + std::string(value) + "\" is not accepted; write " +
                   std::string(accepted));
}

int whole_number(std::string_view flag, std::string_view text, int lowest,
                 std::string_view accepted) {
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || value < lowest || value == 0)
    reject(flag, text, accepted);
  return value;
}

template <class T>
T named(std::string_view flag, std::string_view text,
        std::span<const std::pair<std::string_view, T>> names, std::string_view accepted) {
  for (const auto& [name, value] : names) {
    if (name == text) return value;
  }
  reject(flag, text, accepted);
}

CommandLine parse(const std::vector<std::string_view>& arguments) {
  static constexpr std::array<std::pair<std::string_view, joblet::Backend>, 5> kBackends{{
      {"automatic", joblet::Backend::automatic},
      {"sequential", joblet::Backend::sequential},
      {"threads", joblet::Backend::threads},
      {"processes", joblet::Backend::processes},
      {"mpi", joblet::Backend::mpi},
  }};
  static constexpr std::array<std::pair<std::string_view, ic::Step>, 3> kSteps{{
      {"bias", ic::Step::bias},
      {"dark", ic::Step::dark},
      {"flat", ic::Step::flat},
  }};
  CommandLine command_line;
  for (std::size_t i = 0; i < arguments.size(); ++i) {
    const std::string_view flag = arguments[i];
    const auto value = [&]() -> std::string_view {
      if (i + 1 == arguments.size()) throw UsageError(std::string(flag) + " needs a value");
      return arguments[++i];
    };
    if (flag == "--n-jobs") {
      command_line.n_jobs = whole_number(
          flag, value(), std::numeric_limits<int>::min(),
          "a number of workers: 1, 2, ..., or -1 for all CPUs, -2 for all but one (not 0)");
    } else if (flag == "--backend") {
      command_line.backend = named<joblet::Backend>(
          flag, value(), kBackends, "automatic, sequential, threads, processes or mpi");
    } else if (flag == "--nights") {
      command_line.nights = whole_number(flag, value(), 1, "a number of nights, at least 1");
    } else if (flag == "--frames") {
      command_line.frames = static_cast<std::size_t>(
          whole_number(flag, value(), 1, "a number of frames per night, at least 1"));
    } else if (flag == "--skip") {
      command_line.skip = named<ic::Step>(flag, value(), kSteps, "bias, dark or flat");
    } else if (flag == "--help" || flag == "-h") {
      command_line.help = true;
    } else {
      throw UsageError("unknown argument \"" + std::string(flag) + "\"");
    }
  }
  return command_line;
}

/// How far a recovered sky is from the truth, in units of the noise its mean should have
/// kept: read noise / flat / sqrt(frames) per pixel. Plain loops, apart from the kernels they
/// check.
struct Residual {
  double mean;
  double rms;
};

Residual residual(const ic::Detector& detector, std::size_t frames,
                  const std::vector<float>& recovered, const std::vector<float>& truth) {
  const double noise = detector.read_noise / std::sqrt(static_cast<double>(frames));
  double sum = 0;
  double sum_of_squares = 0;
  for (std::size_t p = 0; p < truth.size(); ++p) {
    const double z = (static_cast<double>(recovered[p]) - truth[p]) * detector.flat[p] / noise;
    sum += z;
    sum_of_squares += z * z;
  }
  const auto count = static_cast<double>(truth.size());
  return {.mean = sum / count, .rms = std::sqrt(sum_of_squares / count)};
}

/// FNV-1a over the bytes of every night's sky: equal digests are bit-identical results.
std::uint64_t digest(const std::vector<ic::NightResult>& nights) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (const ic::NightResult& night : nights) {
    for (const float value : night.sky) {
      const auto bits = std::bit_cast<std::uint32_t>(value);
      for (int shift = 0; shift < 32; shift += 8) {
        hash ^= (bits >> static_cast<unsigned>(shift)) & 0xffU;
        hash *= 0x100000001b3ULL;
      }
    }
  }
  return hash;
}

int run(const CommandLine& command_line) {
  joblet::Parallel parallel({.n_jobs = command_line.n_jobs, .backend = command_line.backend});
  const ic::FrameShape shape;
  const auto detector = joblet::share(ic::make_detector(shape));
  std::cout << "image_calibration: " << command_line.nights << " nights x " << command_line.frames
            << " frames of " << shape.rows << " x " << shape.columns << " pixels, read noise "
            << detector->read_noise << " ADU\n"
            << "running on " << joblet::to_string(parallel.backend()) << " with "
            << parallel.n_jobs() << (parallel.n_jobs() == 1 ? " worker\n" : " workers\n");

  const std::vector<ic::NightResult> nights = parallel.map(
      ic::CalibrateNight{
          .detector = detector, .frames = command_line.frames, .skip = command_line.skip},
      std::views::iota(0, command_line.nights));

  // A pixel's mean is within the noise when the mean residual over all pixels is near 0 (a
  // step left out shifts it by many sigma) and the scatter is the noise alone.
  constexpr double kMeanLimit = 0.05;
  constexpr double kRmsLow = 0.9;
  constexpr double kRmsHigh = 1.1;
  bool calibrated = true;
  for (int night = 0; night < command_line.nights; ++night) {
    const ic::NightResult& result = nights[static_cast<std::size_t>(night)];
    const Residual r =
        residual(*detector, command_line.frames, result.sky, ic::true_sky(shape, night));
    const bool good = std::abs(r.mean) < kMeanLimit && r.rms > kRmsLow && r.rms < kRmsHigh;
    calibrated = calibrated && good;
    std::cout << "night " << night << ": residual mean " << std::showpos << std::fixed
              << std::setprecision(3) << r.mean << std::noshowpos << " sigma, rms " << r.rms
              << " sigma (kernels on " << result.kernel_threads << " thread"
              << (result.kernel_threads == 1 ? "" : "s") << ")" << (good ? "" : "  <- off") << '\n';
  }
  std::cout << "digest: " << std::hex << std::setw(16) << std::setfill('0') << digest(nights)
            << std::dec << '\n';
  // The last line, so that a test reading it knows that everything before worked.
  std::cout << "calibrated: "
            << (calibrated ? "yes (every night's sky is recovered within the noise)\n"
                           : "no (a night's sky is off by more than the noise)\n");
  return calibrated ? EXIT_SUCCESS : EXIT_FAILURE;
}

}  // namespace

int main(int argc, char** argv) {
  joblet::init(argc, argv);  // before any thread: worker processes are copies of this program
  CommandLine command_line;
  try {
    command_line = parse(std::vector<std::string_view>(argv + 1, argv + argc));
  } catch (const UsageError& error) {
    std::cerr << "image_calibration: " << error.what() << "\n\n" << kUsage;
    return kUsageError;
  }
  if (command_line.help) {
    std::cout << kUsage;
    return EXIT_SUCCESS;
  }
  try {
    return run(command_line);
  } catch (const std::invalid_argument& error) {
    std::cerr << "image_calibration: " << error.what() << '\n';
    return kUsageError;
  } catch (const std::exception& error) {
    std::cerr << "image_calibration: " << error.what() << '\n';
    return EXIT_FAILURE;
  }
}
