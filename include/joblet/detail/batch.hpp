// A batch of consecutive tasks with their results, typed.
#pragma once

#include <exception>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "../outcome.hpp"
#include "executor.hpp"
#include "source.hpp"
#include "task_codec.hpp"
#include "task_context.hpp"

namespace joblet::detail {

/// What to do when a task throws: stop the run (operator(), imap) or record it (try_run).
enum class OnFailure { stop, record };

/// The TaskError for the exception being handled, with the original nested in it. Call it
/// only inside a catch block.
[[nodiscard]] std::exception_ptr capture_task_error(std::size_t index, std::string task_name,
                                                    std::string call);

/// The TaskError for a failure record that came back from `worker`; what() names the worker
/// when `worker` is not empty.
[[nodiscard]] std::exception_ptr received_task_error(std::size_t index, std::string task_name,
                                                     std::string call, std::string exception_type,
                                                     std::string message,
                                                     const std::string& worker);

template <class T>
struct ResultStore {
  std::vector<T> values;
  void clear() { values.clear(); }
  template <class Invoke>
  void add(Invoke&& invoke) {
    values.push_back(invoke());
  }
};

template <>
struct ResultStore<void> {
  void clear() {}
  template <class Invoke>
  void add(Invoke&& invoke) {
    invoke();
  }
};

template <class Range>
using task_result_t = std::invoke_result_t<typename TaskSource<Range>::Task&>;

template <class Range, OnFailure on_failure>
using stored_result_t = std::conditional_t<on_failure == OnFailure::record,
                                           Outcome<task_result_t<Range>>, task_result_t<Range>>;

template <class Range, OnFailure on_failure>
class Batch final : public BatchBase {
 public:
  using Source = TaskSource<Range>;
  using Task = typename Source::Task;
  using R = task_result_t<Range>;
  using Result = stored_result_t<Range, on_failure>;

  /// Whether results can go straight into their slot of a vector sized beforehand. Not for
  /// bool: std::vector<bool> packs bits that concurrent writers would share.
  static constexpr bool kCanWriteToSlots =
      on_failure == OnFailure::stop && !std::is_void_v<R> && !std::is_same_v<R, bool> &&
      std::is_default_constructible_v<R> && std::is_move_assignable_v<R>;

  Batch(std::uint64_t seed, int inner_threads) : seed_(seed), inner_threads_(inner_threads) {}

  /// Makes the batch empty for reuse, keeping its memory.
  void reset() {
    sequence = first = count = finished = 0;
    error = nullptr;
    worker.clear();
    run_time = {};
    phase.store(Phase::queued, std::memory_order_relaxed);
    started.store(0, std::memory_order_relaxed);
    owned.clear();
    results.clear();
    in_place = false;
    slots = nullptr;
    description = {};
  }

  void execute(const std::atomic<bool>& stop) override {
    // One scope for the batch; each task only changes the index and drops the last one's rng.
    TaskContext context{.seed = seed_, .inner_threads = inner_threads_};
    const TaskScope scope(context);
    if (traced) {
      trace_lane = this_lane();
      context.trace = &trace;
    }
    if constexpr (kCanWriteToSlots && Source::kCanRunInPlace) {
      if (in_place && slots != nullptr && !traced) {
        execute_into_slots(stop, context);
        return;
      }
    }
    for (std::size_t i = 0; i < count; ++i) {
      if (stop.load(std::memory_order_relaxed)) return;
      context.index = first + i;
      context.rng.reset();
      const std::int64_t start = traced ? trace_clock() : 0;
      if (in_place) {
        if constexpr (Source::kCanRunInPlace) run(origin[static_cast<Difference>(first + i)], i);
      } else {
        if constexpr (Source::kCanTake) run(owned[i], i);
      }
      if (traced)
        trace.push_back({.start = start, .end = trace_clock(), .task = first + i, .kernel = {}});
      if (error) return;
      finished = i + 1;
    }
  }

  [[nodiscard]] bool stops_at_failure() const noexcept override {
    return on_failure == OnFailure::stop;
  }

  void write_task(OutputArchive& out, std::size_t position) const override {
    if constexpr (!std::is_void_v<R> && !transportable<R>::value) {
      throw_result_cannot_travel(type_name<R>());  // before any task runs, not after
    }
    write_element<R>(out, task(position));
  }

  bool read_result(InputArchive& in) override {
    TaskStatus status{};
    in(status);
    if (status != TaskStatus::ok && status != TaskStatus::failed) throw_unknown_status(status);
    if (status == TaskStatus::failed) {
      std::string type;
      std::string message;
      in(type, message);
      auto [name, call] = describe(finished);
      add_failure(received_task_error(first + finished, std::move(name), std::move(call),
                                      std::move(type), std::move(message), worker));
      return false;
    }
    if constexpr (std::is_void_v<R>) {
      if constexpr (on_failure == OnFailure::record) results.values.emplace_back();
    } else if constexpr (transportable<R>::value) {
      R value;
      in(value);
      store(std::move(value));
    } else {
      throw_result_cannot_travel(type_name<R>());
    }
    ++finished;
    return true;
  }

  void add_failure(std::exception_ptr failure) override {
    if constexpr (on_failure == OnFailure::record) {
      results.values.push_back(Result::failure(std::move(failure)));
      ++finished;
    } else {
      error = std::move(failure);
    }
  }

  [[nodiscard]] std::pair<std::string, std::string> describe(std::size_t position) const override {
    return {task_name(task(position)), task_call(task(position))};
  }

  /// The task at position i of the batch (for messages).
  [[nodiscard]] const Task& task(std::size_t i) const {
    if constexpr (Source::kCanRunInPlace) {
      if (in_place) return origin[static_cast<Difference>(first + i)];
    }
    return owned[i];
  }

  bool in_place = false;
  typename Source::Iterator origin{};  ///< the input range, when in_place
  std::vector<Task> owned;             ///< the tasks themselves, otherwise
  ResultStore<Result> results;
  /// When set, the result of task k goes to slots[k] instead of `results`.
  Result* slots = nullptr;
  /// Name and call of the batch's task, kept only under a timeout: a task that runs past it
  /// is still running when the error naming it is made.
  std::pair<std::string, std::string> description;

 private:
  using Difference = std::iter_difference_t<typename Source::Iterator>;

  template <class Value>
  void store(Value&& value) {
    if constexpr (kCanWriteToSlots) {
      if (slots != nullptr) {
        slots[first + finished] = std::forward<Value>(value);
        return;
      }
    }
    results.values.push_back(Result(std::forward<Value>(value)));
  }

  /// execute() for the commonest case, tasks in a vector and results into their slots, with
  /// everything the loop needs in locals: the compiler cannot keep members in registers across
  /// the call to a task, and reloading them doubled the cost of an empty task
  /// (bench/overhead_bench.cpp, empty/joblet_threads_jobs2).
  void execute_into_slots(const std::atomic<bool>& stop, TaskContext& context) {
    const auto tasks = origin + static_cast<Difference>(first);
    Result* const out = slots + first;
    const std::size_t index = first;
    const std::size_t n = count;
    std::size_t i = 0;
    try {
      for (; i < n && !stop.load(std::memory_order_relaxed); ++i) {
        context.index = index + i;
        context.rng.reset();
        out[i] = tasks[static_cast<Difference>(i)]();
      }
    } catch (...) {
      const auto& task = tasks[static_cast<Difference>(i)];
      error = capture_task_error(index + i, task_name(task), task_call(task));
    }
    finished = i;
  }

  template <class T>
  void run(T&& task, std::size_t i) {
    try {
      if constexpr (kCanWriteToSlots) {
        if (slots != nullptr) {
          slots[first + i] = task();
          return;
        }
      }
      if constexpr (on_failure == OnFailure::record && std::is_void_v<R>) {
        results.add([&task] {
          task();
          return Outcome<void>();
        });
      } else {
        results.add([&task]() -> Result { return task(); });
      }
    } catch (...) {
      auto failure = capture_task_error(first + i, task_name(task), task_call(task));
      if constexpr (on_failure == OnFailure::record) {
        results.values.push_back(Result::failure(std::move(failure)));
      } else {
        error = std::move(failure);
      }
    }
  }

  std::uint64_t seed_;
  int inner_threads_;
};

}  // namespace joblet::detail
