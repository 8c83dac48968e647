// joblet — delayed(fn, args...): a task, written as the call it will make.
#pragma once

#include <concepts>
#include <cstddef>
#include <functional>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "detail/describe.hpp"

namespace joblet {

namespace detail {

template <class T>
decltype(auto) unwrap(T& argument) noexcept {
  if constexpr (is_reference_wrapper<std::remove_const_t<T>>::value) {
    return argument.get();
  } else {
    return (argument);
  }
}

template <class T>
using unwrapped_t = decltype(unwrap(std::declval<T&>()));

}  // namespace detail

/// A call to make later: a copy of the function and of each argument.
///
/// Arguments are stored decayed, as std::bind stores them; pass std::ref(x) / std::cref(x)
/// to hand the function a reference instead (the referent must outlive the run). Invoking a
/// Delayed calls the function with its stored arguments as lvalues, so it can run again.
template <class F, class... Args>
class Delayed {
 public:
  using function_type = F;
  using arguments_type = std::tuple<Args...>;
  using result_type = std::invoke_result_t<F&, detail::unwrapped_t<Args>...>;

  /// Use joblet::delayed(fn, args...) rather than this.
  template <class G, class... A>
  Delayed(std::in_place_t /*tag*/, G&& fn, A&&... args)
      : fn_(std::forward<G>(fn)), args_(std::forward<A>(args)...) {}

  result_type operator()() & {
    return std::apply(
        [this](auto&... args) -> result_type { return std::invoke(fn_, detail::unwrap(args)...); },
        args_);
  }

  result_type operator()()
      const& requires std::invocable<const F&, detail::unwrapped_t<const Args>...> {
    return std::apply(
        [this](const auto&... args) -> result_type {
          return std::invoke(fn_, detail::unwrap(args)...);
        },
        args_);
  }

  [[nodiscard]] const F& function() const noexcept { return fn_; }
  [[nodiscard]] const arguments_type& arguments() const noexcept { return args_; }

  /// The function's name, e.g. "chi2"; a lambda or function object is named by its type.
  [[nodiscard]] std::string name() const { return detail::callable_name(fn_); }

  /// The call with its arguments where they can be printed, e.g. "chi2(47.3, 0.31, <RvData>)".
  [[nodiscard]] std::string call() const {
    std::ostringstream out;
    out << name() << '(';
    std::apply(
        [&out](const auto&... args) {
          [[maybe_unused]] const char* separator = "";
          ((out << separator, detail::write_argument(out, args), separator = ", "), ...);
        },
        args_);
    out << ')';
    return out.str();
  }

 private:
  F fn_;
  arguments_type args_;
};

/// A task that will call `fn(args...)`: function pointers, lambdas, function objects, and
/// member-function pointers with the object (or a pointer or std::ref to it) as first argument.
///
///     tasks.push_back(joblet::delayed(chi2, period, ecc));
template <class F, class... Args>
[[nodiscard]] auto delayed(F&& fn, Args&&... args) {
  static_assert(std::invocable<std::decay_t<F>&, detail::unwrapped_t<std::decay_t<Args>>...>,
                "joblet::delayed(fn, args...): fn cannot be called with these arguments. Check "
                "their number and types; a member function needs the object first; pass "
                "std::ref(x) where fn takes a non-const reference.");
  return Delayed<std::decay_t<F>, std::decay_t<Args>...>(std::in_place, std::forward<F>(fn),
                                                         std::forward<Args>(args)...);
}

namespace detail {

template <class T>
struct is_delayed : std::false_type {};
template <class F, class... Args>
struct is_delayed<Delayed<F, Args...>> : std::true_type {};

}  // namespace detail

}  // namespace joblet
