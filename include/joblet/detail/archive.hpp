// Bytes: the cereal archives tasks and results travel in, over memory.
#pragma once

#include <cereal/cereal.hpp>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

namespace joblet::detail {

using Bytes = std::vector<std::byte>;

/// Malformed bytes: a read past the end, or a container longer than the bytes left.
class MalformedBytes : public cereal::Exception {
 public:
  using cereal::Exception::Exception;
};

/// cereal's binary format, appended to a byte vector. cereal's own BinaryOutputArchive writes
/// through a std::ostream, a virtual call per number (bench/serialize_bench.cpp compares).
class OutputArchive : public cereal::OutputArchive<OutputArchive, cereal::AllowEmptyClassElision> {
 public:
  explicit OutputArchive(Bytes& bytes)
      : cereal::OutputArchive<OutputArchive, cereal::AllowEmptyClassElision>(this),
        bytes_(&bytes) {}

  void save_binary(const void* data, std::size_t size) {
    if (size == 0) return;  // data may be null (an empty vector's), which memcpy may not take
    if (size >= kInsertFrom) {
      // A range insert copies once; resize would zero the bytes first, touching every page of
      // a large argument twice (a 1 MiB string's round trip, bench/processes_bench.cpp).
      const auto* const first = static_cast<const std::byte*>(data);
      bytes_->insert(bytes_->end(), first, first + size);
      return;
    }
    // resize + memcpy for small writes: GCC 12 at -O3 reports a false stringop-overflow for a
    // range insert of a few bytes into a vector that had no capacity.
    const std::size_t offset = bytes_->size();
    bytes_->resize(offset + size);
    std::memcpy(bytes_->data() + offset, data, size);
  }

  /// Bytes written so far, to come back to with truncate().
  [[nodiscard]] std::size_t size() const noexcept { return bytes_->size(); }
  void truncate(std::size_t size) { bytes_->resize(size); }

 private:
  static constexpr std::size_t kInsertFrom = 4096;
  Bytes* bytes_;  // not owned
};

/// Reads what OutputArchive wrote, refusing to read past the end of its bytes or to make a
/// container longer than the bytes left could fill: malformed input is a MalformedBytes
/// exception, never a crash or a huge allocation.
class InputArchive : public cereal::InputArchive<InputArchive, cereal::AllowEmptyClassElision> {
 public:
  explicit InputArchive(std::span<const std::byte> bytes)
      : cereal::InputArchive<InputArchive, cereal::AllowEmptyClassElision>(this), bytes_(bytes) {}

  void load_binary(void* data, std::size_t size) {
    const std::span<const std::byte> bytes = take(size);
    if (size > 0) std::memcpy(data, bytes.data(), size);
  }

  /// The next `size` bytes, where they lie; read past them.
  std::span<const std::byte> take(std::size_t size) {
    if (size > bytes_.size() - position_) {
      throw MalformedBytes("joblet: malformed bytes: " + std::to_string(size) + " bytes wanted, " +
                           std::to_string(bytes_.size() - position_) + " left");
    }
    const auto taken = bytes_.subspan(position_, size);
    position_ += size;
    return taken;
  }

  /// Bytes not read yet.
  [[nodiscard]] std::size_t remaining() const noexcept { return bytes_.size() - position_; }

 private:
  std::span<const std::byte> bytes_;
  std::size_t position_ = 0;
};

template <class T>
requires std::is_arithmetic_v<T>
void CEREAL_SAVE_FUNCTION_NAME(OutputArchive& archive, const T& value) {
  archive.save_binary(&value, sizeof(value));
}

template <class T>
requires std::is_arithmetic_v<T>
void CEREAL_LOAD_FUNCTION_NAME(InputArchive& archive, T& value) {
  archive.load_binary(&value, sizeof(value));
}

/// A byte other than 0 or 1 would be a bool with no valid value (undefined behaviour to read).
inline void CEREAL_LOAD_FUNCTION_NAME(InputArchive& archive, bool& value) {
  std::uint8_t byte = 0;
  archive.load_binary(&byte, sizeof(byte));
  if (byte > 1) {
    throw MalformedBytes("joblet: malformed bytes: " + std::to_string(byte) +
                         " where a bool (0 or 1) was expected");
  }
  value = byte == 1;
}

template <class T>
void CEREAL_SAVE_FUNCTION_NAME(OutputArchive& archive, const cereal::NameValuePair<T>& pair) {
  archive(pair.value);
}

template <class T>
void CEREAL_LOAD_FUNCTION_NAME(InputArchive& archive, cereal::NameValuePair<T>& pair) {
  archive(pair.value);
}

template <class T>
void CEREAL_SAVE_FUNCTION_NAME(OutputArchive& archive, const cereal::SizeTag<T>& tag) {
  archive(tag.size);
}

/// Every element of a container takes at least one byte, so a size above the bytes left is a
/// lie; refusing it keeps garbage from becoming a terabyte allocation.
template <class T>
void CEREAL_LOAD_FUNCTION_NAME(InputArchive& archive, cereal::SizeTag<T>& tag) {
  archive(tag.size);
  if (static_cast<std::uint64_t>(tag.size) > archive.remaining()) {
    throw MalformedBytes("joblet: malformed bytes: a container of " + std::to_string(tag.size) +
                         " elements in " + std::to_string(archive.remaining()) + " bytes");
  }
}

template <class T>
void CEREAL_SAVE_FUNCTION_NAME(OutputArchive& archive, const cereal::BinaryData<T>& data) {
  archive.save_binary(data.data, static_cast<std::size_t>(data.size));
}

template <class T>
void CEREAL_LOAD_FUNCTION_NAME(InputArchive& archive, cereal::BinaryData<T>& data) {
  archive.load_binary(data.data, static_cast<std::size_t>(data.size));
}

/// A string is copied from the bytes once. cereal's own load resizes it first, so every byte
/// of a large string was written twice: zeros, then the characters (bench/processes_bench.cpp,
/// the 1 MiB round trip).
template <class Traits, class Allocator>
void CEREAL_LOAD_FUNCTION_NAME(InputArchive& archive,
                               std::basic_string<char, Traits, Allocator>& text) {
  cereal::size_type size = 0;
  archive(cereal::make_size_tag(size));
  const std::span<const std::byte> bytes = archive.take(static_cast<std::size_t>(size));
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): char may alias any bytes
  text.assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

}  // namespace joblet::detail

CEREAL_SETUP_ARCHIVE_TRAITS(joblet::detail::InputArchive, joblet::detail::OutputArchive)
