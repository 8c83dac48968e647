// The non-template parts of a run: the errors it makes.

#include <exception>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>

#include "joblet/detail/batch.hpp"
#include "joblet/detail/run.hpp"
#include "joblet/detail/type_name.hpp"
#include "joblet/errors.hpp"
#include "joblet/parallel.hpp"
#include "joblet/share.hpp"

namespace joblet::detail {

std::exception_ptr capture_task_error(std::size_t index, std::string task_name, std::string call) {
  auto [type, message] = describe_current_exception();
  try {
    std::throw_with_nested(TaskError(index, std::move(task_name), std::move(call), std::move(type),
                                     std::move(message)));
  } catch (...) {
    return std::current_exception();
  }
}

namespace {

/// A TaskError whose what() also says where the task ran.
class TaskErrorFrom final : public TaskError {
 public:
  TaskErrorFrom(std::size_t index, const std::string& task_name, const std::string& call,
                const std::string& exception_type, const std::string& message,
                const std::string& worker)
      : TaskError(index, task_name, call, exception_type, message,
                  std::string(TaskError(index, task_name, call, exception_type, message).what())
                      .append(" (on ")
                      .append(worker)
                      .append(")")) {}
};

}  // namespace

std::exception_ptr received_task_error(std::size_t index, std::string task_name, std::string call,
                                       std::string exception_type, std::string message,
                                       const std::string& worker) {
  if (worker.empty()) {
    return std::make_exception_ptr(TaskError(index, std::move(task_name), std::move(call),
                                             std::move(exception_type), std::move(message)));
  }
  return std::make_exception_ptr(
      TaskErrorFrom(index, task_name, call, exception_type, message, worker));
}

std::exception_ptr make_timeout_error(std::size_t index, std::string task_name,
                                      const std::string& call, const RunSettings& settings) {
  const char* note = settings.backend == Backend::threads
                         ? "the threads backend cannot stop a running thread: the task goes on in "
                           "the background and its result is dropped"
                         : "";
  return std::make_exception_ptr(
      TaskTimeout(index, std::move(task_name), call,
                  settings.timeout.value_or(std::chrono::duration<double>::zero()), note));
}

void throw_cannot_copy_tasks_for_timeout() {
  throw std::invalid_argument(
      "joblet: with Options::timeout the threads backend runs copies of the tasks (a task that "
      "times out outlives the call), and these tasks cannot be copied; make their arguments "
      "copyable (share large or move-only state through a std::shared_ptr), or drop the "
      "timeout");
}

namespace {

/// Serves the round trip both ways: Shared values written are found again when read.
class RoundTripShared final : public SharedOutbox, public SharedInbox {
 public:
  RoundTripShared() : outbox_(shared_outbox), inbox_(shared_inbox) {
    shared_outbox = this;
    shared_inbox = this;
  }
  ~RoundTripShared() override {
    shared_outbox = outbox_;
    shared_inbox = inbox_;
  }
  RoundTripShared(const RoundTripShared&) = delete;
  RoundTripShared& operator=(const RoundTripShared&) = delete;
  RoundTripShared(RoundTripShared&&) = delete;
  RoundTripShared& operator=(RoundTripShared&&) = delete;

  void refer(std::uint64_t id, std::shared_ptr<const void> value,
             void (* /*write*/)(const void* value, Bytes& bytes)) override {
    values_.emplace(id, std::move(value));
  }
  std::shared_ptr<const void> find(
      std::uint64_t id, const std::type_info& /*type*/,
      std::shared_ptr<const void> (* /*read*/)(std::span<const std::byte> bytes)) override {
    return values_.at(id);
  }

 private:
  std::map<std::uint64_t, std::shared_ptr<const void>> values_;
  SharedOutbox* outbox_;
  SharedInbox* inbox_;
};

/// Buffers kept on a thread from one call to the next, up to a size: a program whose tasks
/// take megabytes would otherwise get fresh pages for them at every call, a page fault each
/// (the allocator gives large freed blocks back to the kernel).
class KeptBuffer {
 public:
  explicit KeptBuffer(Bytes& bytes) : bytes_(&bytes) { bytes_->clear(); }
  ~KeptBuffer() {
    if (bytes_->capacity() > kKeptBytes) Bytes().swap(*bytes_);
  }
  KeptBuffer(const KeptBuffer&) = delete;
  KeptBuffer& operator=(const KeptBuffer&) = delete;
  KeptBuffer(KeptBuffer&&) = delete;
  KeptBuffer& operator=(KeptBuffer&&) = delete;

  Bytes& operator*() const noexcept { return *bytes_; }

 private:
  static constexpr std::size_t kKeptBytes = std::size_t{16} << 20U;
  Bytes* bytes_;
};

}  // namespace

void check_round_trip(const BatchBase& batch) {
  const RoundTripShared shared;
  thread_local Bytes written_buffer;
  thread_local Bytes again_buffer;
  const KeptBuffer kept_written(written_buffer);
  const KeptBuffer kept_again(again_buffer);
  Bytes& written = *kept_written;
  Bytes& again = *kept_again;
  {
    OutputArchive out(written);
    batch.write_task(out, 0);
  }
  InputArchive in(written);
  FunctionId kind;
  in(kind);
  OutputArchive out(again);
  out(kind);
  std::string problem;
  try {
    task_kind_at(kind).rewrite(in, out);
    if (in.remaining() != 0) problem = std::to_string(in.remaining()) + " bytes were left unread";
  } catch (const std::exception& error) {
    problem = error.what();
  }
  if (problem.empty() && again != written) problem = "the bytes written the second time differ";
  if (!problem.empty()) {
    const auto [name, call] = batch.describe(0);
    throw NotSerializable("joblet: task " + std::to_string(batch.first) + " " + call +
                          " does not survive being written and read back (" + problem +
                          "): check that the serialize() (or save and load) of each argument "
                          "reads the same members, in the same order, as it writes");
  }
}

void throw_return_as_needs_imap(ReturnAs return_as) {
  throw std::invalid_argument(
      std::string("joblet: Options::return_as = ") +
      (return_as == ReturnAs::generator ? "generator" : "generator_unordered") +
      " makes results a lazy range: call Parallel::imap(tasks) for it, or leave return_as = "
      "list to get a std::vector from Parallel::operator()");
}

}  // namespace joblet::detail
