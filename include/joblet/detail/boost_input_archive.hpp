// Boost.Serialization's binary input archive with one change: a collection count or a string
// length larger than the bytes left is refused before anything is allocated, so bytes that
// are not what a worker wrote are a MalformedBytes, never a gigabyte allocation.
#pragma once

#include <boost/archive/binary_iarchive_impl.hpp>
#include <boost/serialization/array_optimization.hpp>
#include <boost/serialization/collection_size_type.hpp>
#include <cstddef>
#include <istream>
#include <string>

namespace joblet::detail {

class BoostInputArchive
    : public boost::archive::binary_iarchive_impl<BoostInputArchive, char, std::char_traits<char>> {
  using Base =
      boost::archive::binary_iarchive_impl<BoostInputArchive, char, std::char_traits<char>>;
  friend class boost::archive::detail::interface_iarchive<BoostInputArchive>;
  friend class boost::archive::basic_binary_iarchive<BoostInputArchive>;
  friend class boost::archive::basic_binary_iprimitive<BoostInputArchive, char,
                                                       std::char_traits<char>>;
  friend class boost::archive::load_access;

 public:
  /// Reads `stream`, which holds `size` bytes from where it stands now.
  BoostInputArchive(std::istream& stream, std::size_t size);

 private:
  template <class T>
  void load_override(T& value) {
    Base::load_override(value);
  }
  void load_override(boost::serialization::collection_size_type& count);

  template <class T>
  void load(T& value) {
    Base::load(value);
  }
  void load(std::string& text);

  /// Throws MalformedBytes when `count` items, a byte each at least, cannot fit in what is left.
  void check_fits(std::size_t count, const char* what);

  std::istream* stream_;  // not owned
  std::size_t end_;
};

}  // namespace joblet::detail

// Vectors of numbers are read as one block, as with boost::archive::binary_iarchive (the
// writer, binary_oarchive, writes them so).
BOOST_SERIALIZATION_USE_ARRAY_OPTIMIZATION(joblet::detail::BoostInputArchive)
