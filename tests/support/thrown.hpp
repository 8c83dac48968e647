// Runs a call that should throw and hands back the exception, so a test can look at it.
#pragma once

#include <optional>

namespace joblet::testing {

/// The Error that `call` threw, or nullopt when it threw nothing.
template <class Error, class Call>
std::optional<Error> thrown(Call&& call) {
  try {
    call();
  } catch (const Error& error) {
    return error;
  }
  return std::nullopt;
}

}  // namespace joblet::testing
