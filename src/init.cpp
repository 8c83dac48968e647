#include "joblet/init.hpp"

#include "joblet/cpu_count.hpp"
#include "mpi/world.hpp"
#include "processes/fork_server.hpp"

namespace joblet {

void init(int& argc, char**& argv) {
  // Counted before the fork server exists, once for the program, the server and the workers:
  // the first call counts them otherwise, and after the fork every page that counting writes
  // is a copy-on-write fault (it took 1.4 ms of a fresh program's first processes result).
  (void)cpu_count();
  // The fork server first: MPI starts threads of its own.
  (void)detail::ForkServer::instance();
  detail::start_mpi(argc, argv);
}

}  // namespace joblet
