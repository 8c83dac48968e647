#include "joblet/detail/task_codec.hpp"

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>

namespace joblet::detail {

const TaskKind& task_kind_at(const FunctionId& id) {
  // The address comes from another process's bytes: until the magic is seen it may point
  // anywhere in the module, so it is read as bytes, and only where a TaskKind could start.
  const void* address = function_address(id);
  std::uint64_t magic = 0;
  const bool aligned = std::bit_cast<std::uintptr_t>(address) % alignof(TaskKind) == 0;
  if (aligned) std::memcpy(&magic, address, sizeof magic);
  if (magic != kTaskKindMagic) {
    throw NotSerializable("joblet: no task kind at module " + std::to_string(id.module) +
                          " offset " + std::to_string(id.offset) +
                          ": the processes do not run the same program");
  }
  return *static_cast<const TaskKind*>(address);
}

void write_current_failure(OutputArchive& out) {
  const auto [type, message] = describe_current_exception();
  out(TaskStatus::failed, type, message);
}

void throw_unknown_status(TaskStatus status) {
  throw MalformedBytes("joblet: malformed bytes: a result record with status " +
                       std::to_string(static_cast<int>(status)) + " (0 is a value, 1 a failure)");
}

void throw_function_cannot_travel(const std::string& task_name, const std::string& function_type,
                                  bool is_lambda) {
  throw NotSerializable(
      "joblet: the function of task " + task_name + " cannot cross a process boundary: " +
      (is_lambda ? "it is a lambda that captures variables. Pass the captured values as "
                   "arguments of joblet::delayed(fn, args...) instead, and let the lambda "
                   "capture nothing"
                 : "its type " + function_type +
                       " has state that cereal cannot write. Give it a serialize(Archive&) "
                       "member, or pass its state as arguments"));
}

void throw_argument_cannot_travel(const std::string& task_name, std::size_t position,
                                  const std::string& argument_type) {
  throw NotSerializable(
      "joblet: argument " + std::to_string(position) + " of task " + task_name + " has type " +
      argument_type +
      ", which cannot cross a process boundary. Give it `template <class Archive> void "
      "serialize(Archive& ar) { ar(member1, member2); }` (cereal) or a Boost.Serialization "
      "serialize(Archive&, unsigned); pass values rather than pointers or std::ref; share large "
      "read-only data with joblet::share()");
}

void throw_result_cannot_travel(const std::string& result_type) {
  throw NotSerializable("joblet: tasks return " + result_type +
                        ", which cannot cross a process boundary. Give it `template <class "
                        "Archive> void serialize(Archive& ar)` (cereal) or a "
                        "Boost.Serialization serialize(Archive&, unsigned), or return a value "
                        "made of standard types");
}

void throw_not_a_delayed(const std::string& task_type) {
  throw NotSerializable("joblet: tasks of type " + task_type +
                        " cannot cross a process boundary: make them with "
                        "joblet::delayed(fn, args...), or hold them in a joblet::Task");
}

}  // namespace joblet::detail
