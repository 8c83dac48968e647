// Bytes that differ from seed to seed, for tests that must notice a value read from the wrong
// place or cut short.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace joblet::testing {

/// `size` bytes from a xorshift generator started from `seed`.
inline std::string pseudo_random_bytes(std::size_t size, std::uint64_t seed) {
  std::string bytes(size, '\0');
  std::uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 1;
  for (char& c : bytes) {
    x ^= x << 13U;
    x ^= x >> 7U;
    x ^= x << 17U;
    c = static_cast<char>(x);
  }
  return bytes;
}

}  // namespace joblet::testing
