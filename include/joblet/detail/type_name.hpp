// Readable names of types and functions for messages.
#pragma once

#include <string>
#include <typeinfo>

namespace joblet::detail {

/// The demangled form of a name from std::type_info::name().
[[nodiscard]] std::string demangle(const char* mangled);

template <class T>
[[nodiscard]] std::string type_name() {
  return demangle(typeid(T).name());
}

/// The name of the function at `address` ("chi2", "orbit::solve") when the dynamic linker
/// knows it, else an empty string. joblet::joblet links programs with -rdynamic so that it
/// knows the functions of the program itself.
[[nodiscard]] std::string function_name(const void* address);

/// The exception being handled, as a message names it: its demangled type ("an exception of
/// unknown type" when that cannot be known) and its what() (empty for a non-std exception).
/// Call only inside a catch handler.
struct CurrentException {
  std::string type;
  std::string message;
};
[[nodiscard]] CurrentException describe_current_exception();

}  // namespace joblet::detail
