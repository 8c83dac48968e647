// Whether every rank of an MPI job runs the same program: tasks name their functions by
// offsets into the executable (function_id.hpp), which mean the same thing only there.
#pragma once

#include <optional>
#include <span>
#include <string>

namespace joblet::detail {

/// What one rank says about itself.
struct RankIdentity {
  std::string executable;  ///< fingerprint of the executable, see executable_fingerprint()
  std::string host;
};

/// This process's executable: its GNU build id ("build-id 3fa2..."), or where the linker wrote
/// none, a hash of its bytes ("fnv1a64 9c01...").
[[nodiscard]] std::string executable_fingerprint();

/// nullopt when every rank's executable is rank 0's; otherwise an error message that names the
/// ranks (and their hosts) that run something else. `ranks[i]` is rank i.
[[nodiscard]] std::optional<std::string> different_executables(std::span<const RankIdentity> ranks);

}  // namespace joblet::detail
