// joblet — what can cross a process boundary: Transportable<T> and require_transportable<T>().
//
// Tasks run by Backend::processes (and mpi) travel as bytes: cereal's binary format for types
// cereal can write, Boost.Serialization for types that only Boost can. Standard containers,
// strings, pairs, tuples, optional, variant, smart pointers and arithmetic types work as they
// are; a class of yours needs one of
//
//     template <class Archive> void serialize(Archive& ar) { ar(x, y, z); }          // cereal
//     template <class Archive> void serialize(Archive& ar, unsigned) { ar & x & y; } // Boost
//
// A class whose Boost.Serialization support is a non-member serialize() in namespace
// boost::serialization says so with
//
//     template <> inline constexpr bool joblet::serialize_with_boost<MyType> = true;
#pragma once

#include "detail/transportable.hpp"

namespace joblet {

/// T, and every element of its containers, smart pointers, tuples, optionals and variants,
/// can be written and read as bytes. Unlike cereal's own trait this looks inside: a
/// std::vector of a type without serialize() is not Transportable, nor is a raw pointer.
template <class T>
concept Transportable = detail::transportable<std::remove_cv_t<T>>::value;

/// Fails to compile, naming T and the serialize() to add, unless T is Transportable. For code
/// that fixes its backend to processes or mpi at compile time: a task type that could not
/// cross a process boundary is then a compile error rather than a NotSerializable at run time.
/// `T` may be a task (joblet::delayed(...)'s type): its function and each argument are checked.
template <class T>
constexpr void require_transportable() {
  detail::check_transportable<T>();
}

}  // namespace joblet
