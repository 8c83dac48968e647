// joblet — Options: how a Parallel runs its tasks.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

namespace joblet {

class Observer;

/// Where tasks run.
enum class Backend {
  automatic,   ///< mpi under mpirun with several ranks, sequential for n_jobs = 1, else threads
  sequential,  ///< inline in the calling thread, in order; starts no thread
  threads,     ///< a thread pool shared by every Parallel in the program
  processes,   ///< forked worker processes; tasks travel as bytes
  mpi,         ///< the ranks of an MPI job
};

/// The name used in messages and accepted by JOBLET_BACKEND: "threads", "sequential", ...
std::string_view to_string(Backend backend) noexcept;

/// How Parallel::imap hands results back.
enum class ReturnAs {
  list,                 ///< operator() collects all results into a std::vector (the default)
  generator,            ///< imap yields in submission order, each as soon as it is done
  generator_unordered,  ///< imap yields in completion order, each with its task index
};

/// Where a run stands; Options::on_progress receives it after each finished task.
struct Progress {
  std::size_t done = 0;                     ///< tasks finished so far
  std::optional<std::size_t> total{};       ///< tasks in the run, once the input is known
  std::chrono::duration<double> elapsed{};  ///< since the run started
};

/// Everything a Parallel can be told. Unset fields come from the innermost joblet::Config
/// scope, then from the defaults. The environment overrides everything:
/// JOBLET_N_JOBS, JOBLET_BACKEND, JOBLET_VERBOSE and JOBLET_TRACE win over the values written here,
/// so a program is debugged inline (JOBLET_N_JOBS=1) without recompiling.
///
///     joblet::Parallel({.n_jobs = 4, .backend = joblet::Backend::threads, .progress = true})
struct Options {
  /// Workers: 1 runs inline; -1 all CPUs (cpu_count()); -2 all but one, and so on.
  /// 0, and values below -cpu_count(), are std::invalid_argument. Default 1.
  std::optional<int> n_jobs{};
  /// Default Backend::automatic.
  std::optional<Backend> backend{};
  /// Tasks handed to a worker at a time; 0 sizes batches from measured task times.
  int batch_size = 0;
  /// Batches handed out ahead of the workers; 0 means 2 per worker. The input range is read
  /// no further ahead than this, so a lazy range of any length runs in bounded memory.
  int pre_dispatch = 0;
  /// What Parallel::imap yields; operator() needs the default, list.
  ReturnAs return_as = ReturnAs::list;
  /// 0 is quiet; 1 to 10 print joblib-style "Done ... | elapsed" lines on stderr, more
  /// as it grows; above 10, a line per finished batch.
  std::optional<int> verbose{};
  /// A progress bar with count, percent, rate and ETA on stderr: one updating line on a
  /// terminal, a line at every tenth of the run otherwise.
  bool progress = false;
  /// Called in the calling thread once per finished task, on every backend (n_jobs = 1
  /// included). Tasks finish in batches, so calls come in bursts of a batch.
  std::function<void(const Progress&)> on_progress{};
  /// Per task, measured from the task's start. A task that runs longer is a TaskTimeout.
  /// Must be positive. The threads backend cannot stop a running thread: the call returns
  /// (or moves on, under try_run) and the thread finishes the task in the background.
  std::optional<std::chrono::duration<double>> timeout{};
  /// Threads that kernels inside a task may use; 0 means cpu_count() / workers (at least 1).
  int inner_threads = 0;
  /// Seed of task_seed() / task_rng(): the same numbers for every backend and n_jobs.
  std::uint64_t seed = 0;
  /// Where to write a timeline of the run (Chrome trace-event JSON, for Perfetto or
  /// chrome://tracing): a lane per worker, a slice per task, batch and kernel call. Empty: no
  /// trace. JOBLET_TRACE=trace.json sets it without recompiling. The file is rewritten at the
  /// end of each traced run with every traced run of the program so far.
  std::filesystem::path trace_file{};
  /// A directory where each finished task's result is kept, under a key made of the task's
  /// bytes (its function and arguments): a run that finds a task's result there does not run
  /// the task again, so a sweep stopped half-way resumes where it was. Tasks must be
  /// serializable, as for Backend::processes. Empty: no checkpoints.
  std::filesystem::path checkpoint{};
  /// Called as the run goes, in the calling thread (see Observer).
  std::vector<std::shared_ptr<Observer>> observers{};
};

}  // namespace joblet
