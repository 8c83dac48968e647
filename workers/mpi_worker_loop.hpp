// The worker side under MPI: what every rank but 0 does instead of the user's program.
#pragma once

#include <mpi.h>

#include <string>

namespace joblet::detail {

/// Receives batches from rank 0, runs them and sends their results back, until rank 0 says it
/// is finishing. `name` ("rank 2 on node7") is how a crash of this rank is reported.
void serve_rank_zero(MPI_Comm communicator, const std::string& name);

}  // namespace joblet::detail
