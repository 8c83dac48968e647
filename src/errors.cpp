#include "joblet/errors.hpp"

#include <csignal>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <utility>

#include "joblet/outcome.hpp"

namespace joblet {

struct TaskError::Details {
  std::size_t index;
  std::string task_name;
  std::string call;
  std::string exception_type;
  std::string message;
};

namespace {

// Built with append(): GCC 12 reports a false -Wrestrict for chains of operator+ on strings.
std::string task_said(std::size_t index, const std::string& call, const char* verb) {
  std::string text = "task ";
  text.append(std::to_string(index)).append(" ").append(call).append(" ").append(verb);
  return text;
}

std::string describe_failure(std::size_t index, const std::string& call,
                             const std::string& exception_type, const std::string& message) {
  std::string what = task_said(index, call, "threw ");
  what.append(exception_type);
  if (!message.empty()) what.append(": ").append(message);
  return what;
}

}  // namespace

TaskError::TaskError(std::size_t index, std::string task_name, std::string call,
                     std::string exception_type, std::string message)
    : Error(describe_failure(index, call, exception_type, message)),
      details_(std::make_shared<const Details>(Details{index, std::move(task_name), std::move(call),
                                                       std::move(exception_type),
                                                       std::move(message)})) {}

TaskError::TaskError(std::size_t index, std::string task_name, std::string call,
                     std::string exception_type, std::string message, const std::string& what)
    : Error(what),
      details_(std::make_shared<const Details>(Details{index, std::move(task_name), std::move(call),
                                                       std::move(exception_type),
                                                       std::move(message)})) {}

std::size_t TaskError::index() const noexcept {
  return details_->index;
}
const std::string& TaskError::task_name() const noexcept {
  return details_->task_name;
}
const std::string& TaskError::call() const noexcept {
  return details_->call;
}
const std::string& TaskError::exception_type() const noexcept {
  return details_->exception_type;
}
const std::string& TaskError::message() const noexcept {
  return details_->message;
}

namespace {

std::string seconds_text(std::chrono::duration<double> duration) {
  std::string text = std::to_string(duration.count());
  text.erase(text.find_last_not_of('0') + 1);
  if (text.back() == '.') text.pop_back();
  return text.append(" s");
}

std::string timeout_what(std::size_t index, const std::string& call,
                         std::chrono::duration<double> timeout, const std::string& note) {
  std::string what = task_said(index, call, "ran longer than the timeout of ");
  what.append(seconds_text(timeout));
  if (!note.empty()) what.append("; ").append(note);
  return what;
}

}  // namespace

TaskTimeout::TaskTimeout(std::size_t index, std::string task_name, const std::string& call,
                         std::chrono::duration<double> timeout, const std::string& note)
    : TaskError(index, std::move(task_name), call, "joblet::TaskTimeout",
                "ran longer than the timeout of " + seconds_text(timeout),
                timeout_what(index, call, timeout, note)),
      timeout_(timeout) {}

std::chrono::duration<double> TaskTimeout::timeout() const noexcept {
  return timeout_;
}

namespace {

std::string how_it_ended(int signal, int exit_code) {
  if (signal != 0) {
    const char* name = sigabbrev_np(signal);
    std::string text = "the worker was killed by signal ";
    text.append(name != nullptr ? std::string("SIG") + name : std::to_string(signal));
    if (const char* meaning = sigdescr_np(signal)) text.append(" (").append(meaning).append(")");
    return text;
  }
  return "the worker exited with status " + std::to_string(exit_code);
}

}  // namespace

WorkerCrashed::WorkerCrashed(std::size_t index, std::string task_name, const std::string& call,
                             int signal, int exit_code)
    : TaskError(index, std::move(task_name), call, "joblet::WorkerCrashed",
                how_it_ended(signal, exit_code),
                task_said(index, call, "crashed its worker: ") + how_it_ended(signal, exit_code)),
      signal_(signal),
      exit_code_(exit_code) {}

int WorkerCrashed::signal() const noexcept {
  return signal_;
}
int WorkerCrashed::exit_code() const noexcept {
  return exit_code_;
}

Interrupted::Interrupted(int signal)
    : Error(std::string("joblet: interrupted by ") +
            (sigabbrev_np(signal) != nullptr ? std::string("SIG") + sigabbrev_np(signal)
                                             : std::to_string(signal)) +
            ": dispatch stopped and every worker was killed"),
      signal_(signal) {}

int Interrupted::signal() const noexcept {
  return signal_;
}

namespace detail {

const TaskError& task_error_in(const std::exception_ptr& error) {
  if (!error) {
    throw std::logic_error(
        "joblet::Outcome::error(): the task succeeded; check has_value() before error()");
  }
  try {
    std::rethrow_exception(error);
  } catch (const TaskError& task_error) {
    // The exception object lives as long as `error` does, so the reference stays valid.
    return task_error;
  } catch (...) {
    throw std::logic_error("joblet::Outcome holds an error that is not a joblet::TaskError");
  }
}

}  // namespace detail
}  // namespace joblet
