#include <atomic>
#include <stdexcept>

#include "joblet/share.hpp"

namespace joblet::detail {

std::uint64_t next_shared_id() noexcept {
  static std::atomic<std::uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

void throw_shared_outside_a_run() {
  throw std::logic_error(
      "joblet::Shared is written and read only as part of a task run by Parallel");
}

}  // namespace joblet::detail
