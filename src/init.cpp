#include "joblet/init.hpp"

#include "processes/fork_server.hpp"

namespace joblet {

void init(int& /*argc*/, char**& /*argv*/) {
  (void)detail::ForkServer::instance();
}

}  // namespace joblet
