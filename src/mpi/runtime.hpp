// The MPI job as joblet set it up in init(): its communicator, its ranks, and the one thread
// that may call MPI.
#pragma once

#include <mpi.h>

#include <string>

namespace joblet::detail {

/// Tags of joblet's messages between rank 0 and the ranks that serve it.
enum MpiTag : int {
  kFramesTag = 1,    ///< one frame (frames.hpp), either way
  kShutdownTag = 2,  ///< rank 0 is finishing: serve no more
};

/// MPI_COMM_WORLD duplicated for joblet's messages, with errors returned rather than fatal.
[[nodiscard]] MPI_Comm mpi_communicator() noexcept;

/// Whether the calling thread initialised MPI: MPI_THREAD_FUNNELED lets no other call it.
[[nodiscard]] bool on_mpi_thread() noexcept;

/// "rank 2 on node7", for messages.
[[nodiscard]] std::string rank_name(int rank);

/// MPI's text for an error code.
[[nodiscard]] std::string mpi_error_text(int code);

}  // namespace joblet::detail
