// What the rest of joblet knows of MPI, in builds with and without MPI support.
#pragma once

#include <cstddef>
#include <string>

namespace joblet::detail {

/// init()'s MPI part. Under an MPI launcher: initialises MPI, checks that every rank runs the
/// same program, and on ranks other than 0 serves tasks and ends the process; returns on rank
/// 0, and everywhere when the program was not started by a launcher.
void start_mpi(int& argc, char**& argv);

/// The ranks that serve tasks to the calling thread: 0 unless this is rank 0 of an MPI job of
/// more than one rank that joblet::init started, and this the thread that called it.
[[nodiscard]] std::size_t mpi_worker_ranks() noexcept;

/// Ranks of the MPI job on this process's node, rank 0 included; 1 outside MPI.
[[nodiscard]] std::size_t mpi_ranks_on_this_node() noexcept;

/// Why Backend::mpi cannot run here, as the end of a sentence that says what to do instead.
[[nodiscard]] std::string mpi_unavailable_reason();

}  // namespace joblet::detail
