// Rank 0's dispatch throughput under Backend::mpi, beside what MPI itself costs on the same
// ranks: the ping-pong latency between rank 0 and rank 1, and a raw farm that sends one task
// per message to whichever rank is free. Run by compare_mpi.py as
//
//   mpirun -np 3 --oversubscribe mpi_dispatch [--tasks N] [--repeats R]
//
// Each measurement prints one line: "result <name> <value> <unit>".
#include <mpi.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "joblet/joblet.hpp"

namespace {

using Clock = std::chrono::steady_clock;

constexpr int kPingPongTag = 7;
constexpr int kFarmTag = 8;
constexpr int kFarmStop = -1;

int identity(int i) {
  return i;
}

void print(const std::string& name, double value, const char* unit) {
  std::printf("result %s %.6g %s\n", name.c_str(), value, unit);  // NOLINT(cert-err33-c)
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// One-way latency of a 1-byte message between rank 0 and rank 1, in microseconds.
double ping_pong(int rank, int round_trips) {
  char byte = 0;
  if (rank > 1) return 0;
  const int other = 1 - rank;
  const auto start = Clock::now();
  for (int i = 0; i < round_trips; ++i) {
    if (rank == 0) {
      MPI_Send(&byte, 1, MPI_CHAR, other, kPingPongTag, MPI_COMM_WORLD);
      MPI_Recv(&byte, 1, MPI_CHAR, other, kPingPongTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    } else {
      MPI_Recv(&byte, 1, MPI_CHAR, other, kPingPongTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      MPI_Send(&byte, 1, MPI_CHAR, other, kPingPongTag, MPI_COMM_WORLD);
    }
  }
  return seconds_since(start) * 1e6 / (2.0 * round_trips);
}

/// Tasks per second of a farm with no batching: each message carries one task (an int) and
/// each reply one result; a rank gets its next task when it answers.
double raw_farm(int rank, int size, int tasks) {
  if (rank != 0) {
    for (;;) {
      int task = 0;
      MPI_Recv(&task, 1, MPI_INT, 0, kFarmTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      if (task == kFarmStop) return 0;
      const int result = identity(task);
      MPI_Send(&result, 1, MPI_INT, 0, kFarmTag, MPI_COMM_WORLD);
    }
  }
  const auto start = Clock::now();
  int sent = 0;
  for (int worker = 1; worker < size && sent < tasks; ++worker, ++sent)
    MPI_Send(&sent, 1, MPI_INT, worker, kFarmTag, MPI_COMM_WORLD);
  for (int received = 0; received < tasks; ++received) {
    int result = 0;
    MPI_Status status;
    MPI_Recv(&result, 1, MPI_INT, MPI_ANY_SOURCE, kFarmTag, MPI_COMM_WORLD, &status);
    if (sent < tasks) {
      MPI_Send(&sent, 1, MPI_INT, status.MPI_SOURCE, kFarmTag, MPI_COMM_WORLD);
      ++sent;
    }
  }
  const double elapsed = seconds_since(start);
  for (int worker = 1; worker < size; ++worker)
    MPI_Send(&kFarmStop, 1, MPI_INT, worker, kFarmTag, MPI_COMM_WORLD);
  return tasks / elapsed;
}

/// Empty tasks per second through Backend::mpi.
double joblet_dispatch(const std::vector<decltype(joblet::delayed(identity, 0))>& tasks,
                       int batch_size) {
  const auto start = Clock::now();
  const auto results = joblet::Parallel(
      {.n_jobs = -1, .backend = joblet::Backend::mpi, .batch_size = batch_size})(tasks);
  const double elapsed = seconds_since(start);
  if (results.size() != tasks.size() ||
      results.back() != identity(static_cast<int>(tasks.size()) - 1)) {
    std::fprintf(stderr, "mpi_dispatch: wrong results\n");  // NOLINT(cert-err33-c)
    std::exit(1);                                           // NOLINT(concurrency-mt-unsafe)
  }
  return static_cast<double>(tasks.size()) / elapsed;
}

int flag_value(int argc, char** argv, std::string_view flag, int fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (argv[i] == flag) return std::atoi(argv[i + 1]);  // NOLINT(cert-err34-c): a bench flag
  }
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  // MPI's own figures come first, on MPI initialised here; joblet::init then takes this MPI
  // over and turns ranks 1 and up into its workers.
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  int rank = 0;
  int size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const int tasks = flag_value(argc, argv, "--tasks", 2'000'000);
  const int repeats = flag_value(argc, argv, "--repeats", 5);
  const int farm_tasks = flag_value(argc, argv, "--farm-tasks", 200'000);

  for (int r = 0; r < repeats; ++r) {
    const double latency = ping_pong(rank, 20'000);
    if (rank == 0) print("pingpong_one_way", latency, "us");
    MPI_Barrier(MPI_COMM_WORLD);
    const double farm = raw_farm(rank, size, farm_tasks);
    if (rank == 0) print("raw_farm_unbatched", farm, "tasks/s");
  }

  joblet::init(argc, argv);
  std::vector<decltype(joblet::delayed(identity, 0))> empty;
  empty.reserve(static_cast<std::size_t>(tasks));
  for (int i = 0; i < tasks; ++i)
    empty.push_back(joblet::delayed(identity, i));
  std::printf("workers %d\n", size - 1);  // NOLINT(cert-err33-c)
  for (int r = 0; r < repeats; ++r) {
    print("joblet_auto_batch", joblet_dispatch(empty, 0), "tasks/s");
    print("joblet_batch_10000", joblet_dispatch(empty, 10'000), "tasks/s");
    const std::vector one_by_one(empty.begin(), empty.begin() + farm_tasks / 4);
    print("joblet_batch_1", joblet_dispatch(one_by_one, 1), "tasks/s");
  }
  return 0;
}
