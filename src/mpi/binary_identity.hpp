// Whether every rank of an MPI job runs the same program: tasks name their functions by
// offsets into the executable (function_id.hpp), which mean the same thing only there.
#pragma once

#include <optional>
#include <span>
#include <string>

#include "../executable_fingerprint.hpp"

namespace joblet::detail {

/// What one rank says about itself.
struct RankIdentity {
  std::string executable;  ///< fingerprint of the executable, see executable_fingerprint()
  std::string host;
};

/// nullopt when every rank's executable is rank 0's; otherwise an error message that names the
/// ranks (and their hosts) that run something else. `ranks[i]` is rank i.
[[nodiscard]] std::optional<std::string> different_executables(std::span<const RankIdentity> ranks);

}  // namespace joblet::detail
