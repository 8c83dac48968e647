#include "executable_fingerprint.hpp"

#include <elf.h>
#include <link.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <span>

namespace joblet::detail {
namespace {

std::string hex(std::span<const unsigned char> bytes) {
  static constexpr std::array kDigits{'0', '1', '2', '3', '4', '5', '6', '7',
                                      '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
  std::string text;
  for (const unsigned char byte : bytes) {
    text.push_back(kDigits.at(byte >> 4U));
    text.push_back(kDigits.at(byte & 0xFU));
  }
  return text;
}

/// The NT_GNU_BUILD_ID note of the executable (the first object dl_iterate_phdr reports).
std::optional<std::string> build_id() {
  std::optional<std::string> found;
  dl_iterate_phdr(
      [](dl_phdr_info* info, std::size_t /*size*/, void* data) {
        auto& id = *static_cast<std::optional<std::string>*>(data);
        for (int i = 0; i < info->dlpi_phnum && !id; ++i) {
          const auto& segment = info->dlpi_phdr[i];
          if (segment.p_type != PT_NOTE) continue;
          const auto* at = reinterpret_cast<const unsigned char*>(  // NOLINT: ELF notes
              info->dlpi_addr + segment.p_vaddr);
          const unsigned char* end = at + segment.p_memsz;
          while (at + sizeof(ElfW(Nhdr)) <= end) {
            const auto* note = reinterpret_cast<const ElfW(Nhdr)*>(at);  // NOLINT: ELF notes
            const unsigned char* name = at + sizeof(ElfW(Nhdr));
            const unsigned char* desc = name + ((note->n_namesz + 3U) & ~3U);
            if (note->n_type == NT_GNU_BUILD_ID && note->n_namesz == 4 && desc <= end) {
              id = "build-id " + hex({desc, note->n_descsz});
              break;
            }
            at = desc + ((note->n_descsz + 3U) & ~3U);
          }
        }
        return 1;  // only the executable
      },
      &found);
  return found;
}

std::string hash_of_file(const char* path) {
  const std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path, "rb"), &std::fclose);
  // FNV-1a: a stable hash, the same on every host, unlike std::hash.
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  std::array<unsigned char, 1U << 16U> chunk{};
  for (std::size_t got = 0;
       file && (got = std::fread(chunk.data(), 1, chunk.size(), file.get())) > 0;) {
    for (const unsigned char byte : std::span(chunk).first(got))
      hash = (hash ^ byte) * 0x100000001b3ULL;
  }
  std::array<unsigned char, sizeof(hash)> bytes{};
  for (std::size_t i = 0; i < bytes.size(); ++i)
    bytes.at(i) = static_cast<unsigned char>(hash >> (8 * (bytes.size() - 1 - i)));
  return "fnv1a64 " + hex(bytes);
}

}  // namespace

std::string executable_fingerprint() {
  if (auto id = build_id()) return *id;
  return hash_of_file("/proc/self/exe");
}

}  // namespace joblet::detail
