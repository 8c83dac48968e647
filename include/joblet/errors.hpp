// joblet — the errors a run reports.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>

namespace joblet {

/// Base of every error that joblet itself reports.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A task failed. Parallel throws it in the caller; an Outcome holds it under try_run.
///
/// what() reads "task 17 chi2(47.3, 0.31) threw std::domain_error: no convergence".
/// Under sequential and threads the original exception is nested:
/// `std::rethrow_if_nested(error)` rethrows it with its own type.
class TaskError : public Error {
 public:
  /// `task_name` is the function ("chi2"), `call` the whole call with arguments where they
  /// can be printed ("chi2(47.3, 0.31)"), `exception_type` the demangled type of what the
  /// task threw, `message` its what().
  TaskError(std::size_t index, std::string task_name, std::string call, std::string exception_type,
            std::string message);

  /// Position of the task in the input range, counting from 0.
  [[nodiscard]] std::size_t index() const noexcept;
  /// The task's function, e.g. "chi2".
  [[nodiscard]] const std::string& task_name() const noexcept;
  /// The task's call with its arguments where they can be printed, e.g. "chi2(47.3, 0.31)".
  [[nodiscard]] const std::string& call() const noexcept;
  /// Demangled type of the exception the task threw, e.g. "std::domain_error".
  [[nodiscard]] const std::string& exception_type() const noexcept;
  /// what() of the exception the task threw.
  [[nodiscard]] const std::string& message() const noexcept;

 protected:
  TaskError(std::size_t index, std::string task_name, std::string call, std::string exception_type,
            std::string message, const std::string& what);

 private:
  struct Details;
  // Shared so that copying the exception, as std::exception_ptr and throw do, cannot throw.
  std::shared_ptr<const Details> details_;
};

/// A task ran longer than Options::timeout.
///
/// The threads backend cannot stop a running thread: the task goes on in the background and
/// its result is dropped. Sequential reports a task that returned after the timeout the same way.
class TaskTimeout : public TaskError {
 public:
  TaskTimeout(std::size_t index, std::string task_name, const std::string& call,
              std::chrono::duration<double> timeout, const std::string& note);

  /// The limit the task ran past.
  [[nodiscard]] std::chrono::duration<double> timeout() const noexcept;

 private:
  std::chrono::duration<double> timeout_;
};

/// A worker process died while running a task: a signal (SIGSEGV, SIGKILL, ...) or an exit.
/// The pool replaces the worker; under try_run the task's Outcome holds this error.
class WorkerCrashed : public TaskError {
 public:
  /// `signal` is the signal that ended the worker (0 if none), `exit_code` its exit status.
  WorkerCrashed(std::size_t index, std::string task_name, const std::string& call, int signal,
                int exit_code);

  /// The signal that ended the worker, or 0 when it exited.
  [[nodiscard]] int signal() const noexcept;
  /// The worker's exit status when it exited without a signal.
  [[nodiscard]] int exit_code() const noexcept;

 private:
  int signal_;
  int exit_code_;
};

/// A task cannot cross a process boundary: a function or argument that neither cereal nor
/// Boost.Serialization can write. Thrown before any task runs.
class NotSerializable : public Error {
 public:
  using Error::Error;
};

/// SIGINT or SIGTERM arrived during a run: dispatch stopped, the workers were killed, and
/// nothing is left running.
class Interrupted : public Error {
 public:
  explicit Interrupted(int signal);

  /// The signal that arrived.
  [[nodiscard]] int signal() const noexcept;

 private:
  int signal_;
};

}  // namespace joblet
