// init()'s MPI part, and the MPI job's life: initialised only under a launcher, every rank
// checked to run the same executable, ranks other than 0 turned into workers, MPI finalised
// when rank 0's program exits, and the whole job aborted when rank 0 dies of an exception.
#include "runtime.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <thread>
#include <vector>

#include "../../workers/mpi_worker_loop.hpp"
#include "binary_identity.hpp"
#include "joblet/detail/type_name.hpp"
#include "world.hpp"

namespace joblet::detail {
namespace {

struct MpiJob {
  MPI_Comm communicator = MPI_COMM_NULL;
  int rank = 0;
  int size = 1;
  int ranks_on_node = 1;
  std::thread::id thread;
  std::string host;
  std::vector<RankIdentity> ranks;  // on rank 0: what each rank said about itself
};

// Built before the atexit handler is registered, so destroyed only after it ran.
MpiJob& job() {
  static MpiJob state;
  return state;
}

/// Whether an MPI launcher (mpirun, mpiexec, srun) started this process. MPI_Init in a
/// program started by hand would make it a singleton MPI job, which with OpenMPI starts a
/// daemon and takes a good part of a second: that cost is for programs that asked for MPI.
bool started_by_launcher() {
  constexpr std::array kLaunchers{"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMI_RANK", "PMIX_RANK",
                                  "SLURM_STEP_NUM_TASKS"};
  return std::ranges::any_of(kLaunchers, [](const char* variable) {
    return std::getenv(variable) != nullptr;  // NOLINT(concurrency-mt-unsafe): read only
  });
}

/// An MPI failure during start-up or shutdown, where no exception can help: say it and end.
void require(int code, const char* call) {
  if (code == MPI_SUCCESS) return;
  (void)std::fprintf(stderr, "joblet: %s failed: %s\n", call, mpi_error_text(code).c_str());
  MPI_Abort(MPI_COMM_WORLD, 1);
}

std::string host_name() {
  std::array<char, HOST_NAME_MAX + 1> name{};
  if (gethostname(name.data(), name.size() - 1) != 0) return "an unnamed host";
  return name.data();
}

/// Every rank's executable and host, gathered at rank 0.
std::vector<RankIdentity> gather_identities(const MpiJob& mpi) {
  constexpr std::size_t kField = 256;
  std::array<char, 2 * kField> mine{};
  const std::string executable = executable_fingerprint();
  executable.copy(mine.data(), kField - 1);
  mpi.host.copy(mine.data() + kField, kField - 1);
  std::vector<char> all(mpi.rank == 0 ? mine.size() * static_cast<std::size_t>(mpi.size) : 0);
  require(MPI_Gather(mine.data(), static_cast<int>(mine.size()), MPI_CHAR, all.data(),
                     static_cast<int>(mine.size()), MPI_CHAR, 0, mpi.communicator),
          "MPI_Gather");
  std::vector<RankIdentity> ranks;
  for (std::size_t at = 0; at < all.size(); at += mine.size())
    ranks.push_back({std::string(all.data() + at), std::string(all.data() + at + kField)});
  return ranks;
}

int ranks_on_this_node(MPI_Comm communicator) {
  MPI_Comm node = MPI_COMM_NULL;
  require(MPI_Comm_split_type(communicator, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node),
          "MPI_Comm_split_type");
  int size = 1;
  MPI_Comm_size(node, &size);
  MPI_Comm_free(&node);
  return size;
}

/// Rank 0's program is over: release the workers, then finalise.
void finish_job() {
  MpiJob& mpi = job();
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized != 0) return;
  for (int rank = 1; rank < mpi.size; ++rank)
    MPI_Send(nullptr, 0, MPI_BYTE, rank, kShutdownTag, mpi.communicator);
  MPI_Comm_free(&mpi.communicator);
  MPI_Finalize();
}

/// An uncaught exception on any rank would leave the others waiting for it forever: abort
/// the whole job instead, saying why.
[[noreturn]] void abort_job() noexcept {
  std::string why = "std::terminate was called";
  if (std::current_exception()) {
    try {
      const auto [type, message] = describe_current_exception();
      why = "uncaught exception " + type + (message.empty() ? "" : ": " + message);
    } catch (...) {  // NOLINT(bugprone-empty-catch): the generic reason stands
    }
  }
  (void)std::fprintf(stderr, "joblet: %s ends: %s; aborting the MPI job\n",
                     rank_name(job().rank).c_str(), why.c_str());
  (void)std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, 1);
  std::abort();
}

}  // namespace

MPI_Comm mpi_communicator() noexcept {
  return job().communicator;
}

bool on_mpi_thread() noexcept {
  return job().thread == std::this_thread::get_id();
}

std::string rank_name(int rank) {
  const MpiJob& mpi = job();
  std::string name = "rank " + std::to_string(rank);
  if (rank == mpi.rank) return name + " on " + mpi.host;
  if (static_cast<std::size_t>(rank) < mpi.ranks.size())
    name += " on " + mpi.ranks[static_cast<std::size_t>(rank)].host;
  return name;
}

std::string mpi_error_text(int code) {
  std::array<char, MPI_MAX_ERROR_STRING> text{};
  int length = 0;
  if (MPI_Error_string(code, text.data(), &length) != MPI_SUCCESS) {
    return "MPI error " + std::to_string(code);
  }
  return {text.data(), static_cast<std::size_t>(length)};
}

void start_mpi(int& argc, char**& argv) {
  if (!started_by_launcher()) return;
  MpiJob& mpi = job();
  if (mpi.communicator != MPI_COMM_NULL) return;  // init() called twice
  int initialized = 0;
  MPI_Initialized(&initialized);
  // A program that initialised MPI itself keeps its thread level; joblet calls MPI only from
  // this thread.
  if (initialized == 0) {
    int provided = 0;
    require(MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  }
  require(MPI_Comm_dup(MPI_COMM_WORLD, &mpi.communicator), "MPI_Comm_dup");
  MPI_Comm_set_errhandler(mpi.communicator, MPI_ERRORS_RETURN);
  MPI_Comm_rank(mpi.communicator, &mpi.rank);
  MPI_Comm_size(mpi.communicator, &mpi.size);
  mpi.ranks_on_node = ranks_on_this_node(mpi.communicator);
  mpi.thread = std::this_thread::get_id();
  mpi.host = host_name();
  mpi.ranks = gather_identities(mpi);
  std::set_terminate(abort_job);
  if (mpi.rank == 0) {
    if (const auto mismatch = different_executables(mpi.ranks)) {
      (void)std::fprintf(stderr, "%s\n", mismatch->c_str());
      (void)std::fflush(stderr);
      MPI_Abort(MPI_COMM_WORLD, 1);
    }
    (void)std::atexit(finish_job);
    return;
  }
  serve_rank_zero(mpi.communicator, rank_name(mpi.rank));
  MPI_Comm_free(&mpi.communicator);
  MPI_Finalize();
  std::exit(0);  // NOLINT(concurrency-mt-unsafe): this rank never returns to the program
}

std::size_t mpi_worker_ranks() noexcept {
  const MpiJob& mpi = job();
  if (mpi.communicator == MPI_COMM_NULL || mpi.rank != 0 || !on_mpi_thread()) return 0;
  return static_cast<std::size_t>(mpi.size - 1);
}

std::size_t mpi_ranks_on_this_node() noexcept {
  return static_cast<std::size_t>(job().ranks_on_node);
}

std::string mpi_unavailable_reason() {
  const MpiJob& mpi = job();
  if (mpi.communicator != MPI_COMM_NULL && mpi.size > 1) {
    return "only the thread that called joblet::init may use MPI (it is initialised with "
           "MPI_THREAD_FUNNELED); start this Parallel from that thread, or give it "
           "Backend::threads";
  }
  if (mpi.communicator != MPI_COMM_NULL) {
    return "this MPI job has a single rank, so no rank could run tasks; start it with more, "
           "e.g. mpirun -np 4 ./program, or use the threads, processes or sequential backend";
  }
  return "the program was not started by mpirun, mpiexec or srun (or joblet::init(argc, argv) "
         "was not called first in main); start it as mpirun -np 4 ./program, or use the "
         "threads, processes or sequential backend";
}

}  // namespace joblet::detail
