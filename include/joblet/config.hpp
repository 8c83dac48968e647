// joblet — Config: scoped defaults for every Parallel on this thread (joblib's parallel_config).
#pragma once

#include <optional>

#include "options.hpp"

namespace joblet {

/// Sets defaults for every Parallel constructed on this thread while it lives, so library code
/// that calls `joblet::Parallel()` runs the way its caller chose. Options set explicitly win
/// over it; the environment (JOBLET_N_JOBS, ...) wins over both. Scopes nest: an inner Config
/// keeps the outer values it does not set. Destroy scopes in reverse order of construction on
/// the thread that made them (declare them as local variables).
///
///     joblet::Config scope({.n_jobs = -1, .backend = joblet::Backend::threads});
///     library::fit_everything();   // its Parallel() uses all CPUs on threads
class Config {
 public:
  /// The values a scope sets; unset ones are inherited from the enclosing scope.
  struct Values {
    std::optional<int> n_jobs{};
    std::optional<Backend> backend{};
    std::optional<int> verbose{};
    std::optional<int> inner_threads{};
  };

  explicit Config(const Values& values);
  ~Config();
  Config(const Config&) = delete;
  Config& operator=(const Config&) = delete;
  Config(Config&&) = delete;
  Config& operator=(Config&&) = delete;

  /// The values in effect on this thread: all enclosing scopes merged.
  [[nodiscard]] static Values current();

 private:
  Values previous_;
};

}  // namespace joblet
