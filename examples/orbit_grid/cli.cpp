#include "cli.hpp"

#include <array>
#include <charconv>
#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace orbit_grid {

namespace {

constexpr std::string_view kNJobsAccepted =
    "a number of workers: 1, 2, ..., or -1 for all CPUs, -2 for all but one, and so on (not 0)";
constexpr std::string_view kBackendAccepted = "automatic, sequential, threads, processes or mpi";
constexpr std::string_view kGridAccepted =
    "three counts P,E,W: periods (at least 2), eccentricities and omegas (at least 1 each), "
    "e.g. 400,20,16";

constexpr std::array<std::pair<std::string_view, joblet::Backend>, 5> kBackends{{
    {"automatic", joblet::Backend::automatic},
    {"sequential", joblet::Backend::sequential},
    {"threads", joblet::Backend::threads},
    {"processes", joblet::Backend::processes},
    {"mpi", joblet::Backend::mpi},
}};

[[noreturn]] void reject(std::string_view flag, std::string_view value, std::string_view accepted) {
  throw UsageError(std::string(flag) + ": \"" + std::string(value) + "\" is not accepted; write " +
                   std::string(accepted));
}

template <class Integer>
std::optional<Integer> whole_number(std::string_view text) {
  Integer value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

int parse_n_jobs(std::string_view text) {
  const auto n_jobs = whole_number<int>(text);
  if (!n_jobs || *n_jobs == 0) reject("--n-jobs", text, kNJobsAccepted);
  return *n_jobs;
}

joblet::Backend parse_backend(std::string_view text) {
  for (const auto& [name, backend] : kBackends) {
    if (name == text) return backend;
  }
  reject("--backend", text, kBackendAccepted);
}

GridShape parse_grid(std::string_view text) {
  std::vector<std::size_t> counts;
  for (std::string_view rest = text;;) {
    const auto comma = rest.find(',');
    const auto count = whole_number<std::size_t>(rest.substr(0, comma));
    if (!count) reject("--grid", text, kGridAccepted);
    counts.push_back(*count);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  if (counts.size() != 3 || counts[0] < 2 || counts[1] < 1 || counts[2] < 1)
    reject("--grid", text, kGridAccepted);
  return {.periods = counts[0], .eccentricities = counts[1], .omegas = counts[2]};
}

}  // namespace

CommandLine parse_command_line(std::span<const std::string_view> arguments) {
  CommandLine command_line;
  for (std::size_t i = 0; i < arguments.size(); ++i) {
    std::string_view flag = arguments[i];
    // Both "--flag value" and "--flag=value" are accepted.
    std::optional<std::string_view> attached;
    if (const auto equals = flag.find('=');
        flag.starts_with("--") && equals != std::string_view::npos) {
      attached = flag.substr(equals + 1);
      flag = flag.substr(0, equals);
    }
    const auto value = [&]() -> std::string_view {
      if (attached) return *attached;
      if (i + 1 == arguments.size()) throw UsageError(std::string(flag) + " needs a value");
      return arguments[++i];
    };
    const auto no_value = [&] {
      if (attached) throw UsageError(std::string(flag) + " takes no value");
    };

    if (flag == "--n-jobs") {
      command_line.n_jobs = parse_n_jobs(value());
    } else if (flag == "--backend") {
      command_line.backend = parse_backend(value());
    } else if (flag == "--grid") {
      command_line.grid = parse_grid(value());
    } else if (flag == "--out") {
      command_line.out = value();
    } else if (flag == "--checkpoint") {
      command_line.checkpoint = value();
    } else if (flag == "--trace") {
      command_line.trace = value();
    } else if (flag == "--progress") {
      no_value();
      command_line.progress = true;
    } else if (flag == "--help" || flag == "-h") {
      no_value();
      command_line.help = true;
    } else {
      throw UsageError("unknown argument \"" + std::string(flag) + "\"");
    }
  }
  return command_line;
}

std::string usage() {
  return R"(usage: orbit_grid [--n-jobs N] [--backend NAME] [--grid P,E,W] [--progress] [--out FILE]
                  [--checkpoint DIR] [--trace FILE]

Fits a one-planet orbit to simulated radial velocities by a grid search over period,
eccentricity and argument of periastron (omega), and draws the chi2 map as SVG.

  --n-jobs N      workers: 1, 2, ..., or -1 for all CPUs, -2 for all but one, and so on
                  (not 0); default -1
  --backend NAME  automatic, sequential, threads, processes or mpi; default automatic
  --grid P,E,W    counts of periods (at least 2), eccentricities and omegas (at least 1
                  each); default 400,20,16
  --progress      show a progress bar on stderr
  --out FILE      where to write the chi2 map; default orbit_grid.svg
  --checkpoint DIR  keep each grid point's fit in DIR: run again after a stop, and only
                  the points not yet fitted are computed
  --trace FILE    write a timeline of the sweep (Chrome trace JSON, for ui.perfetto.dev)
  --help          show this text
)";
}

}  // namespace orbit_grid
