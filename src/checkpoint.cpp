#include "joblet/detail/checkpoint.hpp"

#include <unistd.h>

#include <array>
#include <atomic>
#include <boost/crc.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <span>

#include "executable_fingerprint.hpp"

namespace joblet::detail {
namespace {

constexpr std::array<char, 8> kMagic{'j', 'o', 'b', 'l', 'e', 't', 'C', 'P'};

/// CRC-64/XZ: a file name per key, well spread; the key itself, kept in the file, decides.
std::uint64_t digest(std::span<const std::byte> bytes) {
  boost::crc_optimal<64, 0x42F0E1EBA9EA3693ULL, ~0ULL, ~0ULL, true, true> crc;
  crc.process_bytes(bytes.data(), bytes.size());
  return crc.checksum();
}

using File = std::unique_ptr<std::FILE, int (*)(std::FILE*)>;

File open_file(const std::filesystem::path& path, const char* mode) {
  return {std::fopen(path.c_str(), mode), &std::fclose};
}

std::uint32_t checksum(std::span<const std::byte> bytes) {
  boost::crc_32_type crc;
  crc.process_bytes(bytes.data(), bytes.size());
  return crc.checksum();
}

}  // namespace

CheckpointStore::CheckpointStore(std::filesystem::path directory)
    : directory_(std::move(directory)) {
  std::filesystem::create_directories(directory_);
}

std::filesystem::path CheckpointStore::file_for(const Bytes& key) const {
  std::array<char, 17> name{};
  (void)std::snprintf(name.data(), name.size(), "%016llx",
                      static_cast<unsigned long long>(digest(key)));
  return directory_ / (std::string(name.data()) + ".result");
}

// A file: magic, CRC-32 of what follows, the key, the result.
std::optional<Bytes> CheckpointStore::load(const Bytes& key) const {
  const File file = open_file(file_for(key), "rb");
  if (!file) return std::nullopt;
  Bytes bytes;
  std::array<std::byte, 4096> chunk{};
  for (std::size_t got = 0; (got = std::fread(chunk.data(), 1, chunk.size(), file.get())) > 0;)
    bytes.insert(bytes.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(got));
  constexpr std::size_t kHeader = kMagic.size() + sizeof(std::uint32_t);
  if (bytes.size() < kHeader || std::memcmp(bytes.data(), kMagic.data(), kMagic.size()) != 0) {
    return std::nullopt;
  }
  std::uint32_t stored = 0;
  std::memcpy(&stored, bytes.data() + kMagic.size(), sizeof stored);
  const auto body = std::span<const std::byte>(bytes).subspan(kHeader);
  if (checksum(body) != stored) return std::nullopt;
  try {
    InputArchive in(body);
    Bytes stored_key;
    Bytes result;
    in(stored_key, result);
    if (stored_key != key || in.remaining() != 0) return std::nullopt;
    return result;
  } catch (const cereal::Exception&) {
    return std::nullopt;
  }
}

void CheckpointStore::save(const Bytes& key, const Bytes& result) const {
  Bytes body;
  OutputArchive out(body);
  out(key, result);
  const std::uint32_t sum = checksum(body);

  static std::atomic<std::uint64_t> temporaries{0};
  const auto target = file_for(key);
  auto temporary = target;
  temporary += ".tmp." + std::to_string(getpid()) + "." + std::to_string(temporaries++);
  {
    const File file = open_file(temporary, "wb");
    const bool written =
        file && std::fwrite(kMagic.data(), 1, kMagic.size(), file.get()) == kMagic.size() &&
        std::fwrite(&sum, sizeof sum, 1, file.get()) == 1 &&
        std::fwrite(body.data(), 1, body.size(), file.get()) == body.size() &&
        std::fflush(file.get()) == 0;
    if (!written) {
      throw std::filesystem::filesystem_error("joblet: cannot write the checkpoint", temporary,
                                              std::error_code(errno, std::generic_category()));
    }
  }
  std::filesystem::rename(temporary, target);
}

std::uint64_t program_digest() {
  static const std::uint64_t value = [] {
    const std::string fingerprint = executable_fingerprint();
    return digest(std::as_bytes(std::span(fingerprint)));
  }();
  return value;
}

void CheckpointKeys::refer(std::uint64_t id, std::shared_ptr<const void> value,
                           void (*write)(const void* value, Bytes& bytes)) {
  if (!digests_.contains(id)) {
    Bytes bytes;
    write(value.get(), bytes);
    digests_.emplace(id, digest(bytes));
  }
  referred_.push_back(id);
}

void throw_cannot_checkpoint(const std::string& reason) {
  throw NotSerializable(
      "joblet: Options::checkpoint keeps each result under the bytes of its task, and " + reason +
      "; make the tasks with joblet::delayed(fn, args...) from a function and serializable "
      "arguments, or leave Options::checkpoint empty");
}

}  // namespace joblet::detail
