// joblet — init(argc, argv): the one line a program that uses processes or MPI needs.
#pragma once

namespace joblet {

/// Call it first thing in main, before the program starts any thread.
///
/// Starts the fork server that worker processes are forked from: every worker is a copy of the
/// program as it is now, and a copy made while another thread holds a lock (in malloc, in
/// iostreams, in your code) would inherit that lock held forever. Without init, the first
/// processes run starts the server, copying the program as it is then.
///
/// Under an MPI launcher (mpirun, mpiexec, srun) it also starts MPI, with
/// MPI_THREAD_FUNNELED: only this thread may run Backend::mpi. Whether the program runs under
/// a launcher is read from the environment the launchers set (OMPI_COMM_WORLD_SIZE,
/// PMI_SIZE, PMI_RANK, PMIX_RANK, SLURM_STEP_NUM_TASKS), so that a program started by hand
/// never pays for MPI's start-up; the number of ranks then comes from MPI_Comm_size. Every
/// rank must run the same executable: rank 0 checks, and aborts the job naming the ranks that
/// differ. On ranks other than 0, init never returns: the rank serves rank 0's tasks until
/// rank 0's program exits, then finalises MPI and exits with status 0. On rank 0 it returns;
/// MPI is finalised when the program exits, and an exception that escapes main (or any
/// std::terminate) aborts the whole job with a message, so no rank is left waiting. A
/// program that initialised MPI itself keeps its MPI; do not call MPI_Finalize then.
void init(int& argc, char**& argv);

}  // namespace joblet
