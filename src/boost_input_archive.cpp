#include "joblet/detail/boost_input_archive.hpp"

#include <boost/archive/detail/archive_serializer_map.hpp>
#include <boost/archive/impl/archive_serializer_map.ipp>
#include <boost/archive/impl/basic_binary_iarchive.ipp>
#include <boost/archive/impl/basic_binary_iprimitive.ipp>

#include "joblet/detail/archive.hpp"

namespace joblet::detail {

BoostInputArchive::BoostInputArchive(std::istream& stream, std::size_t size)
    : Base(stream, boost::archive::no_header),
      stream_(&stream),
      end_(static_cast<std::size_t>(stream.tellg()) + size) {}

void BoostInputArchive::load_override(boost::serialization::collection_size_type& count) {
  Base::load_override(count);
  check_fits(count, "a collection");
}

void BoostInputArchive::load(std::string& text) {
  std::size_t length = 0;
  Base::load(length);
  check_fits(length, "a string");
  text.resize(length);
  if (length > 0) Base::load_binary(text.data(), length);
}

void BoostInputArchive::check_fits(std::size_t count, const char* what) {
  const auto position = static_cast<std::size_t>(stream_->tellg());
  const std::size_t left = position <= end_ ? end_ - position : 0;
  if (count > left) {
    throw MalformedBytes("joblet: malformed bytes: " + std::string(what) + " of " +
                         std::to_string(count) + " items in " + std::to_string(left) +
                         " bytes (Boost.Serialization)");
  }
}

}  // namespace joblet::detail

template class boost::archive::basic_binary_iarchive<joblet::detail::BoostInputArchive>;
template class boost::archive::basic_binary_iprimitive<joblet::detail::BoostInputArchive, char,
                                                       std::char_traits<char>>;
template class boost::archive::binary_iarchive_impl<joblet::detail::BoostInputArchive, char,
                                                    std::char_traits<char>>;
template class boost::archive::detail::archive_serializer_map<joblet::detail::BoostInputArchive>;
