#include "worker_slots.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <new>
#include <system_error>

namespace joblet::detail {
namespace {

constexpr std::size_t kRegionBytes = kMaxWorkers * sizeof(WorkerSlot);

/// `flags`: MAP_POPULATE where every slot is about to be written, which maps the pages in
/// one call rather than a page fault each (14-24 us apiece on some virtual machines).
WorkerSlot* map_slots(int fd, int flags) {
  void* region = mmap(nullptr, kRegionBytes, PROT_READ | PROT_WRITE, MAP_SHARED | flags, fd, 0);
  if (region == MAP_FAILED) {
    throw std::system_error(errno, std::generic_category(), "joblet: mmap of worker slots");
  }
  return static_cast<WorkerSlot*>(region);
}

}  // namespace

WorkerSlots WorkerSlots::create() {
  const int fd = memfd_create("joblet-worker-slots", 0);
  if (fd < 0 || ftruncate(fd, kRegionBytes) != 0) {
    throw std::system_error(errno, std::generic_category(), "joblet: memfd for worker slots");
  }
  auto* slots = map_slots(fd, MAP_POPULATE);
  // A fresh memfd reads as zeros, which is every slot's initial state; the objects still
  // have to begin their lifetime here.
  for (std::size_t i = 0; i < kMaxWorkers; ++i)
    new (slots + i) WorkerSlot;
  return {fd, slots};
}

WorkerSlots WorkerSlots::attach(int fd) {
  return {fd, map_slots(fd, 0)};
}

}  // namespace joblet::detail
