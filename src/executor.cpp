#include "joblet/detail/executor.hpp"

#include <stdexcept>
#include <string>

#include "backends/backends.hpp"

namespace joblet::detail {

std::unique_ptr<Executor> make_executor(const RunSettings& settings) {
  switch (settings.backend) {
    case Backend::sequential:
      return make_sequential_executor(settings);
    case Backend::threads:
      return make_threads_executor(settings);
    case Backend::processes:
      return make_processes_executor(settings);
    case Backend::mpi:
      return make_mpi_executor(settings);
    default:
      throw std::logic_error("joblet: no executor for backend " +
                             std::string(to_string(settings.backend)));
  }
}

}  // namespace joblet::detail
