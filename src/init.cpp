#include "joblet/init.hpp"

#include "mpi/world.hpp"
#include "processes/fork_server.hpp"

namespace joblet {

void init(int& argc, char**& argv) {
  // The fork server first: MPI starts threads of its own.
  (void)detail::ForkServer::instance();
  detail::start_mpi(argc, argv);
}

}  // namespace joblet
