#include "joblet/parallel.hpp"

namespace joblet {

Parallel::Parallel() : Parallel(Options{}) {}

Parallel::Parallel(int n_jobs) : Parallel(Options{.n_jobs = n_jobs}) {}

Parallel::Parallel(const Options& options) : settings_(detail::resolve_settings(options)) {}

}  // namespace joblet
