// Tasks and results as bytes, and how another process finds a task's code without any
// registration macro.
//
// Every task type that is written has a kind: a constant object holding the functions that
// read a task of that type, run it and write its result. A task is written as the place of its
// kind in the program (a FunctionId, the same in every process of the program), then the task;
// a worker finds the kind at that place and calls it.
#pragma once

#include <bit>
#include <concepts>
#include <cstdint>
#include <exception>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "../delayed.hpp"
#include "../errors.hpp"
#include "archive.hpp"
#include "function_id.hpp"
#include "transportable.hpp"
#include "type_name.hpp"

namespace joblet::detail {

/// What a worker does with a task of one kind: read it from `in`, run it, append its result
/// record to `out`. `rewrite` reads a task and writes it again (the round-trip check).
struct TaskKind {
  std::uint64_t magic;
  void (*run)(InputArchive& in, OutputArchive& out);
  void (*rewrite)(InputArchive& in, OutputArchive& out);
};

/// Marks a TaskKind, so that a worker can tell a kind from other memory.
inline constexpr std::uint64_t kTaskKindMagic = 0x6a6f626c65744b44ULL;  // "jobletKD"

/// The kind at `id` in this process; NotSerializable when there is none.
[[nodiscard]] const TaskKind& task_kind_at(const FunctionId& id);

/// Whether a task's result record holds a value or the task's failure.
enum class TaskStatus : std::uint8_t { ok = 0, failed = 1 };
/// A result record whose status byte is neither: MalformedBytes.
[[noreturn]] void throw_unknown_status(TaskStatus status);

/// Appends a failure record for the exception being handled. Call only in a catch block.
void write_current_failure(OutputArchive& out);

template <class F>
void write_function(OutputArchive& out, const F& fn) {
  if constexpr (std::is_pointer_v<F>) {
    out(function_id(std::bit_cast<const void*>(fn)));
  } else if constexpr (!(std::is_empty_v<F> && std::default_initializable<F>)) {
    out(fn);
  }
}

template <class F>
F read_function(InputArchive& in) {
  if constexpr (std::is_pointer_v<F>) {
    FunctionId id;
    in(id);
    return std::bit_cast<F>(function_address(id));
  } else if constexpr (std::is_empty_v<F> && std::default_initializable<F>) {
    return F{};  // a lambda without captures: the same code in every process
  } else {
    F fn;
    in(fn);
    return fn;
  }
}

template <class F, class... Args>
void write_task(OutputArchive& out, const Delayed<F, Args...>& task) {
  write_function(out, task.function());
  if constexpr (sizeof...(Args) > 0) {
    std::apply([&out](const auto&... arguments) { out(arguments...); }, task.arguments());
  }
}

template <class D>
D read_task(InputArchive& in);

template <class F, class... Args>
struct TaskReader {
  static Delayed<F, Args...> read(InputArchive& in) {
    F fn = read_function<F>(in);
    std::tuple<Args...> arguments;
    if constexpr (sizeof...(Args) > 0) {
      std::apply([&in](auto&... each) { in(each...); }, arguments);
    }
    return std::apply(
        [&fn](auto&... each) {
          return Delayed<F, Args...>(std::in_place, std::move(fn), std::move(each)...);
        },
        arguments);
  }
};

template <class D>
struct ReaderOf;
template <class F, class... Args>
struct ReaderOf<Delayed<F, Args...>> : TaskReader<F, Args...> {};

template <class D>
D read_task(InputArchive& in) {
  return ReaderOf<D>::read(in);
}

/// A Delayed that can travel: its function and every argument.
template <class T>
inline constexpr bool kTaskTravels = false;
template <class F, class... Args>
// NOLINTBEGIN(misc-redundant-expression): a fold over Args, not one expression twice
inline constexpr bool kTaskTravels<Delayed<F, Args...>> = kTransportableFunction<F> &&
                                                          (transportable<Args>::value && ...);
// NOLINTEND(misc-redundant-expression)

/// Reads a task of type D, runs it as a task returning R, writes its result record. A task
/// that cannot even be read (its function is not in this process) fails like one that throws.
template <class D, class R>
void run_task(InputArchive& in, OutputArchive& out) {
  const std::size_t mark = out.size();
  try {
    D task = read_task<D>(in);
    if constexpr (std::is_void_v<R>) {
      task();
      out(TaskStatus::ok);
    } else {
      R result = static_cast<R>(task());
      out(TaskStatus::ok, result);
    }
  } catch (...) {
    out.truncate(mark);  // a result that failed half-way through writing
    write_current_failure(out);
  }
}

template <class D>
void rewrite_task(InputArchive& in, OutputArchive& out) {
  write_task(out, read_task<D>(in));
}

/// The kind of tasks of type D run for a result of type R: constant data, at the same place of
/// the program in every process.
template <class D, class R>
inline constexpr TaskKind kKindOf{kTaskKindMagic, &run_task<D, R>, &rewrite_task<D>};

template <class D, class R>
void write_kind(OutputArchive& out) {
  out(function_id(&kKindOf<D, R>));
}

/// Throws NotSerializable naming what in a task of type T cannot travel, and how to fix it.
template <class T>
[[noreturn]] void throw_cannot_travel(const T& task);

[[noreturn]] void throw_function_cannot_travel(const std::string& task_name,
                                               const std::string& function_type, bool is_lambda);
[[noreturn]] void throw_argument_cannot_travel(const std::string& task_name, std::size_t position,
                                               const std::string& argument_type);
[[noreturn]] void throw_not_a_delayed(const std::string& task_type);
[[noreturn]] void throw_result_cannot_travel(const std::string& result_type);

template <class F, class... Args>
[[noreturn]] void throw_delayed_cannot_travel(const Delayed<F, Args...>& task) {
  if constexpr (!kTransportableFunction<F>) {
    const std::string function_type = type_name<F>();
    throw_function_cannot_travel(task.name(), function_type,
                                 function_type.find("{lambda") != std::string::npos);
  } else {
    std::size_t position = 0;
    const auto check = [&]<class Argument>(std::type_identity<Argument> /*argument*/) {
      ++position;
      if (!transportable<Argument>::value) {
        throw_argument_cannot_travel(task.name(), position, type_name<Argument>());
      }
    };
    (check(std::type_identity<Args>{}), ...);
  }
  throw std::logic_error("joblet: internal error: " + type_name<Delayed<F, Args...>>() +
                         " was reported as unable to travel, but every part of it can");
}

template <class T>
[[noreturn]] void throw_cannot_travel(const T& task) {
  if constexpr (is_delayed<T>::value) {
    throw_delayed_cannot_travel(task);
  } else {
    throw_not_a_delayed(type_name<T>());
  }
}

/// Writes one task of a batch: its kind, then the task. Throws NotSerializable for a task that
/// cannot travel.
template <class R, class T>
void write_element(OutputArchive& out, const T& task) {
  if constexpr (requires { task.write_to(out); }) {
    task.write_to(out);  // a Task<R>, which knows its own kind
  } else if constexpr (!std::is_void_v<R> && !transportable<R>::value) {
    // Not even instantiated: the worker's side would write R with cereal, which cannot, and a
    // run on threads would not compile either.
    throw_result_cannot_travel(type_name<R>());
  } else if constexpr (kTaskTravels<T>) {
    write_kind<T, R>(out);
    write_task(out, task);
  } else {
    throw_cannot_travel(task);
  }
}

// ######################################################################
// The compile-time check of require_transportable<T>() for tasks.

template <class F, class... Args>
struct TaskParts<Delayed<F, Args...>> {
  static constexpr bool kIsTask = true;
  static constexpr void check() {
    static_assert(FunctionNotTransportable<F>::value);
    check_arguments(std::index_sequence_for<Args...>{});
  }
  template <std::size_t... I>
  static constexpr void check_arguments(std::index_sequence<I...> /*positions*/) {
    static_assert((ArgumentNotTransportable<I + 1, Args>::value && ...));
  }
};

}  // namespace joblet::detail
