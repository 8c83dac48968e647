// Backend::processes: batches go to worker processes as bytes; one Asio io_context per run
// multiplexes the workers' sockets, a timer per worker watches task timeouts, and a signal set
// turns SIGINT / SIGTERM into joblet::Interrupted.
#include <sys/types.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <csignal>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <system_error>
#include <vector>

#include "../processes/frames.hpp"
#include "../processes/process_pool.hpp"
#include "../processes/shared_region.hpp"
#include "../transport/batch_messages.hpp"
#include "backends.hpp"
#include "joblet/cpu_count.hpp"
#include "joblet/errors.hpp"
#include "joblet/share.hpp"

namespace joblet::detail {
namespace {

namespace asio = boost::asio;
using Socket = asio::local::stream_protocol::socket;

constexpr std::array kFromWorker{FrameType::batch_done, FrameType::worker_error,
                                 FrameType::worker_ready, FrameType::in_region};
constexpr std::array kInRegion{FrameType::batch_done, FrameType::worker_error};
constexpr std::size_t kReadChunk = std::size_t{64} * 1024;
/// Buffers of requests that went through a region, for the next requests on this thread.
/// Each is at most kMaxRegionBytes.
constexpr std::size_t kSpareRequests = 2;
thread_local std::vector<Bytes> spare_requests;

/// How long batches wait on a run's busy workers before a new worker starts for them: about
/// what a start costs. Tiny tasks are done by then without one (on two CPUs the second
/// worker's start slowed the first worker's two tiny tasks by 0.6 ms, bench/first_result);
/// long ones start a millisecond later.
constexpr auto kWaitBeforeStart = std::chrono::milliseconds(1);

/// How many new workers a run starts at once. A start (the fork server's fork, then the new
/// process's first page faults) needs a CPU of its own, as the parent and the fork server do:
/// with fewer, a second start only slows the first.
std::size_t concurrent_starts() {
  return static_cast<std::size_t>(std::max(1, cpu_count() - 2));
}

/// The dispositions of SIGINT and SIGTERM before any run started, put back when the last run
/// ends, however it ends (Asio's own signal_set would leave the default action behind). Runs
/// on several threads overlap: the first saves, the last restores, so that no run saves
/// another run's handler as the program's.
class SavedDispositions {
 public:
  SavedDispositions() {
    const std::lock_guard lock(mutex_);
    if (runs_++ > 0) return;
    for (std::size_t i = 0; i < kSignals.size(); ++i)
      sigaction(kSignals[i], nullptr, &saved_[i]);
  }
  ~SavedDispositions() {
    const std::lock_guard lock(mutex_);
    if (--runs_ == 0) restore_locked();
  }
  SavedDispositions(const SavedDispositions&) = delete;
  SavedDispositions& operator=(const SavedDispositions&) = delete;
  SavedDispositions(SavedDispositions&&) = delete;
  SavedDispositions& operator=(SavedDispositions&&) = delete;

  /// Puts the program's dispositions back now, while runs go on.
  static void restore() {
    const std::lock_guard lock(mutex_);
    restore_locked();
  }

  static constexpr std::array kSignals{SIGINT, SIGTERM};

 private:
  static void restore_locked() {
    for (std::size_t i = 0; i < kSignals.size(); ++i)
      sigaction(kSignals[i], &saved_[i], nullptr);
  }

  static inline std::mutex mutex_;
  static inline int runs_ = 0;
  static inline std::array<struct sigaction, 2> saved_{};
};

/// A batch on its way through the workers; sent again, minus the tasks that killed their
/// worker, when a worker dies under try_run.
struct Job {
  std::shared_ptr<BatchBase> batch;
  SettledTasks failures;              // no result record for them
  Bytes request;                      // the run_batch frame
  Bytes in_region;                    // what the socket carries when the request is in a region
  std::vector<std::uint64_t> shared;  // Shared values its tasks refer to
  Clock::time_point sent;
  int deaths_between_tasks = 0;
};

struct Worker {
  enum class Ending { none, timed_out, stopped };

  Worker(asio::io_context& io, const WorkerProcess& leased)
      : process(leased),
        socket(io, asio::local::stream_protocol(), leased.socket),
        timer(io),
        ready(ForkServer::instance().slot(leased.slot).ready.load(std::memory_order_acquire)) {}

  WorkerProcess process;
  Socket socket;
  asio::steady_timer timer;
  FrameReader frames{kFromWorker};
  std::unique_ptr<Job> job;
  std::set<std::uint64_t> shared_sent;
  // The largest reply that came through the socket but would fit a region: the next batch
  // sends the worker regions that fit it.
  std::size_t large_reply = 0;
  Ending ending = Ending::none;
  bool ready;  // it runs: its worker_ready frame came, in this run or an earlier one
  bool dead = false;
  // Under a timeout: the start time of its last task when its timer last found it between
  // tasks; a whole timeout later with no task started since, the worker is stuck.
  std::optional<std::int64_t> idle_since_start;
};

class ProcessesExecutor final : public Executor {
 public:
  explicit ProcessesExecutor(const RunSettings& settings)
      : settings_(settings), signals_(io_, SIGINT, SIGTERM) {
    signals_.async_wait([this](const boost::system::error_code& error, int signal) {
      if (!error) interrupt(signal);
    });
    for (const auto& process : ProcessPool::instance().lease_idle(settings.workers))
      add_worker(process);
  }

  ProcessesExecutor(const ProcessesExecutor&) = delete;
  ProcessesExecutor& operator=(const ProcessesExecutor&) = delete;
  ProcessesExecutor(ProcessesExecutor&&) = delete;
  ProcessesExecutor& operator=(ProcessesExecutor&&) = delete;

  // NOLINTNEXTLINE(bugprone-exception-escape): only bad_alloc can escape, and it ends the program
  ~ProcessesExecutor() override {
    boost::system::error_code ignored;
    signals_.clear(ignored);  // dispositions_, destroyed after it, puts the program's back
    Bytes end_of_run;
    finish_frame(end_of_run, begin_frame(end_of_run, FrameType::end_of_run));
    for (auto& worker : workers_) {
      if (worker->dead) continue;  // discarded when it died
      if (worker->job) {
        kill_worker(*worker);
        worker->socket.close(ignored);
        worker->process.socket = -1;
        ProcessPool::discard(worker->process);
        continue;
      }
      asio::write(worker->socket, asio::buffer(end_of_run), ignored);
      worker->timer.cancel();
      worker->process.socket = worker->socket.release(ignored);
      if (ignored) {
        ProcessPool::discard(worker->process);
      } else {
        ProcessPool::instance().give_back(worker->process);
      }
    }
  }

  void submit(std::shared_ptr<BatchBase> batch) override {
    auto job = std::make_unique<Job>();
    job->batch = std::move(batch);
    encode(*job);
    if (stopped_) {
      completed_.push_back(std::move(job->batch));
      return;
    }
    if (Worker* idle = idle_worker()) {
      dispatch(*idle, std::move(job));
    } else {
      pending_.push_back(std::move(job));
      start_later();
    }
  }

  std::shared_ptr<BatchBase> wait(std::optional<Clock::time_point> deadline) override {
    while (completed_.empty() && !problem_) {
      if (busy_workers() == 0 && pending_.empty()) return nullptr;
      if (io_.stopped()) io_.restart();
      if (deadline) {
        if (io_.run_one_until(*deadline) == 0 && Clock::now() >= *deadline) return nullptr;
      } else {
        io_.run_one();
      }
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
    for (auto& worker : workers_) {
      if (worker->job && !worker->dead) {
        worker->ending = Worker::Ending::stopped;
        kill_worker(*worker);
      }
    }
  }

  // A worker's task is killed at its timeout, so nothing is ever left running.
  bool abandon(BatchBase& /*batch*/) override { return false; }

 private:
  void add_worker(const WorkerProcess& process) {
    workers_.push_back(std::make_unique<Worker>(io_, process));
    read_from(*workers_.back());
  }

  /// The worker's pid, from the fork server's reply to the request that started it, read on
  /// first need: a new worker is sent its first batch before that reply comes. -1 for a worker
  /// the server could not fork; the run then fails with the server's error.
  pid_t pid_of(Worker& worker) noexcept {
    try {
      ForkServer::instance().await_start(worker.process);
    } catch (...) {
      if (!problem_) problem_ = std::current_exception();
    }
    return worker.process.pid;
  }

  void kill_worker(Worker& worker) noexcept {
    if (const pid_t pid = pid_of(worker); pid > 0) kill(pid, SIGKILL);
  }

  [[nodiscard]] std::size_t live_workers() const {
    return static_cast<std::size_t>(
        std::count_if(workers_.begin(), workers_.end(), [](const auto& w) { return !w->dead; }));
  }

  [[nodiscard]] std::size_t busy_workers() const {
    return static_cast<std::size_t>(std::count_if(workers_.begin(), workers_.end(),
                                                  [](const auto& w) { return w->job != nullptr; }));
  }

  /// The worker to send a batch to now, or null if the batch must wait. A worker still
  /// starting takes one only while no running worker is busy: one that is may well be free
  /// sooner. A run with no live worker starts one at once; otherwise batches that wait start
  /// new workers kWaitBeforeStart later (start_later).
  Worker* idle_worker() {
    bool running_busy = false;
    Worker* starting_idle = nullptr;
    for (auto& worker : workers_) {
      if (worker->dead) continue;
      if (worker->ready && !worker->job) return worker.get();
      if (worker->ready) running_busy = true;
      if (!worker->ready && !worker->job && starting_idle == nullptr) starting_idle = worker.get();
    }
    if (!running_busy && starting_idle != nullptr) return starting_idle;
    return live_workers() == 0 ? start_worker() : nullptr;
  }

  /// A new worker for the run (or an idle one that another run gave back); null if none can
  /// be had while the run has others.
  Worker* start_worker() {
    try {
      add_worker(ProcessPool::instance().lease());
    } catch (const std::exception&) {
      // Out of descriptors, say: the run goes on with the workers it has. This may run in a
      // read handler, where an exception would be taken for that worker's fault.
      if (live_workers() == 0) throw;
      return nullptr;
    }
    return workers_.back().get();
  }

  /// Has new workers started for the batches that wait, if they still wait kWaitBeforeStart
  /// from now (`afresh`) or from when the timer was armed.
  void start_later(bool afresh = false) {
    if (stopped_ || pending_.empty() || (start_timer_armed_ && !afresh)) return;
    start_timer_armed_ = true;
    start_timer_.expires_after(kWaitBeforeStart);
    start_timer_.async_wait([this](const boost::system::error_code& error) {
      if (error) return;  // armed again, or the run ended
      start_timer_armed_ = false;
      // One new worker for each batch that waits and that no starting worker will take, as
      // far as the run's count and concurrent_starts() allow; dispatch_pending arms the timer
      // again for any batch still waiting.
      while (!stopped_ && pending_.size() > idle_starting_workers() &&
             live_workers() < settings_.workers && starting_workers() < concurrent_starts()) {
        if (start_worker() == nullptr) return;
        dispatch_pending();
      }
    });
  }

  [[nodiscard]] std::size_t starting_workers() const {
    return static_cast<std::size_t>(std::count_if(
        workers_.begin(), workers_.end(), [](const auto& w) { return !w->dead && !w->ready; }));
  }

  [[nodiscard]] std::size_t idle_starting_workers() const {
    return static_cast<std::size_t>(
        std::count_if(workers_.begin(), workers_.end(),
                      [](const auto& w) { return !w->dead && !w->ready && !w->job; }));
  }

  /// Writes the run_batch frame for the tasks of the job's batch that have no outcome yet.
  void encode(Job& job) {
    job.shared.clear();
    if (job.request.capacity() == 0 && !spare_requests.empty()) {
      job.request = std::move(spare_requests.back());
      spare_requests.pop_back();
    }
    encode_batch_request(*job.batch, job.failures, settings_, shared_frames_, job.shared,
                         job.request);
  }

  void dispatch(Worker& worker, std::unique_ptr<Job> job) {
    std::vector<asio::const_buffer> buffers;
    std::uint64_t bytes = 0;
    for (const std::uint64_t id : job->shared) {
      if (worker.shared_sent.insert(id).second) {
        const Bytes& frame = shared_frames_.at(id).frame;
        buffers.emplace_back(asio::buffer(frame));
        bytes += frame.size();
        transport_counters().shared_values_sent.fetch_add(1, std::memory_order_relaxed);
      }
    }
    bytes += job->request.size();
    buffers.emplace_back(
        asio::buffer(place_in_region(worker, *job) ? job->in_region : job->request));
    transport_counters().bytes_to_workers.fetch_add(bytes, std::memory_order_relaxed);
    job->sent = Clock::now();
    worker.job = std::move(job);
    // A write that fails means the worker died; the read side sees that and handles it.
    asio::async_write(worker.socket, buffers,
                      [](const boost::system::error_code& /*error*/, std::size_t /*bytes*/) {});
    if (settings_.timeout) {
      worker.idle_since_start.reset();
      watch(worker, worker.job->sent + limit());
    }
  }

  /// Copies a large request into the worker's region, sending it larger regions first where
  /// they are needed; false when the request goes through the socket.
  static bool place_in_region(Worker& worker, Job& job) {
    const std::size_t size = job.request.size();
    const std::size_t request = size >= kRegionFramesFrom && size <= kMaxRegionBytes ? size : 0;
    const std::size_t current =
        worker.process.regions ? worker.process.regions->to_worker.bytes().size() : 0;
    if (std::max(request, worker.large_reply) > current) {
      std::shared_ptr<const SharedRegions> regions;
      try {
        regions = std::make_shared<const SharedRegions>(
            region_size_for(std::max(request, worker.large_reply), current));
      } catch (const std::system_error&) {
        // No memory file to be had (out of descriptors, say): the socket carries it all, as
        // it carries frames too large for a region. dispatch() may run in a read handler,
        // where an exception would be taken for the worker's fault.
        worker.large_reply = 0;
        return false;
      }
      // A worker that is gone is found out by the read side, as for any write.
      if (!send_regions(worker.socket.native_handle(), *regions)) return false;
      worker.process.regions = std::move(regions);
    }
    if (request == 0) return false;
    std::memcpy(worker.process.regions->to_worker.bytes().data(), job.request.data(), size);
    job.in_region = in_region_frame(size);
    // Kept for the next batch's request, in this run or the thread's next one: a new 1 MiB
    // of heap per batch costs 256 page faults whenever the allocator has given the last one
    // back to the kernel.
    if (spare_requests.size() < kSpareRequests) spare_requests.push_back(std::move(job.request));
    job.request = Bytes();
    transport_counters().bytes_through_regions.fetch_add(size, std::memory_order_relaxed);
    return true;
  }

  [[nodiscard]] Clock::duration limit() const {
    return std::chrono::duration_cast<Clock::duration>(
        settings_.timeout.value_or(std::chrono::duration<double>::zero()));
  }

  void read_from(Worker& worker) {
    const std::span<std::byte> space = worker.frames.space(kReadChunk);
    worker.socket.async_read_some(
        asio::buffer(space.data(), space.size()),
        [this, &worker](const boost::system::error_code& error, std::size_t bytes) {
          if (error) {
            worker_died(worker);
            return;
          }
          worker.frames.commit(bytes);
          try {
            while (auto frame = worker.frames.next())
              take(worker, *frame);
          } catch (const std::exception& malformed) {
            problem_ =
                std::make_exception_ptr(Error(std::string(malformed.what()) + " (worker pid " +
                                              std::to_string(pid_of(worker)) + "; it was killed)"));
            worker.ending = Worker::Ending::stopped;
            kill_worker(worker);
            // Nothing more is read from it: the rest of its bytes would be malformed again,
            // and a second error while the run drains would have nowhere to go.
            settle_death(worker);
            return;
          }
          read_from(worker);
        });
  }

  void take(Worker& worker, const Frame& frame) {
    if (frame.type == FrameType::worker_ready) {
      if (!frame.payload.empty()) {
        throw MalformedFrame("joblet: malformed message: a worker_ready frame with a payload");
      }
      worker.ready = true;
      dispatch_pending();
      // The batches still waiting could have gone to a running worker only from now on.
      start_later(true);
      return;
    }
    if (frame.type == FrameType::in_region) {
      if (!worker.process.regions) {
        throw MalformedFrame("joblet: malformed message: an in_region frame with no region");
      }
      const Frame in_region =
          frame_in_region(frame.payload, worker.process.regions->from_worker.bytes(), kInRegion);
      transport_counters().bytes_through_regions.fetch_add(
          kFrameHeaderSize + in_region.payload.size(), std::memory_order_relaxed);
      take(worker, in_region);
      return;
    }
    if (const std::size_t size = kFrameHeaderSize + frame.payload.size();
        size >= kRegionFramesFrom && size <= kMaxRegionBytes) {
      worker.large_reply = std::max(worker.large_reply, size);
    }
    if (frame.type == FrameType::worker_error) {
      problem_ =
          batch_refused(frame.payload, worker.job ? worker.job->batch.get() : nullptr, "a worker");
      if (worker.job) completed_.push_back(std::move(worker.job->batch));
      worker.job.reset();
      return;
    }
    if (!worker.job) throw MalformedFrame("joblet: malformed message: results for no batch");
    Job& job = *worker.job;
    read_batch_done(frame.payload, *job.batch, job.failures);
    job.batch->run_time = Clock::now() - job.sent;
    finish(worker);
  }

  void finish(Worker& worker) {
    worker.timer.cancel();
    completed_.push_back(std::move(worker.job->batch));
    worker.job.reset();
    if (!stopped_ && !pending_.empty()) {
      auto next = std::move(pending_.front());
      pending_.pop_front();
      dispatch(worker, std::move(next));
    }
  }

  void worker_died(Worker& worker) {
    settle_death(worker);
    // The dead worker may have been the last busy one: the batches waiting for a worker would
    // then wait forever, so they go to a replacement now.
    dispatch_pending();
  }

  void dispatch_pending() {
    while (!stopped_ && !pending_.empty()) {
      Worker* idle = idle_worker();
      if (idle == nullptr) break;
      auto next = std::move(pending_.front());
      pending_.pop_front();
      dispatch(*idle, std::move(next));
    }
    start_later();
  }

  /// Closes a dead worker and decides its batch's fate: the task it was running failed (or,
  /// if it died between tasks, the batch is sent again); the rest of the batch is resent.
  void settle_death(Worker& worker) {
    worker.dead = true;
    worker.timer.cancel();
    worker.socket.close();
    worker.process.socket = -1;
    std::unique_ptr<Job> job = std::move(worker.job);
    const WorkerSlot& slot = ForkServer::instance().slot(worker.process.slot);
    const std::uint64_t running = slot.task.load(std::memory_order_acquire);
    const int status = pid_of(worker) > 0 && ProcessPool::has_exited(worker.process)
                           ? ProcessPool::exit_status(worker.process)
                           : 0;
    const Worker::Ending ending = worker.ending;
    ProcessPool::discard(worker.process);
    if (!job) return;
    BatchBase& batch = *job->batch;
    if (stopped_ || ending == Worker::Ending::stopped) {
      completed_.push_back(std::move(job->batch));
      return;
    }
    std::size_t position = batch.finished;
    if (running != 0 && running - 1 >= batch.first && running - 1 < batch.first + batch.count) {
      position = static_cast<std::size_t>(running - 1 - batch.first);
    } else if (++job->deaths_between_tasks <= 2) {
      // It died outside any task (killed from outside, say): no task is to blame; try again.
      resend(std::move(job));
      return;
    }
    auto [name, call] = batch.describe(position);
    const std::size_t index = batch.first + position;
    std::exception_ptr failure =
        ending == Worker::Ending::timed_out
            ? std::make_exception_ptr(
                  TaskTimeout(index, std::move(name), call,
                              settings_.timeout.value_or(std::chrono::duration<double>::zero()),
                              "the worker running it was killed"))
            : std::make_exception_ptr(WorkerCrashed(index, std::move(name), call,
                                                    WIFSIGNALED(status) ? WTERMSIG(status) : 0,
                                                    WIFEXITED(status) ? WEXITSTATUS(status) : -1));
    if (batch.stops_at_failure()) {
      batch.add_failure(std::move(failure));
      completed_.push_back(std::move(job->batch));
      return;
    }
    job->failures.emplace(position, std::move(failure));
    take_settled(batch, job->failures);
    if (batch.finished == batch.count) {
      completed_.push_back(std::move(job->batch));
      return;
    }
    resend(std::move(job));
  }

  /// Sends the job's tasks without an outcome to the next free worker (a new one if need be).
  void resend(std::unique_ptr<Job> job) {
    encode(*job);
    if (Worker* idle = idle_worker()) {
      dispatch(*idle, std::move(job));
    } else {
      pending_.push_front(std::move(job));
    }
  }

  /// Wakes at `when` to look at the task the worker runs; kills the worker when that task has
  /// run for the whole timeout, else waits for that task's own deadline.
  void watch(Worker& worker, Clock::time_point when) {
    worker.timer.expires_at(when);
    worker.timer.async_wait([this, &worker](const boost::system::error_code& error) {
      if (error || worker.dead || !worker.job) return;
      const WorkerSlot& slot = ForkServer::instance().slot(worker.process.slot);
      const auto now = Clock::now();
      if (slot.task.load(std::memory_order_acquire) == 0) {
        // Between tasks, or not yet at the first: fine once; stuck (stopped, or never reading
        // its batch) if no task started for a whole timeout. It is replaced and the batch sent
        // again, as for a worker that dies between tasks.
        const std::int64_t last_start = slot.started.load(std::memory_order_relaxed);
        if (worker.idle_since_start == last_start) {
          worker.ending = Worker::Ending::timed_out;
          kill_worker(worker);
          return;
        }
        worker.idle_since_start = last_start;
        watch(worker, now + limit());
        return;
      }
      worker.idle_since_start.reset();
      const auto deadline = Clock::time_point(std::chrono::nanoseconds(
                                slot.started.load(std::memory_order_relaxed))) +
                            limit();
      if (now < deadline) {
        watch(worker, deadline);
        return;
      }
      worker.ending = Worker::Ending::timed_out;
      kill_worker(worker);
    });
  }

  void interrupt(int signal) {
    SavedDispositions::restore();  // a second signal does what it did before the run
    problem_ = std::make_exception_ptr(Interrupted(signal));
    stop();
  }

  RunSettings settings_;
  SavedDispositions dispositions_;
  asio::io_context io_;
  asio::signal_set signals_;
  asio::steady_timer start_timer_{io_};
  bool start_timer_armed_ = false;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::deque<std::unique_ptr<Job>> pending_;
  std::deque<std::shared_ptr<BatchBase>> completed_;
  SharedFrames shared_frames_;
  std::exception_ptr problem_;
  bool stopped_ = false;
};

}  // namespace

std::unique_ptr<Executor> make_processes_executor(const RunSettings& settings) {
  return std::make_unique<ProcessesExecutor>(settings);
}

}  // namespace joblet::detail
