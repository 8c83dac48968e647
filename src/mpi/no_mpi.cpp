// A build without MPI support: Backend::mpi is refused, and init() starts no MPI.
#include <stdexcept>

#include "../backends/backends.hpp"
#include "world.hpp"

namespace joblet::detail {

void start_mpi(int& /*argc*/, char**& /*argv*/) {}

std::size_t mpi_worker_ranks() noexcept {
  return 0;
}

std::size_t mpi_ranks_on_this_node() noexcept {
  return 1;
}

std::string mpi_unavailable_reason() {
  return "MPI support was not built into this joblet (install MPI, e.g. Debian's openmpi-bin "
         "and libopenmpi-dev, and configure with -DJOBLET_MPI=ON); use the threads, processes "
         "or sequential backend";
}

std::unique_ptr<Executor> make_mpi_executor(const RunSettings& /*settings*/) {
  throw std::invalid_argument("joblet: backend mpi: " + mpi_unavailable_reason());
}

}  // namespace joblet::detail
