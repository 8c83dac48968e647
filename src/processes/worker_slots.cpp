#include "worker_slots.hpp"

#include <sys/mman.h>

#include <cerrno>
#include <new>
#include <system_error>

namespace joblet::detail {

WorkerSlots WorkerSlots::create() {
  constexpr std::size_t kRegionBytes = kMaxWorkers * sizeof(WorkerSlot);
  void* region =
      mmap(nullptr, kRegionBytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (region == MAP_FAILED) {
    throw std::system_error(errno, std::generic_category(), "joblet: mmap of worker slots");
  }
  return WorkerSlots(static_cast<WorkerSlot*>(region));
}

void WorkerSlots::begin_use(std::size_t index) {
  for (; constructed_ <= index; ++constructed_)
    new (slots_ + constructed_) WorkerSlot;
}

}  // namespace joblet::detail
