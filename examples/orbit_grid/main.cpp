// orbit_grid: finds a planet in simulated radial velocities by a grid search run with joblet.
//
//     orbit_grid                      # 128,000 grid points on all CPUs
//     orbit_grid --n-jobs 1           # the same sweep inline, e.g. under a debugger
//     orbit_grid --grid 400,10,8 --progress --out small.svg
#include <chrono>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <joblet/joblet.hpp>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "cli.hpp"
#include "fit.hpp"
#include "kepler.hpp"
#include "observations.hpp"
#include "svg_map.hpp"
#include "sweep.hpp"

namespace {

namespace og = orbit_grid;

constexpr int kUsageError = 2;

constexpr og::Orbit kTruth{
    .period = 47.3, .eccentricity = 0.31, .omega = 1.2, .amplitude = 35, .offset = -3};

std::string fixed(double value, int decimals) {
  std::ostringstream text;
  text << std::fixed << std::setprecision(decimals) << value;
  return text.str();
}

void print_row(std::string_view name, std::string_view truth, std::string_view found,
               std::string_view step = "") {
  std::cout << "  " << std::left << std::setw(16) << name << std::right << std::setw(10) << truth
            << std::setw(12) << found << std::setw(12) << step << '\n';
}

void print_comparison(const og::GridAxes& axes, const og::BestFit& best,
                      const og::PointFit& at_truth) {
  const og::GridSteps steps = og::steps_of(axes);
  print_row("", "truth", "best fit", "grid step");
  print_row("period P [d]", fixed(kTruth.period, 3), fixed(best.orbit.period, 3),
            fixed(100 * (steps.period_ratio - 1), 2) + " %");
  print_row("eccentricity e", fixed(kTruth.eccentricity, 3), fixed(best.orbit.eccentricity, 3),
            fixed(steps.eccentricity, 3));
  print_row("omega [rad]", fixed(kTruth.omega, 3), fixed(best.orbit.omega, 3),
            fixed(steps.omega, 3));
  print_row("K [m/s]", fixed(kTruth.amplitude, 2), fixed(best.orbit.amplitude, 2));
  print_row("offset [m/s]", fixed(kTruth.offset, 2), fixed(best.orbit.offset, 2));
  print_row("chi2", fixed(at_truth.chi2, 1), fixed(best.chi2, 1));
  std::cout << "  (the truth's chi2 is with K and offset fitted at the true P, e and omega)\n\n";
}

int run(const og::CommandLine& command_line) {
  // Options the library refuses (a backend this build lacks, more CPUs than there are) are
  // std::invalid_argument from this constructor, before any work starts.
  joblet::Parallel parallel({.n_jobs = command_line.n_jobs,
                             .backend = command_line.backend,
                             .progress = command_line.progress,
                             .trace_file = command_line.trace,
                             .checkpoint = command_line.checkpoint});

  const og::Survey survey;
  const auto observations = joblet::share(og::simulate(kTruth, survey));
  const og::GridAxes axes = og::make_axes(command_line.grid);
  std::cout << "orbit_grid: " << survey.count << " simulated radial velocities over " << survey.span
            << " days, noise " << survey.noise << " m/s\n"
            << "grid: " << axes.periods.size() << " periods (" << og::kShortestPeriod << "-"
            << og::kLongestPeriod << " d, log) x " << axes.eccentricities.size()
            << " eccentricities [0, " << og::kEccentricityLimit << ") x " << axes.omegas.size()
            << " omegas [0, 2 pi) = " << axes.size() << " points\n"
            << "running on " << joblet::to_string(parallel.backend()) << " with "
            << parallel.n_jobs() << (parallel.n_jobs() == 1 ? " worker\n" : " workers\n");

  // One task per grid point: the task is the fit a person would write for one (P, e, omega),
  // and joblet groups such small tasks into batches by itself. One task per (P, e) could solve
  // Kepler's equation once for every omega, but the benchmark workload this example shares
  // with its Python twin costs a full fit per point, and this reads simplest.
  const auto start = std::chrono::steady_clock::now();
  const std::vector<og::PointFit> fits = parallel.map(
      og::FitAtPoint{observations}, joblet::grid(axes.periods, axes.eccentricities, axes.omegas));
  const std::chrono::duration<double> wall = std::chrono::steady_clock::now() - start;
  std::cout << "sweep: " << fixed(wall.count(), 3) << " s wall, "
            << fixed(static_cast<double>(fits.size()) / wall.count(), 0) << " points/s\n\n";

  const og::BestFit best = og::best_fit(axes, fits);
  print_comparison(axes, best,
                   og::fit_point(*observations, kTruth.period, kTruth.eccentricity, kTruth.omega));
  og::write_svg(
      command_line.out,
      {.periods = axes.periods,
       .eccentricities = axes.eccentricities,
       .chi2 = og::min_over_omega(axes, fits),
       .truth = kTruth,
       .best = best.orbit,
       .best_chi2 = best.chi2,
       .title = "Radial-velocity orbit fit: χ² over period and eccentricity",
       .subtitle = std::to_string(axes.size()) + " grid points; each cell is the lowest " +
                   "χ² over " + std::to_string(axes.omegas.size()) + " values of ω"});
  std::cout << "chi2 map written to " << std::filesystem::absolute(command_line.out).string()
            << '\n';

  // The last line, so that a test reading "recovered: yes" knows that everything before worked.
  const bool recovered = og::within_one_step(axes, best.orbit, kTruth);
  std::cout << "recovered: "
            << (recovered ? "yes (the best fit is within one grid step of the truth)\n"
                          : "no (the best fit is more than one grid step from the truth)\n");
  return recovered ? EXIT_SUCCESS : EXIT_FAILURE;
}

}  // namespace

int main(int argc, char** argv) {
  joblet::init(argc, argv);  // before any thread: worker processes are copies of this program
  og::CommandLine command_line;
  try {
    const std::vector<std::string_view> arguments(argv + 1, argv + argc);
    command_line = og::parse_command_line(arguments);
  } catch (const og::UsageError& error) {
    std::cerr << "orbit_grid: " << error.what() << "\n\n" << og::usage();
    return kUsageError;
  }
  if (command_line.help) {
    std::cout << og::usage();
    return EXIT_SUCCESS;
  }

  try {
    return run(command_line);
  } catch (const std::invalid_argument& error) {
    // Options that joblet refuses are a usage error too: its message says what to write.
    std::cerr << "orbit_grid: " << error.what() << '\n';
    return kUsageError;
  } catch (const std::exception& error) {
    // A failed task arrives as a joblet::TaskError, whose message names the task and its call.
    std::cerr << "orbit_grid: " << error.what() << '\n';
    return EXIT_FAILURE;
  }
}
