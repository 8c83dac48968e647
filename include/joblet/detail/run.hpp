// One Parallel call: reads the input, batches it, hands batches to a backend, and delivers
// results in order, stopping at the first failure or recording every failure.
#pragma once

#include <algorithm>
#include <cstddef>
#include <deque>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <utility>
#include <variant>
#include <vector>

#include "batch.hpp"
#include "batch_sizer.hpp"
#include "checkpoint.hpp"
#include "executor.hpp"
#include "report.hpp"
#include "settings.hpp"
#include "source.hpp"
#include "trace.hpp"

namespace joblet::detail {

/// Order in which finished batches are delivered.
enum class Delivery { submission_order, completion_order };

/// A TaskTimeout for the task at `index`, ready to throw or to record.
[[nodiscard]] std::exception_ptr make_timeout_error(std::size_t index, std::string task_name,
                                                    const std::string& call,
                                                    const RunSettings& settings);

[[noreturn]] void throw_cannot_copy_tasks_for_timeout();

/// For backends that send tasks as bytes: writes the batch's first task, reads it back and
/// writes it again; NotSerializable when the bytes differ (a serialize() that does not read
/// what it writes), before anything is sent.
void check_round_trip(const BatchBase& batch);

template <class Range, OnFailure on_failure>
class Run {
 public:
  using BatchType = Batch<Range, on_failure>;
  using Source = TaskSource<Range>;
  using Task = typename Source::Task;
  using R = typename BatchType::R;
  /// A kept result; a void task keeps only the fact that it finished.
  using Kept = std::conditional_t<std::is_void_v<R>, std::monostate, R>;

  /// `range` must outlive the run.
  Run(Range& range, const RunSettings& settings, Delivery delivery)
      : settings_(settings),
        delivery_(delivery),
        source_(range),
        in_place_(choose_in_place(settings)),
        sizer_(settings, !in_place_),
        report_(settings, source_.size()),
        executor_(make_executor(settings)) {
    // Out-of-process backends kill a task at its timeout themselves, task by task.
    const bool in_process =
        settings.backend == Backend::sequential || settings.backend == Backend::threads;
    if (settings.timeout && in_process) {
      time_limit_ = std::chrono::duration_cast<Clock::duration>(*settings.timeout);
    }
    if (!settings.checkpoint.empty()) {
      check_can_checkpoint<R>();
      checkpoints_.emplace(settings.checkpoint);
    }
    if (!settings.trace_file.empty()) {
      trace_.emplace(settings.trace_file,
                     run_label(settings) + " " + std::string(to_string(settings.backend)));
    }
  }

  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;
  Run(Run&&) = delete;
  Run& operator=(Run&&) = delete;

  /// Stops what still runs and waits for it: no worker touches the range after this.
  ~Run() {
    if (!in_flight_.empty()) {
      executor_->stop();
      drain();
    }
  }

  /// The next batch of results in delivery order, or nullptr once every task was delivered.
  /// The batch stays valid until the next call. Throws the run's first TaskError (or an
  /// exception of the input range) once every running task has stopped.
  BatchType* next() {
    if (delivered_) recycle(std::move(delivered_));
    if (over_) return nullptr;
    try {
      for (;;) {
        delivered_ = take_deliverable();
        if (delivered_) return delivered_.get();
        fill_window();
        if (in_flight_.empty()) {
          over_ = true;
          if (trace_) trace_->close();
          report_.finish();
          return nullptr;
        }
        wait_for_progress();
      }
    } catch (...) {
      over_ = true;
      executor_->stop();
      drain();
      close_trace_after_failure();
      if (report_.watched()) report_.run_failed(std::current_exception());
      throw;
    }
  }

  [[nodiscard]] std::optional<std::size_t> size() const { return source_.size(); }

  /// Whether write_to_slots() may be used: the input is sized and no task can outlive the run
  /// (an abandoned task would write into a vector that is gone).
  [[nodiscard]] bool can_write_to_slots() const {
    return BatchType::kCanWriteToSlots && source_.size() && !time_limit_;
  }

  /// Results go straight into slots[index], which holds size() elements, instead of arriving
  /// with their batch. Call before the first next().
  void write_to_slots(typename BatchType::Result* slots) { slots_ = slots; }

 private:
  static bool choose_in_place(const RunSettings& settings) {
    if constexpr (!Source::kCanRunInPlace) {
      return false;
    } else {
      // A timed-out task goes on running after the call returns: it must not read the
      // caller's range, so under a timeout the threads backend runs copies.
      const bool must_copy = settings.timeout && settings.backend == Backend::threads;
      if constexpr (!Source::kCanTake) {
        if (must_copy) throw_cannot_copy_tasks_for_timeout();
      }
      return !must_copy;
    }
  }

  std::shared_ptr<BatchType> make_batch() {
    if (spare_.empty()) return std::make_shared<BatchType>(settings_.seed, settings_.inner_threads);
    auto batch = std::move(spare_.back());
    spare_.pop_back();
    return batch;
  }

  /// A range of Task<R> may hold a different function and arguments in each task: when the
  /// whole range is at hand, every task is checked before any runs (a range of one Delayed
  /// type is checked by its type).
  void check_every_task_travels() const {
    using Element = typename Source::Task;
    if constexpr (Source::kCanRunInPlace &&
                  requires(const Element& task) { task.check_travels(); }) {
      const auto& origin = source_.origin();
      for (std::size_t i = 0; i < source_.size().value_or(0); ++i)
        origin[static_cast<std::ptrdiff_t>(i)].check_travels();
    }
  }

  void recycle(std::shared_ptr<BatchType> batch) {
    // A batch still shared with a worker (abandoned after a timeout) is not reused.
    if (batch.use_count() == 1 && spare_.size() < settings_.window + 1) {
      batch->reset();
      spare_.push_back(std::move(batch));
    }
  }

  void fill_window() {
    while (in_flight_.size() < settings_.window && !out_of_tasks()) {
      auto batch = make_batch();
      batch->slots = slots_;
      batch->sequence = batches_made_++;
      if (trace_) {
        batch->traced = true;
        batch->trace.clear();
      }
      const std::size_t wanted = sizer_.next(remaining());
      if (checkpoints_) {
        if (take_checkpointed(*batch, wanted)) {
          report(*batch);
          queue_for_delivery(std::move(batch));
          continue;
        }
      } else {
        batch->first = source_.position();
        if (in_place_) {
          if constexpr (Source::kCanRunInPlace) {
            batch->in_place = true;
            batch->origin = source_.origin();
            batch->count = source_.skip(wanted);
          }
        } else {
          if constexpr (Source::kCanTake) batch->count = source_.take(wanted, batch->owned);
        }
      }
      if (batch->count == 0) {
        recycle(std::move(batch));
        break;
      }
      if (settings_.timeout)
        batch->description = {task_name(batch->task(0)), task_call(batch->task(0))};
      if (!round_trip_checked_ &&
          (settings_.backend == Backend::processes || settings_.backend == Backend::mpi)) {
        round_trip_checked_ = true;
        check_every_task_travels();
        check_round_trip(*batch);
      }
      // In flight once the executor has it: submit() throws for a task that cannot travel.
      executor_->submit(batch);
      in_flight_.push_back(std::move(batch));
    }
    if (!total_reported_ && source_.exhausted()) {
      total_reported_ = true;
      report_.set_total(source_.position());
    }
  }

  [[nodiscard]] bool out_of_tasks() const { return source_.exhausted() && carry_.empty(); }

  [[nodiscard]] std::optional<std::size_t> remaining() const {
    if (const auto left = source_.remaining()) return *left + carry_.size();
    return std::nullopt;
  }

  // ######################################################################
  // Options::checkpoint. A batch holds either tasks whose results were kept by an earlier run,
  // and goes straight to delivery, or tasks to run: so no backend ever sees a kept result.

  /// The result kept for `task`, if any.
  std::optional<Kept> restore(const Task& task, std::size_t index) {
    if constexpr (kCanCheckpoint<R>) {
      if (!checkpoints_) return std::nullopt;
      const auto bytes = checkpoints_->load(keys_.template key_of<R>(task, settings_.seed, index));
      if (!bytes) return std::nullopt;
      if constexpr (std::is_void_v<R>) {
        if (!bytes->empty()) return std::nullopt;
        return std::monostate{};
      } else {
        return result_from<R>(*bytes);
      }
    } else {
      return std::nullopt;
    }
  }

  /// Fills `batch` with up to `wanted` next tasks that either all have kept results or all
  /// have none. True when they have: the batch then holds their results.
  bool take_checkpointed(BatchType& batch, std::size_t wanted) {
    if constexpr (Source::kCanTake) {
      if (!in_place_ && carry_.size() < wanted) {
        std::vector<Task> more;
        source_.take(wanted - carry_.size(), more);
        for (auto& task : more)
          carry_.push_back(std::move(task));
      }
    }
    batch.first = source_.position() - carry_.size();
    const std::size_t available =
        in_place_ ? std::min(wanted, source_.remaining().value_or(0)) : carry_.size();
    const auto task_at = [&](std::size_t j) -> const Task& {
      if constexpr (Source::kCanRunInPlace) {
        if (in_place_) return source_.origin()[static_cast<std::ptrdiff_t>(batch.first + j)];
      }
      return carry_[j];
    };
    kept_.clear();
    bool restored = false;
    std::size_t n = 0;
    for (; n < available; ++n) {
      auto kept = restore(task_at(n), batch.first + n);
      if (n == 0) restored = kept.has_value();
      if (kept.has_value() != restored) break;
      if (kept) kept_.push_back(std::move(*kept));
    }
    if (in_place_) {
      if constexpr (Source::kCanRunInPlace) {
        batch.in_place = true;
        batch.origin = source_.origin();
        batch.count = source_.skip(n);
      }
    } else if constexpr (Source::kCanTake) {
      for (std::size_t i = 0; i < n; ++i) {
        batch.owned.push_back(std::move(carry_.front()));
        carry_.pop_front();
      }
      batch.count = n;
    }
    if (!restored || n == 0) return false;
    for (std::size_t i = 0; i < n; ++i) {
      if constexpr (std::is_void_v<R>) {
        if constexpr (on_failure == OnFailure::record) batch.results.values.emplace_back();
      } else {
        if constexpr (BatchType::kCanWriteToSlots) {
          if (slots_ != nullptr) {
            slots_[batch.first + i] = std::move(kept_[i]);
            continue;
          }
        }
        batch.results.values.push_back(typename BatchType::Result(std::move(kept_[i])));
      }
    }
    batch.finished = n;
    return true;
  }

  /// Keeps the result of every task of the batch that has one.
  void save_checkpoints(const BatchType& batch) {
    if constexpr (kCanCheckpoint<R>) {
      if (!checkpoints_) return;
      for (std::size_t i = 0; i < batch.finished; ++i) {
        if constexpr (on_failure == OnFailure::record) {
          if (!batch.results.values[i].has_value()) continue;
        }
        checkpoints_->save(keys_.template key_of<R>(batch.task(i), settings_.seed, batch.first + i),
                           kept_bytes(batch, i));
      }
    }
  }

  [[nodiscard]] Bytes kept_bytes(const BatchType& batch, std::size_t i) const {
    if constexpr (std::is_void_v<R>) {
      return {};
    } else if constexpr (on_failure == OnFailure::record) {
      return result_bytes<R>(*batch.results.values[i]);
    } else {
      if constexpr (BatchType::kCanWriteToSlots) {
        if (slots_ != nullptr) return result_bytes<R>(slots_[batch.first + i]);
      }
      return result_bytes<R>(batch.results.values[i]);
    }
  }

  /// The trace of a failed run is written too; the run's own error wins over the file's.
  void close_trace_after_failure() noexcept {
    if (!trace_) return;
    try {
      trace_->close();
    } catch (...) {  // NOLINT(bugprone-empty-catch): the run already throws its first error
    }
  }

  void wait_for_progress() {
    auto done = executor_->wait(next_deadline());
    if (!done) {
      expire_overdue();
      return;
    }
    auto batch = forget_in_flight(*done);
    accept(std::move(batch));
  }

  std::shared_ptr<BatchType> forget_in_flight(const BatchBase& batch) {
    const auto it = std::find_if(in_flight_.begin(), in_flight_.end(),
                                 [&batch](const auto& b) { return b.get() == &batch; });
    auto owned = std::move(*it);
    in_flight_.erase(it);
    return owned;
  }

  void accept(std::shared_ptr<BatchType> batch) {
    if (trace_) trace_->add(*batch);
    if (batch->error) {
      save_checkpoints(*batch);
      std::rethrow_exception(batch->error);
    }
    if (time_limit_ && batch->finished > 0 && batch->run_time > *time_limit_) {
      // Finished, but later than allowed: the same outcome as on a backend that interrupts.
      record_timeout(std::move(batch));
      return;
    }
    sizer_.record(batch->finished, batch->run_time);
    save_checkpoints(*batch);
    report(*batch);
    queue_for_delivery(std::move(batch));
  }

  void report(const BatchType& batch) {
    if (!report_.watched()) {
      report_.tasks_done(batch.finished);
      return;
    }
    for (std::size_t i = 0; i < batch.finished; ++i) {
      if constexpr (on_failure == OnFailure::record) {
        const auto& outcome = batch.results.values[i];
        if (!outcome.has_value()) report_.task_failed(outcome.exception());
      }
      report_.task_done(batch.first + i, i + 1 == batch.finished);
    }
  }

  void queue_for_delivery(std::shared_ptr<BatchType> batch) {
    if (delivery_ == Delivery::completion_order) {
      completed_.push_back(std::move(batch));
      return;
    }
    // Slot k of completed_ holds the batch k places after the next one to deliver; at most a
    // window of batches is in flight, so the deque stays short.
    const std::size_t slot = batch->sequence - next_to_deliver_;
    if (completed_.size() <= slot) completed_.resize(slot + 1);
    completed_[slot] = std::move(batch);
  }

  std::shared_ptr<BatchType> take_deliverable() {
    if (completed_.empty() || !completed_.front()) return nullptr;
    auto batch = std::move(completed_.front());
    completed_.pop_front();
    ++next_to_deliver_;
    return batch;
  }

  /// When the batch's task started, once it has.
  static std::optional<Clock::time_point> start_of(const BatchBase& batch) {
    const auto started = batch.started.load(std::memory_order_acquire);
    if (started == 0) return std::nullopt;
    return Clock::time_point(Clock::duration(started));
  }

  [[nodiscard]] bool overdue(const BatchBase& batch, Clock::time_point now) const {
    const auto start = start_of(batch);
    return time_limit_ && start && now - *start >= *time_limit_;
  }

  [[nodiscard]] std::optional<Clock::time_point> next_deadline() const {
    if (!time_limit_) return std::nullopt;
    std::optional<Clock::time_point> earliest;
    for (const auto& batch : in_flight_) {
      const auto start = start_of(*batch);
      if (!start) continue;
      const auto deadline = *start + *time_limit_;
      if (!earliest || deadline < *earliest) earliest = deadline;
    }
    return earliest;
  }

  /// Gives up on every batch whose task ran past the timeout.
  void expire_overdue() {
    const auto now = Clock::now();
    for (std::size_t i = 0; i < in_flight_.size();) {
      if (overdue(*in_flight_[i], now) && executor_->abandon(*in_flight_[i])) {
        auto late = std::move(in_flight_[i]);
        in_flight_.erase(in_flight_.begin() + static_cast<std::ptrdiff_t>(i));
        record_timeout(std::move(late));
      } else {
        ++i;
      }
    }
  }

  /// The batch's only task timed out (batches hold one task under a timeout).
  void record_timeout(std::shared_ptr<BatchType> batch) {
    auto error = make_timeout_error(batch->first, batch->description.first,
                                    batch->description.second, settings_);
    if constexpr (on_failure == OnFailure::stop) {
      std::rethrow_exception(error);
    } else {
      // The abandoned batch may still be written by its worker: deliver a fresh one.
      auto outcome = make_batch();
      outcome->sequence = batch->sequence;
      outcome->first = batch->first;
      outcome->count = outcome->finished = 1;
      outcome->results.values.push_back(BatchType::Result::failure(std::move(error)));
      report(*outcome);
      queue_for_delivery(std::move(outcome));
    }
  }

  /// Waits until no batch runs, giving up on the ones that pass their timeout.
  void drain() noexcept {
    while (!in_flight_.empty()) {
      std::shared_ptr<BatchBase> done;
      try {
        done = executor_->wait(next_deadline());
      } catch (...) {  // NOLINT(bugprone-empty-catch): the run already throws its first error
        continue;
      }
      if (done) {
        forget_in_flight(*done);
        continue;
      }
      const auto now = Clock::now();
      std::erase_if(in_flight_, [&](const auto& batch) {
        return overdue(*batch, now) && executor_->abandon(*batch);
      });
    }
  }

  RunSettings settings_;
  Delivery delivery_;
  Source source_;
  bool in_place_;
  BatchSizer sizer_;
  RunReport report_;
  std::unique_ptr<Executor> executor_;
  std::optional<Clock::duration> time_limit_;  // Options::timeout
  typename BatchType::Result* slots_ = nullptr;
  std::optional<RunTrace> trace_;               // Options::trace_file
  std::optional<CheckpointStore> checkpoints_;  // Options::checkpoint
  CheckpointKeys keys_;
  /// Tasks taken from the input but not yet in a batch: a batch ends where kept results start
  /// or stop.
  std::deque<Task> carry_;
  std::vector<Kept> kept_;  // the kept results of the batch being filled

  std::vector<std::shared_ptr<BatchType>> in_flight_;
  std::deque<std::shared_ptr<BatchType>> completed_;  // waiting for delivery
  std::vector<std::shared_ptr<BatchType>> spare_;
  std::shared_ptr<BatchType> delivered_;
  std::size_t batches_made_ = 0;
  std::size_t next_to_deliver_ = 0;  // sequence number, under submission order
  bool total_reported_ = false;
  bool round_trip_checked_ = false;
  bool over_ = false;
};

}  // namespace joblet::detail
