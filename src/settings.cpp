#include "joblet/detail/settings.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <utility>

#include "joblet/config.hpp"
#include "joblet/cpu_count.hpp"
#include "joblet/detail/task_context.hpp"
#include "mpi/world.hpp"

namespace joblet {

std::string_view to_string(Backend backend) noexcept {
  switch (backend) {
    case Backend::automatic:
      return "automatic";
    case Backend::sequential:
      return "sequential";
    case Backend::threads:
      return "threads";
    case Backend::processes:
      return "processes";
    case Backend::mpi:
      return "mpi";
  }
  return "unknown";
}

namespace detail {
namespace {

constexpr std::array kBackends{Backend::automatic, Backend::sequential, Backend::threads,
                               Backend::processes, Backend::mpi};

/// A value and where it came from, for messages.
template <class T>
struct Setting {
  T value;
  std::string origin;

  void override_with(const std::optional<T>& candidate, std::string candidate_origin) {
    if (candidate) {
      value = *candidate;
      origin = std::move(candidate_origin);
    }
  }
};

std::optional<std::string> environment(const char* name) {
  const char* value = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): read-only use
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

std::optional<int> integer_from_environment(const char* name, const char* example) {
  const auto text = environment(name);
  if (!text) return std::nullopt;
  int value = 0;
  const auto* end = text->data() + text->size();
  const auto [stop, error] = std::from_chars(text->data(), end, value);
  if (error != std::errc() || stop != end) {
    throw std::invalid_argument("joblet: " + std::string(name) + "=\"" + *text +
                                "\" is not a whole number; write for example " + example);
  }
  return value;
}

std::optional<Backend> backend_from_environment() {
  const auto text = environment("JOBLET_BACKEND");
  if (!text) return std::nullopt;
  for (const Backend backend : kBackends) {
    if (*text == to_string(backend)) return backend;
  }
  throw std::invalid_argument("joblet: JOBLET_BACKEND=\"" + *text +
                              "\" is not a backend; write one of automatic, sequential, "
                              "threads, processes, mpi");
}

std::size_t workers_for(const Setting<int>& n_jobs) {
  const int cpus = cpu_count();
  const std::string said =
      "n_jobs = " + std::to_string(n_jobs.value) + " (from " + n_jobs.origin + ")";
  if (n_jobs.value == 0) {
    throw std::invalid_argument("joblet: " + said +
                                " means no workers at all; write 1 to run inline, -1 to use all " +
                                std::to_string(cpus) + " CPUs, or a positive number of workers");
  }
  if (n_jobs.value > 0) return static_cast<std::size_t>(n_jobs.value);
  if (n_jobs.value < -cpus) {
    throw std::invalid_argument("joblet: " + said + " asks for all CPUs but " +
                                std::to_string(-n_jobs.value - 1) + ", and this process may use " +
                                std::to_string(cpus) + "; write a value from -" +
                                std::to_string(cpus) + " to -1, or a positive number of workers");
  }
  const int all_but = cpus + 1 + n_jobs.value;
  return static_cast<std::size_t>(all_but);
}

void check_not_negative(int value, const char* name, const char* meaning_of_zero) {
  if (value < 0) {
    throw std::invalid_argument("joblet: Options::" + std::string(name) + " = " +
                                std::to_string(value) + " cannot be negative; write 0 for " +
                                meaning_of_zero + ", or a positive number");
  }
}

}  // namespace

RunSettings resolve_settings(const Options& options) {
  const Config::Values scope = Config::current();
  const auto env_n_jobs = integer_from_environment("JOBLET_N_JOBS", "JOBLET_N_JOBS=1 or -1");
  const auto env_backend = backend_from_environment();
  const auto env_verbose = integer_from_environment("JOBLET_VERBOSE", "JOBLET_VERBOSE=10");

  Setting<int> n_jobs{1, "the default"};
  n_jobs.override_with(scope.n_jobs, "joblet::Config");
  n_jobs.override_with(options.n_jobs, "Options::n_jobs");
  n_jobs.override_with(env_n_jobs, "JOBLET_N_JOBS");

  Setting<Backend> backend{Backend::automatic, "the default"};
  backend.override_with(scope.backend, "joblet::Config");
  backend.override_with(options.backend, "Options::backend");
  // JOBLET_N_JOBS=1 promises every Parallel runs inline, whatever the code asks for.
  if (env_n_jobs == 1) backend.override_with(Backend::sequential, "JOBLET_N_JOBS=1");
  backend.override_with(env_backend, "JOBLET_BACKEND");

  RunSettings settings;
  settings.requested_n_jobs = n_jobs.value;
  settings.workers = workers_for(n_jobs);

  switch (backend.value) {
    case Backend::automatic:
      // Under mpirun every rank but 0 waits for tasks: n_jobs = -1 on a one-CPU rank still
      // means them. Only n_jobs = 1 keeps its promise to run inline.
      if (mpi_worker_ranks() > 0 && n_jobs.value != 1) {
        settings.backend = Backend::mpi;
      } else {
        settings.backend = settings.workers == 1 ? Backend::sequential : Backend::threads;
      }
      break;
    case Backend::sequential:
    case Backend::threads:
    case Backend::processes:
      settings.backend = backend.value;
      break;
    case Backend::mpi:
      if (mpi_worker_ranks() == 0) {
        throw std::invalid_argument("joblet: backend mpi (from " + backend.origin +
                                    ") cannot run: " + mpi_unavailable_reason());
      }
      settings.backend = Backend::mpi;
      break;
  }
  if (settings.backend == Backend::sequential) settings.workers = 1;
  // Under MPI, n_jobs does not choose the workers: mpirun did, one per rank but 0.
  if (settings.backend == Backend::mpi) settings.workers = mpi_worker_ranks();

  check_not_negative(options.batch_size, "batch_size", "automatic batching");
  check_not_negative(options.pre_dispatch, "pre_dispatch", "two batches per worker");
  check_not_negative(options.inner_threads, "inner_threads", "cpu_count() / n_jobs");
  if (options.timeout && settings.backend == Backend::mpi) {
    throw std::invalid_argument(
        "joblet: Options::timeout cannot be kept by the mpi backend: a rank running a task "
        "cannot be stopped without ending the whole MPI job; leave the timeout unset (and "
        "bound the task's own work), or run the sweep on one node with Backend::processes, "
        "which kills a task at its timeout");
  }
  if (options.timeout && options.timeout->count() <= 0) {
    throw std::invalid_argument(
        "joblet: Options::timeout = " + std::to_string(options.timeout->count()) +
        " s must be positive; leave it unset for no limit");
  }

  settings.batch_size = static_cast<std::size_t>(options.batch_size);
  settings.window = settings.backend == Backend::sequential ? 1
                    : options.pre_dispatch > 0 ? static_cast<std::size_t>(options.pre_dispatch)
                                               : 2 * settings.workers;
  settings.return_as = options.return_as;

  Setting<int> verbose{0, "the default"};
  verbose.override_with(scope.verbose, "joblet::Config");
  verbose.override_with(options.verbose, "Options::verbose");
  verbose.override_with(env_verbose, "JOBLET_VERBOSE");
  settings.verbose = std::max(verbose.value, 0);

  settings.progress = options.progress;
  settings.on_progress = options.on_progress;
  settings.timeout = options.timeout;
  const int inner =
      options.inner_threads > 0 ? options.inner_threads : scope.inner_threads.value_or(0);
  // A rank's tasks share its node's CPUs with the other ranks there, not with rank 0's
  // workers: the node's share is all that rank 0 knows of.
  const std::size_t sharing =
      settings.backend == Backend::mpi ? mpi_ranks_on_this_node() : settings.workers;
  settings.inner_threads = inner > 0 ? inner : std::max(1, cpu_count() / static_cast<int>(sharing));
  settings.seed = options.seed;
  settings.trace_file = environment("JOBLET_TRACE").value_or(options.trace_file.string());
  settings.checkpoint = options.checkpoint;
  settings.observers = options.observers;
  return settings;
}

RunSettings settings_for_this_thread(const RunSettings& settings) {
  const TaskContext* task = current_task();
  if (task == nullptr) return settings;
  RunSettings nested = settings;
  // The task's own slice in the outer run's trace covers a nested run.
  nested.trace_file.clear();
  if (settings.backend == Backend::sequential) return nested;
  nested.backend = Backend::sequential;
  nested.workers = 1;
  nested.window = 1;
  nested.inner_threads = task->inner_threads;
  return nested;
}

std::string run_label(const RunSettings& settings) {
  return "Parallel(n_jobs=" + std::to_string(settings.requested_n_jobs) + ")";
}

}  // namespace detail
}  // namespace joblet
