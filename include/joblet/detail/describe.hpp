// How a task is written in messages: its function's name and its call with arguments.
#pragma once

#include <concepts>
#include <functional>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>

#include "type_name.hpp"

namespace joblet::detail {

template <class T>
concept Printable = requires(std::ostream& out, const T& value) {
  out << value;
};

template <class T>
struct is_reference_wrapper : std::false_type {};
template <class T>
struct is_reference_wrapper<std::reference_wrapper<T>> : std::true_type {};

/// Longest text one argument takes in a message; longer ones are cut with "...".
inline constexpr std::size_t kMaxArgumentText = 60;

void write_clipped(std::ostream& out, std::string_view text);

template <class T>
void write_argument(std::ostream& out, const T& value) {
  if constexpr (is_reference_wrapper<T>::value) {
    out << "std::ref(";
    write_argument(out, value.get());
    out << ')';
  } else if constexpr (std::is_same_v<T, bool>) {
    out << (value ? "true" : "false");
  } else if constexpr (std::is_convertible_v<const T&, std::string_view>) {
    out << '"';
    write_clipped(out, std::string_view(value));
    out << '"';
  } else if constexpr (Printable<T> && !std::is_pointer_v<T>) {
    std::ostringstream text;
    text << value;
    write_clipped(out, text.str());
  } else {
    out << '<' << type_name<T>() << '>';
  }
}

/// The name of a callable: the function's own name for a function pointer, the type's for
/// anything else (a lambda reads "main::{lambda(double)#1}").
template <class F>
std::string callable_name(const F& fn) {
  if constexpr (std::is_pointer_v<F> && std::is_function_v<std::remove_pointer_t<F>>) {
    // POSIX guarantees that a function pointer fits in a void*, which dladdr takes.
    std::string name = function_name(reinterpret_cast<const void*>(fn));  // NOLINT
    return name.empty() ? type_name<F>() : name;
  } else {
    return type_name<F>();
  }
}

template <class T>
concept Describable = requires(const T& task) {
  { task.name() } -> std::convertible_to<std::string>;
  { task.call() } -> std::convertible_to<std::string>;
};

/// Name of any task: Delayed and Task say it themselves; other callables by their type.
template <class T>
std::string task_name(const T& task) {
  if constexpr (Describable<T>) {
    return task.name();
  } else {
    return callable_name(task);
  }
}

template <class T>
std::string task_call(const T& task) {
  if constexpr (Describable<T>) {
    return task.call();
  } else {
    return callable_name(task) + "()";
  }
}

}  // namespace joblet::detail
