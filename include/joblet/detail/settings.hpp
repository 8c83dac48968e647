// Options resolved against the environment, the Config scope and the defaults.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "../options.hpp"

namespace joblet::detail {

/// What one run needs to know, with every default applied and every value checked.
struct RunSettings {
  Backend backend = Backend::sequential;  ///< never automatic
  int requested_n_jobs = 1;               ///< as the user wrote it, for messages
  std::size_t workers = 1;                ///< effective n_jobs
  std::size_t batch_size = 0;             ///< 0 sizes batches automatically
  std::size_t window = 1;                 ///< batches handed out ahead
  ReturnAs return_as = ReturnAs::list;
  int verbose = 0;
  bool progress = false;
  std::function<void(const Progress&)> on_progress;
  std::optional<std::chrono::duration<double>> timeout;
  int inner_threads = 1;
  std::uint64_t seed = 0;
  std::filesystem::path trace_file;  ///< empty: no trace
  std::filesystem::path checkpoint;  ///< empty: no checkpoints
  std::vector<std::shared_ptr<Observer>> observers;
};

/// Applies the precedence environment > explicit options > Config scope > defaults, and
/// throws std::invalid_argument, with a sentence saying what to write instead, for bad values.
[[nodiscard]] RunSettings resolve_settings(const Options& options);

/// The settings a run started now on this thread uses: inside a task, a threads run
/// becomes sequential, so nested Parallel calls can never wait on the pool they run in.
[[nodiscard]] RunSettings settings_for_this_thread(const RunSettings& settings);

/// "Parallel(n_jobs=2)", as verbose lines are prefixed.
[[nodiscard]] std::string run_label(const RunSettings& settings);

}  // namespace joblet::detail
