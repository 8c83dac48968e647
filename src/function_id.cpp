#include "joblet/detail/function_id.hpp"

#include <dlfcn.h>
#include <link.h>

#include <atomic>
#include <bit>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "joblet/errors.hpp"

namespace joblet::detail {
namespace {

struct Module {
  std::uintptr_t start;  // where its lowest segment is mapped: dladdr's dli_fbase
  std::uintptr_t end;
};

/// The modules loaded now, in load order. Read afresh on each miss: a library dlopen'ed later
/// gets the next number, in this process and in any process that loads it in the same order.
std::vector<Module> loaded_modules() {
  std::vector<Module> modules;
  dl_iterate_phdr(
      [](dl_phdr_info* info, std::size_t /*size*/, void* data) {
        auto& found = *static_cast<std::vector<Module>*>(data);
        std::uintptr_t low = std::numeric_limits<std::uintptr_t>::max();
        std::uintptr_t high = 0;
        for (int i = 0; i < info->dlpi_phnum; ++i) {
          const auto& segment = info->dlpi_phdr[i];
          if (segment.p_type != PT_LOAD) continue;
          low = std::min<std::uintptr_t>(low, segment.p_vaddr);
          high = std::max<std::uintptr_t>(high, segment.p_vaddr + segment.p_memsz);
        }
        if (low < high) found.push_back({info->dlpi_addr + low, info->dlpi_addr + high});
        return 0;
      },
      &modules);
  return modules;
}

using Modules = std::shared_ptr<const std::vector<Module>>;

/// The module table, read once and again only when an address or module is not in it.
class ModuleTable {
 public:
  Modules get() const { return modules_.load(std::memory_order_acquire); }
  Modules refresh() {
    auto fresh = std::make_shared<const std::vector<Module>>(loaded_modules());
    modules_.store(fresh, std::memory_order_release);
    return fresh;
  }

 private:
  std::atomic<Modules> modules_{std::make_shared<const std::vector<Module>>(loaded_modules())};
};

ModuleTable& module_table() {
  static ModuleTable table;
  return table;
}

std::optional<FunctionId> find(const std::vector<Module>& modules, std::uintptr_t where) {
  for (std::uint32_t i = 0; i < modules.size(); ++i) {
    if (where >= modules[i].start && where < modules[i].end) {
      return FunctionId{i, static_cast<std::uint64_t>(where - modules[i].start)};
    }
  }
  return std::nullopt;
}

}  // namespace

void read_module_table() {
  (void)module_table();
}

FunctionId function_id(const void* address) {
  // Batches are mostly one function: remember the last one this thread looked up.
  thread_local const void* last_address = nullptr;
  thread_local FunctionId last_id;
  if (address == last_address) return last_id;
  const auto where = std::bit_cast<std::uintptr_t>(address);
  auto found = find(*module_table().get(), where);
  if (!found) found = find(*module_table().refresh(), where);
  if (found) {
    last_address = address;
    last_id = *found;
    return *found;
  }
  throw NotSerializable(
      "joblet: the task's function is not in any loaded module, so another "
      "process cannot find it");
}

const void* function_address(const FunctionId& id) {
  auto table = module_table().get();
  if (id.module >= table->size()) table = module_table().refresh();
  const auto& modules = *table;
  if (id.module >= modules.size()) {
    throw NotSerializable("joblet: this process has no module " + std::to_string(id.module) +
                          " for the task's function: it lives in a library loaded after the "
                          "workers started; load it before joblet::init()");
  }
  const Module& module = modules[id.module];
  if (id.offset >= module.end - module.start) {
    throw NotSerializable("joblet: the task's function lies outside module " +
                          std::to_string(id.module) + ": the processes run different programs");
  }
  return std::bit_cast<const void*>(module.start + static_cast<std::uintptr_t>(id.offset));
}

}  // namespace joblet::detail
