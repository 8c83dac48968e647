// A function pointer written as its place in the program, so another process running the
// same program finds the same function: forked workers, exec'd fork servers, MPI ranks.
#pragma once

#include <cstdint>

namespace joblet::detail {

/// The function's module (the program or a shared library, numbered in the order the dynamic
/// linker loaded them) and its offset in that module: the same in every process of the
/// program, wherever address-space randomisation put the modules.
struct FunctionId {
  std::uint32_t module = 0;
  std::uint64_t offset = 0;

  template <class Archive>
  void serialize(Archive& archive) {
    archive(module, offset);
  }
};

/// Reads the table of loaded modules now, so that processes forked later (the fork server and
/// its workers) inherit it rather than each reading every module's headers again.
void read_module_table();

/// Where `address` lies; throws NotSerializable when it is in no module.
[[nodiscard]] FunctionId function_id(const void* address);

/// The address of the function `id` names in this process; throws NotSerializable when this
/// process has no such module (a library loaded after the workers started) or the offset lies
/// outside it.
[[nodiscard]] const void* function_address(const FunctionId& id);

}  // namespace joblet::detail
