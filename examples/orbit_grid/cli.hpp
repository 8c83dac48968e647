// orbit_grid's command line. (Named cli, not options, to keep apart from joblet::Options.)
#pragma once

#include <filesystem>
#include <joblet/options.hpp>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include "sweep.hpp"

namespace orbit_grid {

/// What the command line asked for.
struct CommandLine {
  int n_jobs = -1;
  joblet::Backend backend = joblet::Backend::automatic;
  GridShape grid{};
  bool progress = false;
  std::filesystem::path out = "orbit_grid.svg";
  std::filesystem::path checkpoint{};  ///< empty: no checkpoints
  std::filesystem::path trace{};       ///< empty: no trace
  bool help = false;
};

/// A flag or value the program does not accept; what() says what it does accept.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Reads the arguments after the program name; throws UsageError for anything it cannot use.
[[nodiscard]] CommandLine parse_command_line(std::span<const std::string_view> arguments);

/// The --help text.
[[nodiscard]] std::string usage();

}  // namespace orbit_grid
