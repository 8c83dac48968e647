// The deep serializability trait behind joblet::Transportable, and the Boost.Serialization
// bridge that lets cereal archives carry types only Boost can write.
#pragma once

#include <array>
#include <boost/archive/binary_oarchive.hpp>
#include <cereal/types/array.hpp>
#include <cereal/types/bitset.hpp>
#include <cereal/types/chrono.hpp>
#include <cereal/types/complex.hpp>
#include <cereal/types/deque.hpp>
#include <cereal/types/forward_list.hpp>
#include <cereal/types/list.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/memory.hpp>
#include <cereal/types/optional.hpp>
#include <cereal/types/set.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/tuple.hpp>
#include <cereal/types/unordered_map.hpp>
#include <cereal/types/unordered_set.hpp>
#include <cereal/types/utility.hpp>
#include <cereal/types/variant.hpp>
#include <cereal/types/vector.hpp>
#include <complex>
#include <deque>
#include <forward_list>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

#include "archive.hpp"
#include "boost_input_archive.hpp"

namespace joblet {

namespace detail {

/// Stands in for an archive when asking what a serialize() member accepts.
struct AnyArchive {
  template <class T>
  AnyArchive& operator&(const T& /*value*/);
  template <class... T>
  void operator()(const T&... /*values*/);
};

/// A member serialize(Archive&, unsigned) and no cereal-style serialize(Archive&): Boost's
/// intrusive form, which cereal would call with a cereal archive and may not compile.
template <class T>
concept BoostStyleMember = requires(T& value, AnyArchive& archive) {
  value.serialize(archive, 0U);
}
&&!requires(T & value, AnyArchive& archive) {
  value.serialize(archive);
};

}  // namespace detail

/// True for types to write with Boost.Serialization rather than cereal: automatically for a
/// member serialize(Archive&, unsigned); specialize it as true for a type whose Boost support
/// is a non-member serialize() in namespace boost::serialization.
template <class T>
inline constexpr bool serialize_with_boost = detail::BoostStyleMember<T>;

namespace detail {

template <class T>
concept UsesBoost = std::is_class_v<T> && serialize_with_boost<T>;

/// Writes `value` with Boost.Serialization into a string that a cereal archive then carries.
template <class T>
std::string to_boost_bytes(const T& value) {
  std::ostringstream bytes;
  {
    boost::archive::binary_oarchive archive(bytes, boost::archive::no_header);
    archive << value;
  }
  return std::move(bytes).str();
}

template <class T>
void from_boost_bytes(const std::string& text, T& value) {
  std::istringstream bytes(text);
  BoostInputArchive archive(bytes, text.size());
  archive >> value;
}

template <class T>
concept CerealWritable = cereal::traits::is_output_serializable<T, OutputArchive>::value &&
    cereal::traits::is_input_serializable<T, InputArchive>::value;

/// Whether T can travel, looking through the standard wrappers to their elements.
template <class T>
struct transportable
    : std::bool_constant<std::is_arithmetic_v<T> || std::is_enum_v<T> || UsesBoost<T> ||
                         (std::is_class_v<T> && std::default_initializable<T> &&
                          CerealWritable<T>)> {};

template <class T>
struct transportable<T*> : std::false_type {};
template <class T>
struct transportable<std::reference_wrapper<T>> : std::false_type {};
template <class R, class... A>
struct transportable<std::function<R(A...)>> : std::false_type {};

template <class T>
struct transportable<const T> : transportable<T> {};

template <class... Ts>
struct all_transportable : std::bool_constant<(transportable<Ts>::value && ...)> {};

template <class C, class T, class A>
struct transportable<std::basic_string<C, T, A>> : std::bool_constant<std::is_arithmetic_v<C>> {};
template <class T, class A>
struct transportable<std::vector<T, A>> : transportable<T> {};
template <class T, class A>
struct transportable<std::deque<T, A>> : transportable<T> {};
template <class T, class A>
struct transportable<std::list<T, A>> : transportable<T> {};
template <class T, class A>
struct transportable<std::forward_list<T, A>> : transportable<T> {};
template <class T, std::size_t N>
struct transportable<std::array<T, N>> : transportable<T> {};
template <class K, class C, class A>
struct transportable<std::set<K, C, A>> : transportable<K> {};
template <class K, class C, class A>
struct transportable<std::multiset<K, C, A>> : transportable<K> {};
template <class K, class H, class E, class A>
struct transportable<std::unordered_set<K, H, E, A>> : transportable<K> {};
template <class K, class H, class E, class A>
struct transportable<std::unordered_multiset<K, H, E, A>> : transportable<K> {};
template <class K, class V, class C, class A>
struct transportable<std::map<K, V, C, A>> : all_transportable<K, V> {};
template <class K, class V, class C, class A>
struct transportable<std::multimap<K, V, C, A>> : all_transportable<K, V> {};
template <class K, class V, class H, class E, class A>
struct transportable<std::unordered_map<K, V, H, E, A>> : all_transportable<K, V> {};
template <class K, class V, class H, class E, class A>
struct transportable<std::unordered_multimap<K, V, H, E, A>> : all_transportable<K, V> {};
template <class A, class B>
struct transportable<std::pair<A, B>> : all_transportable<A, B> {};
template <class... Ts>
struct transportable<std::tuple<Ts...>> : all_transportable<Ts...> {};
template <class T>
struct transportable<std::optional<T>> : transportable<T> {};
template <class... Ts>
struct transportable<std::variant<Ts...>> : all_transportable<Ts...> {};
template <class T>
struct transportable<std::complex<T>> : transportable<T> {};
template <class T>
struct transportable<std::unique_ptr<T>> : transportable<T> {};
template <class T>
struct transportable<std::shared_ptr<T>> : transportable<T> {};
template <class T>
struct transportable<std::unique_ptr<T[]>> : std::false_type {};

/// A task's function: a function pointer (found again in the worker by its place in the
/// program), a function object with no state (made anew there), or one cereal can write.
template <class F>
inline constexpr bool kTransportableFunction = (std::is_pointer_v<F> &&
                                                std::is_function_v<std::remove_pointer_t<F>>) ||
                                               (std::is_class_v<F> && std::is_empty_v<F> &&
                                                std::default_initializable<F>) ||
                                               (std::is_class_v<F> && transportable<F>::value);

// ######################################################################
// Compile-time checks that name the type, for require_transportable<T>().

template <class T>
struct NotTransportable {
  static_assert(transportable<T>::value,
                "joblet: this type cannot cross a process boundary (its name is in the "
                "'required from' / 'NotTransportable<...>' lines of this error). Give it "
                "`template <class Archive> void serialize(Archive& ar) { ar(member1, member2); }` "
                "(cereal) or a Boost.Serialization serialize(Archive&, unsigned); pass values, "
                "not pointers or references; share large read-only data with joblet::share().");
  static constexpr bool value = true;
};

template <class F>
struct FunctionNotTransportable {
  static_assert(kTransportableFunction<F>,
                "joblet: this task's function cannot cross a process boundary: it is a lambda "
                "that captures variables, or a function object cereal cannot write. Pass the "
                "captured values as arguments of joblet::delayed(fn, args...) instead, and make "
                "fn a function or a lambda without captures.");
  static constexpr bool value = true;
};

template <std::size_t Position, class Argument>
struct ArgumentNotTransportable {
  static_assert(transportable<Argument>::value,
                "joblet: a task argument cannot cross a process boundary (its position and "
                "type are in the 'ArgumentNotTransportable<position, type>' line of this "
                "error). Give the type `template <class Archive> void serialize(Archive& ar)` "
                "(cereal) or a Boost.Serialization serialize(Archive&, unsigned); pass values, "
                "not pointers or std::ref; share large read-only data with joblet::share().");
  static constexpr bool value = true;
};

/// Task types (joblet::Delayed) opt into a finer check by specializing this.
template <class T>
struct TaskParts {
  static constexpr bool kIsTask = false;
};

template <class T>
constexpr void check_transportable() {
  if constexpr (TaskParts<T>::kIsTask) {
    TaskParts<T>::check();
  } else {
    static_assert(NotTransportable<T>::value);
  }
}

}  // namespace detail
}  // namespace joblet

// ######################################################################
// cereal writes Boost-only types by carrying Boost's bytes; the specialization stops cereal
// from also trying a member serialize(Archive&, unsigned) as its own versioned serialize.
namespace cereal {

template <class Archive, class T>
requires joblet::detail::UsesBoost<T>
struct specialize<Archive, T, specialization::non_member_load_save> {
};

template <class T>
requires joblet::detail::UsesBoost<T>
void CEREAL_SAVE_FUNCTION_NAME(joblet::detail::OutputArchive& archive, const T& value) {
  archive(joblet::detail::to_boost_bytes(value));
}

template <class T>
requires joblet::detail::UsesBoost<T>
void CEREAL_LOAD_FUNCTION_NAME(joblet::detail::InputArchive& archive, T& value) {
  std::string bytes;
  archive(bytes);
  joblet::detail::from_boost_bytes(bytes, value);
}

}  // namespace cereal
