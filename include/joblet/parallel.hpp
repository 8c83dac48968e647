// joblet — Parallel: runs a range of tasks and gives back their results in order.
#pragma once

#include <concepts>
#include <cstddef>
#include <memory>
#include <optional>
#include <ranges>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "delayed.hpp"
#include "detail/run.hpp"
#include "detail/settings.hpp"
#include "generator.hpp"
#include "options.hpp"
#include "outcome.hpp"
#include "task.hpp"

namespace joblet {

namespace detail {

/// A range whose elements are tasks: callables that take no arguments.
template <class Range>
concept RangeOfTasks = std::ranges::input_range<Range> &&
                       std::invocable < std::remove_cvref_t<std::ranges::range_reference_t<Range>>
& > &&std::invocable<std::ranges::range_reference_t<Range>>;

template <class Tasks>
inline constexpr bool kIsRangeOfTasks = RangeOfTasks<std::remove_reference_t<Tasks>>;

template <class Tasks>
constexpr void check_tasks() {
  static_assert(std::ranges::input_range<std::remove_reference_t<Tasks>>,
                "joblet::Parallel: pass a range of tasks, e.g. a std::vector of "
                "joblet::delayed(fn, args...), or a lazy view that makes them.");
  static_assert(!std::ranges::input_range<std::remove_reference_t<Tasks>> || kIsRangeOfTasks<Tasks>,
                "joblet::Parallel: each element must be a task callable with no arguments: "
                "write joblet::delayed(fn, args...), or call Parallel::map(fn, inputs).");
}

/// Whether fn takes the elements of a std::tuple or std::pair as its arguments.
template <class F, class T>
struct spreads : std::false_type {};
template <class F, class... Ts>
struct spreads<F, std::tuple<Ts...>> : std::bool_constant<std::invocable<F&, Ts&...>> {};
template <class F, class A, class B>
struct spreads<F, std::pair<A, B>> : std::bool_constant<std::invocable<F&, A&, B&>> {};

/// Turns each input x into delayed(fn, x), spreading a tuple or pair over fn's arguments.
template <class F>
struct MakeTask {
  F fn;

  template <class X>
  auto operator()(X&& x) const {
    if constexpr (spreads<F, std::remove_cvref_t<X>>::value) {
      return std::apply(
          [this](auto&&... elements) {
            return delayed(fn, std::forward<decltype(elements)>(elements)...);
          },
          std::forward<X>(x));
    } else {
      return delayed(fn, std::forward<X>(x));
    }
  }
};

template <class F, class Inputs>
auto as_tasks(F&& fn, Inputs&& inputs) {
  return std::views::transform(std::forward<Inputs>(inputs),
                               MakeTask<std::decay_t<F>>{std::forward<F>(fn)});
}

template <class Run>
auto collect(Run& run) {
  using Result = typename Run::BatchType::Result;
  if constexpr (std::is_void_v<Result>) {
    while (run.next() != nullptr) {
    }
  } else {
    if constexpr (Run::BatchType::kCanWriteToSlots) {
      if (run.can_write_to_slots()) {
        std::vector<Result> results(run.size().value_or(0));
        run.write_to_slots(results.data());
        while (run.next() != nullptr) {
        }
        return results;
      }
    }
    std::vector<Result> results;
    if (const auto size = run.size()) results.reserve(*size);
    while (auto* batch = run.next()) {
      for (auto&& value : batch->results.values)
        results.push_back(std::move(value));
    }
    return results;
  }
}

/// A run behind a Generator: owns the view of the input and walks the delivered batches.
template <class View, OnFailure on_failure>
class RunStream final : public ResultStream<task_result_t<View>> {
  using R = task_result_t<View>;

 public:
  RunStream(View view, const RunSettings& settings, Delivery delivery)
      : view_(std::move(view)), run_(view_, settings, delivery) {}

  std::optional<Indexed<R>> next() override {
    while (batch_ == nullptr || position_ == batch_->finished) {
      batch_ = run_.next();
      position_ = 0;
      if (batch_ == nullptr) return std::nullopt;
    }
    const std::size_t index = batch_->first + position_;
    if constexpr (std::is_void_v<R>) {
      ++position_;
      return Indexed<void>{index};
    } else {
      return Indexed<R>{index, std::move(batch_->results.values[position_++])};
    }
  }

 private:
  View view_;
  Run<View, on_failure> run_;
  typename Run<View, on_failure>::BatchType* batch_ = nullptr;
  std::size_t position_ = 0;
};

void throw_return_as_needs_imap(ReturnAs return_as);

}  // namespace detail

/// Runs tasks on the backend and worker count its Options choose (joblib's Parallel).
///
///     std::vector<double> chi = joblet::Parallel(-1)(tasks);      // all CPUs
///     auto same = joblet::Parallel({.n_jobs = 2, .progress = true}).map(chi2, periods);
///
/// Results come back in the order of the input whatever the backend and n_jobs. The first task
/// that throws stops the run: tasks not started are not started, running ones finish, and the
/// call throws a TaskError naming the task. A Parallel inside a task runs its tasks inline in
/// that task's thread (use kernels for parallelism inside a task). A Parallel object may run
/// any number of calls, one at a time.
class Parallel {
 public:
  /// Options from the enclosing joblet::Config scope, else the defaults (n_jobs = 1).
  Parallel();
  /// `n_jobs` workers (-1: all CPUs), other options from the scope or the defaults.
  explicit Parallel(int n_jobs);
  /// Throws std::invalid_argument for bad options, saying what to write instead.
  explicit Parallel(const Options& options);

  /// Runs every task of `tasks` (any input range: a std::vector, a lazy view, a single-pass
  /// range) and returns their results in input order, or nothing for tasks returning void.
  template <class Tasks>
  auto operator()(Tasks&& tasks) {
    detail::check_tasks<Tasks>();
    if constexpr (detail::kIsRangeOfTasks<Tasks>) {
      return run<detail::OnFailure::stop>(tasks);
    }
  }

  /// Runs every task, also past failures: each Outcome holds a result or the TaskError.
  template <class Tasks>
  auto try_run(Tasks&& tasks) {
    detail::check_tasks<Tasks>();
    if constexpr (detail::kIsRangeOfTasks<Tasks>) {
      return run<detail::OnFailure::record>(tasks);
    }
  }

  /// Results as a lazy range of Indexed<R>: in input order, or in completion order when
  /// Options::return_as is generator_unordered. See Generator.
  template <class Tasks>
  auto imap(Tasks&& tasks) {
    detail::check_tasks<Tasks>();
    if constexpr (detail::kIsRangeOfTasks<Tasks>) {
      using View = std::views::all_t<Tasks>;
      using R = detail::task_result_t<View>;
      const auto settings = detail::settings_for_this_thread(settings_);
      const auto delivery = settings.return_as == ReturnAs::generator_unordered
                                ? detail::Delivery::completion_order
                                : detail::Delivery::submission_order;
      return Generator<R>(std::make_unique<detail::RunStream<View, detail::OnFailure::stop>>(
          std::views::all(std::forward<Tasks>(tasks)), settings, delivery));
    }
  }

  /// Same as running delayed(fn, x) for each x of `inputs`; an input that is a std::tuple or
  /// std::pair is spread over fn's arguments when fn takes them so (see grid()).
  template <class F, std::ranges::input_range Inputs>
  auto map(F&& fn, Inputs&& inputs) {
    return (*this)(detail::as_tasks(std::forward<F>(fn), std::forward<Inputs>(inputs)));
  }

  /// map, also past failures, as try_run.
  template <class F, std::ranges::input_range Inputs>
  auto try_map(F&& fn, Inputs&& inputs) {
    return try_run(detail::as_tasks(std::forward<F>(fn), std::forward<Inputs>(inputs)));
  }

  /// map, lazily, as imap.
  template <class F, std::ranges::input_range Inputs>
  auto imap(F&& fn, Inputs&& inputs) {
    return imap(detail::as_tasks(std::forward<F>(fn), std::forward<Inputs>(inputs)));
  }

  /// Workers a call uses (1 for sequential).
  [[nodiscard]] int n_jobs() const noexcept { return static_cast<int>(settings_.workers); }
  /// The backend a call uses; never Backend::automatic.
  [[nodiscard]] Backend backend() const noexcept { return settings_.backend; }

 private:
  template <detail::OnFailure on_failure, class Range>
  auto run(Range& tasks) {
    if (settings_.return_as != ReturnAs::list)
      detail::throw_return_as_needs_imap(settings_.return_as);
    detail::Run<Range, on_failure> run(tasks, detail::settings_for_this_thread(settings_),
                                       detail::Delivery::submission_order);
    return detail::collect(run);
  }

  detail::RunSettings settings_;
};

}  // namespace joblet
