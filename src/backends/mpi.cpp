// Backend::mpi, rank 0's side: batches go to the other ranks as frames, at most two per rank
// at a time, and a rank gets its next batch when it sends one back, so uneven tasks stay
// balanced. Only the thread that called joblet::init talks to MPI (MPI_THREAD_FUNNELED).
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <deque>
#include <set>
#include <thread>
#include <vector>

#include "../mpi/runtime.hpp"
#include "../mpi/world.hpp"
#include "../processes/process_pool.hpp"
#include "../transport/batch_messages.hpp"
#include "backends.hpp"
#include "joblet/errors.hpp"

namespace joblet::detail {
namespace {

constexpr std::array kFromWorker{FrameType::batch_done, FrameType::worker_error};
/// A rank holds its next batch while it runs one, so it never waits for rank 0 between them.
constexpr std::size_t kBatchesPerRank = 2;
/// Polling MPI while a deadline is set: from this pause, doubling up to the longest.
constexpr std::chrono::microseconds kFirstPause{20};
constexpr std::chrono::microseconds kLongestPause{1000};

struct Job {
  std::shared_ptr<BatchBase> batch;
  SettledTasks settled;  // stays empty: a rank that dies ends the job
  Bytes request;
  std::vector<std::uint64_t> shared;
  MPI_Request sending = MPI_REQUEST_NULL;
};

struct Rank {
  explicit Rank(int rank) : number(rank), name(rank_name(rank)) {}

  int number;
  std::string name;
  FrameReader frames{kFromWorker};
  std::deque<std::unique_ptr<Job>> jobs;  // sent, in the order the rank runs them
  std::set<std::uint64_t> shared_sent;
  Clock::time_point idle_since;  // when it started its current batch
};

class MpiExecutor final : public Executor {
 public:
  explicit MpiExecutor(RunSettings settings)
      : settings_(std::move(settings)), communicator_(mpi_communicator()) {
    if (running_) {
      throw Error(
          "joblet: Backend::mpi runs one Parallel at a time, and another one (an imap "
          "generator, say) is still running; finish or destroy it first, or give this one "
          "Backend::threads");
    }
    running_ = true;
    for (std::size_t rank = 1; rank <= mpi_worker_ranks(); ++rank)
      ranks_.push_back(std::make_unique<Rank>(static_cast<int>(rank)));
  }

  MpiExecutor(const MpiExecutor&) = delete;
  MpiExecutor& operator=(const MpiExecutor&) = delete;
  MpiExecutor(MpiExecutor&&) = delete;
  MpiExecutor& operator=(MpiExecutor&&) = delete;

  // NOLINTNEXTLINE(bugprone-exception-escape): only bad_alloc can escape, and it ends the program
  ~MpiExecutor() override {
    // Replies still on their way would be read by the next run as its own.
    while (
        std::any_of(ranks_.begin(), ranks_.end(), [](const auto& r) { return !r->jobs.empty(); }))
      receive(probe());
    check(MPI_Waitall(static_cast<int>(shared_sending_.size()), shared_sending_.data(),
                      MPI_STATUSES_IGNORE),
          nullptr);
    Bytes end_of_run;
    finish_frame(end_of_run, begin_frame(end_of_run, FrameType::end_of_run));
    for (const auto& rank : ranks_) {
      if (rank->shared_sent.empty()) continue;  // nothing to forget
      check(MPI_Send(end_of_run.data(), static_cast<int>(end_of_run.size()), MPI_BYTE, rank->number,
                     kFramesTag, communicator_),
            rank.get());
    }
    running_ = false;
  }

  void submit(std::shared_ptr<BatchBase> batch) override {
    auto job = std::make_unique<Job>();
    job->batch = std::move(batch);
    encode_batch_request(*job->batch, job->settled, settings_, shared_frames_, job->shared,
                         job->request);
    if (stopped_) {
      completed_.push_back(std::move(job->batch));
      return;
    }
    if (Rank* rank = least_busy_rank()) {
      dispatch(*rank, std::move(job));
    } else {
      pending_.push_back(std::move(job));
    }
  }

  std::shared_ptr<BatchBase> wait(std::optional<Clock::time_point> deadline) override {
    while (completed_.empty() && !problem_) {
      if (pending_.empty() && std::all_of(ranks_.begin(), ranks_.end(),
                                          [](const auto& rank) { return rank->jobs.empty(); })) {
        return nullptr;
      }
      if (!deadline) {
        receive(probe());
        continue;
      }
      const auto message = probe_until(*deadline);
      if (!message) return nullptr;
      receive(*message);
    }
    if (problem_) {
      stop();
      std::rethrow_exception(std::exchange(problem_, nullptr));
    }
    auto batch = std::move(completed_.front());
    completed_.pop_front();
    return batch;
  }

  void stop() override {
    if (stopped_) return;
    stopped_ = true;
    for (auto& job : pending_)
      completed_.push_back(std::move(job->batch));
    pending_.clear();
  }

  // Timeouts are refused under MPI (settings.cpp): no batch ever outlives its deadline here.
  bool abandon(BatchBase& /*batch*/) override { return false; }

 private:
  Rank* least_busy_rank() {
    Rank* best = nullptr;
    for (auto& rank : ranks_) {
      if (rank->jobs.size() < kBatchesPerRank && (!best || rank->jobs.size() < best->jobs.size()))
        best = rank.get();
    }
    return best;
  }

  // NOLINTBEGIN(clang-analyzer-optin.mpi.MPI-Checker): the requests are waited for in take()
  // and in the destructor, which it cannot follow
  void dispatch(Rank& rank, std::unique_ptr<Job> job) {
    std::uint64_t bytes = 0;
    for (const std::uint64_t id : job->shared) {
      if (!rank.shared_sent.insert(id).second) continue;
      const Bytes& frame = shared_frames_.at(id).frame;
      shared_sending_.push_back(MPI_REQUEST_NULL);
      check(MPI_Isend(frame.data(), static_cast<int>(frame.size()), MPI_BYTE, rank.number,
                      kFramesTag, communicator_, &shared_sending_.back()),
            &rank);
      bytes += frame.size();
      transport_counters().shared_values_sent.fetch_add(1, std::memory_order_relaxed);
    }
    check(MPI_Isend(job->request.data(), static_cast<int>(job->request.size()), MPI_BYTE,
                    rank.number, kFramesTag, communicator_, &job->sending),
          &rank);
    bytes += job->request.size();
    transport_counters().bytes_to_workers.fetch_add(bytes, std::memory_order_relaxed);
    job->batch->worker = rank.name;
    if (rank.jobs.empty()) rank.idle_since = Clock::now();
    rank.jobs.push_back(std::move(job));
  }
  // NOLINTEND(clang-analyzer-optin.mpi.MPI-Checker)

  MPI_Status probe() {
    MPI_Status status;
    check(MPI_Probe(MPI_ANY_SOURCE, kFramesTag, communicator_, &status), nullptr);
    return status;
  }

  /// A message that arrived by `deadline`. MPI has no probe with a time limit: poll, pausing
  /// a little longer each time so that an idle rank 0 leaves the CPU to the ranks.
  std::optional<MPI_Status> probe_until(Clock::time_point deadline) {
    auto pause = kFirstPause;
    for (;;) {
      int arrived = 0;
      MPI_Status status;
      check(MPI_Iprobe(MPI_ANY_SOURCE, kFramesTag, communicator_, &arrived, &status), nullptr);
      if (arrived != 0) return status;
      const auto now = Clock::now();
      if (now >= deadline) return std::nullopt;
      std::this_thread::sleep_for(std::min<Clock::duration>(pause, deadline - now));
      pause = std::min(2 * pause, kLongestPause);
    }
  }

  void receive(const MPI_Status& status) {
    Rank& rank = *ranks_.at(static_cast<std::size_t>(status.MPI_SOURCE - 1));
    int bytes = 0;
    MPI_Get_count(&status, MPI_BYTE, &bytes);
    const auto space = rank.frames.space(static_cast<std::size_t>(bytes));
    check(MPI_Recv(space.data(), bytes, MPI_BYTE, rank.number, kFramesTag, communicator_,
                   MPI_STATUS_IGNORE),
          &rank);
    rank.frames.commit(static_cast<std::size_t>(bytes));
    try {
      take_frames(rank);
    } catch (const std::exception& malformed) {
      problem_ = std::make_exception_ptr(
          Error(std::string(malformed.what()) + " (from " + rank.name + ")"));
      // The rank's stream of frames cannot be trusted any more: drop what it still owes.
      for (auto& job : rank.jobs)
        completed_.push_back(std::move(job->batch));
      rank.jobs.clear();
    }
  }

  void take_frames(Rank& rank) {
    for (;;) {
      const std::optional<Frame> frame = rank.frames.next();
      if (!frame) return;
      take(rank, *frame);
    }
  }

  void take(Rank& rank, const Frame& frame) {
    if (rank.jobs.empty()) throw MalformedFrame("joblet: malformed message: results for no batch");
    std::unique_ptr<Job> job = std::move(rank.jobs.front());
    rank.jobs.pop_front();
    // The rank has read the request, since it answered it: this only releases the request.
    // NOLINTNEXTLINE(clang-analyzer-optin.mpi.MPI-Checker): its MPI_Isend is in dispatch()
    check(MPI_Wait(&job->sending, MPI_STATUS_IGNORE), &rank);
    BatchBase& batch = *job->batch;
    if (frame.type == FrameType::worker_error) {
      problem_ = batch_refused(frame.payload, &batch, rank.name);
    } else {
      read_batch_done(frame.payload, batch, job->settled);
    }
    // The batch ran from when the rank finished the one before it, or from when it was sent.
    const auto now = Clock::now();
    batch.run_time = now - rank.idle_since;
    rank.idle_since = now;
    completed_.push_back(std::move(job->batch));
    if (!stopped_ && !pending_.empty()) {
      auto next = std::move(pending_.front());
      pending_.pop_front();
      dispatch(rank, std::move(next));
    }
  }

  /// MPI returns errors instead of ending the job (MPI_ERRORS_RETURN); but a rank that failed
  /// takes the job with it anyway (MPI's rule), so say which rank and tasks, then abort.
  static void check(int code, const Rank* rank) {
    if (code == MPI_SUCCESS) return;
    std::string where = rank ? " talking to " + rank->name : "";
    if (rank && !rank->jobs.empty()) {
      const BatchBase& batch = *rank->jobs.front()->batch;
      where += " (running tasks " + std::to_string(batch.first) + " to " +
               std::to_string(batch.first + batch.count - 1) + ", the first " +
               batch.describe(0).second + ")";
    }
    (void)std::fprintf(stderr, "joblet: MPI failed%s: %s; aborting the MPI job\n", where.c_str(),
                       mpi_error_text(code).c_str());
    (void)std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, 1);
  }

  static inline bool running_ = false;  // only the MPI thread reads and writes it

  RunSettings settings_;
  MPI_Comm communicator_;
  std::vector<std::unique_ptr<Rank>> ranks_;
  std::deque<std::unique_ptr<Job>> pending_;
  std::deque<std::shared_ptr<BatchBase>> completed_;
  SharedFrames shared_frames_;
  std::vector<MPI_Request> shared_sending_;
  std::exception_ptr problem_;
  bool stopped_ = false;
};

}  // namespace

std::unique_ptr<Executor> make_mpi_executor(const RunSettings& settings) {
  return std::make_unique<MpiExecutor>(settings);
}

}  // namespace joblet::detail
