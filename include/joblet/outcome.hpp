// joblet — Outcome<R>: one task's value or its TaskError, as Parallel::try_run returns them.
#pragma once

#include <exception>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <variant>

#include "errors.hpp"

namespace joblet {

namespace detail {
[[noreturn]] void throw_outcome_has_value();
const TaskError& task_error_in(const std::exception_ptr& error);
}  // namespace detail

/// The value a task returned, or the TaskError (or TaskTimeout, ...) that ended it.
///
///     for (auto& outcome : joblet::Parallel(-1).try_run(tasks))
///       if (outcome) use(*outcome); else log(outcome.error().what());
template <class R>
class Outcome {
 public:
  using value_type = R;

  /// A task that returned `value`.
  Outcome(R value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT(*-explicit-*)

  /// A task that failed; `error` holds a TaskError or a type derived from it.
  static Outcome failure(std::exception_ptr error) { return Outcome(std::move(error)); }

  [[nodiscard]] bool has_value() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  /// The value; rethrows the task's error when it failed.
  R& value() & { return check(), std::get<0>(state_); }
  [[nodiscard]] const R& value() const& { return check(), std::get<0>(state_); }
  R&& value() && { return check(), std::get<0>(std::move(state_)); }

  R& operator*() & { return value(); }
  const R& operator*() const& { return value(); }
  R* operator->() { return &value(); }
  const R* operator->() const { return &value(); }

  /// The error of a failed task; std::logic_error when the task succeeded.
  [[nodiscard]] const TaskError& error() const { return detail::task_error_in(exception()); }

  /// The error as an exception_ptr (null when the task succeeded), to rethrow it.
  [[nodiscard]] std::exception_ptr exception() const noexcept {
    return has_value() ? nullptr : std::get<1>(state_);
  }

 private:
  explicit Outcome(std::exception_ptr error) : state_(std::in_place_index<1>, std::move(error)) {}

  void check() const {
    if (!has_value()) std::rethrow_exception(std::get<1>(state_));
  }

  std::variant<R, std::exception_ptr> state_;
};

/// The outcome of a task that returns nothing: success, or its TaskError.
template <>
class Outcome<void> {
 public:
  using value_type = void;

  Outcome() = default;
  static Outcome failure(std::exception_ptr error) {
    Outcome outcome;
    outcome.error_ = std::move(error);
    return outcome;
  }

  [[nodiscard]] bool has_value() const noexcept { return error_ == nullptr; }
  explicit operator bool() const noexcept { return has_value(); }

  /// Rethrows the task's error when it failed.
  void value() const {
    if (error_) std::rethrow_exception(error_);
  }

  [[nodiscard]] const TaskError& error() const { return detail::task_error_in(error_); }
  [[nodiscard]] std::exception_ptr exception() const noexcept { return error_; }

 private:
  std::exception_ptr error_;
};

}  // namespace joblet
