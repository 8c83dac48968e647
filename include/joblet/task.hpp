// joblet — Task<R>: any task returning R, so that one run can mix functions.
#pragma once

#include <concepts>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include "delayed.hpp"
#include "detail/task_codec.hpp"

namespace joblet {

namespace detail {

template <class R>
class TaskModel {
 public:
  TaskModel() = default;
  TaskModel(const TaskModel&) = delete;
  TaskModel& operator=(const TaskModel&) = delete;
  TaskModel(TaskModel&&) = delete;
  TaskModel& operator=(TaskModel&&) = delete;
  virtual ~TaskModel() = default;
  virtual R invoke() = 0;
  [[nodiscard]] virtual R invoke_const() const = 0;
  [[nodiscard]] virtual std::string name() const = 0;
  [[nodiscard]] virtual std::string call() const = 0;
  [[nodiscard]] virtual std::unique_ptr<TaskModel> clone() const = 0;
  /// Writes the held task's kind and the task; NotSerializable when it cannot travel.
  virtual void write_to(OutputArchive& out) const = 0;
  /// NotSerializable, as write_to would throw it, when the held task cannot travel.
  virtual void check_travels() const = 0;
};

template <class R, class D>
class DelayedModel final : public TaskModel<R> {
 public:
  explicit DelayedModel(D task) : task_(std::move(task)) {}
  R invoke() override { return static_cast<R>(task_()); }
  [[nodiscard]] R invoke_const() const override {
    if constexpr (std::invocable<const D&>) {
      return static_cast<R>(task_());
    } else {
      throw std::logic_error(
          "joblet::Task: this task's function object can only be called through a non-const "
          "Task (its operator() is not const)");
    }
  }
  [[nodiscard]] std::string name() const override { return task_.name(); }
  [[nodiscard]] std::string call() const override { return task_.call(); }
  [[nodiscard]] std::unique_ptr<TaskModel<R>> clone() const override {
    return std::make_unique<DelayedModel>(task_);
  }
  void write_to(OutputArchive& out) const override { write_element<R>(out, task_); }
  void check_travels() const override {
    if constexpr (!kTaskTravels<D>) throw_cannot_travel(task_);
  }

 private:
  D task_;
};

}  // namespace detail

/// Any task that returns R, whatever its function and arguments, so that one run can mix
/// functions: `std::vector<joblet::Task<double>> tasks{delayed(f, 1), delayed(g, "x")};`.
/// It crosses process boundaries like the Delayed it holds.
template <class R>
class Task {
 public:
  using result_type = R;

  /// Any Delayed whose result converts to R (for Task<void>, any Delayed).
  template <class F, class... Args>
  requires(std::is_void_v<R> || std::convertible_to<typename Delayed<F, Args...>::result_type, R>)
      Task(Delayed<F, Args...> task)  // NOLINT(*-explicit-*): a Delayed is a Task
      : model_(std::make_unique<detail::DelayedModel<R, Delayed<F, Args...>>>(std::move(task))) {}

  Task(const Task& other) : model_(other.model_->clone()) {}
  Task(Task&&) noexcept = default;
  Task& operator=(const Task& other) {
    if (this != &other) model_ = other.model_->clone();
    return *this;
  }
  Task& operator=(Task&&) noexcept = default;
  ~Task() = default;

  R operator()() & { return model_->invoke(); }
  R operator()() const& { return model_->invoke_const(); }

  [[nodiscard]] std::string name() const { return model_->name(); }
  [[nodiscard]] std::string call() const { return model_->call(); }

  /// Writes the task as bytes, its kind first (for the processes and mpi backends).
  void write_to(detail::OutputArchive& out) const { model_->write_to(out); }
  /// Throws NotSerializable when the held task cannot cross a process boundary.
  void check_travels() const { model_->check_travels(); }

 private:
  std::unique_ptr<detail::TaskModel<R>> model_;
};

}  // namespace joblet
