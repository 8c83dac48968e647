// Which program this is: tasks name their functions by offsets into the executable
// (function_id.hpp), so bytes written by one build mean something only to the same build.
#pragma once

#include <string>

namespace joblet::detail {

/// This process's executable: its GNU build id ("build-id 3fa2..."), or where the linker wrote
/// none, a hash of its bytes ("fnv1a64 9c01..."). The same on every host that runs the file.
[[nodiscard]] std::string executable_fingerprint();

}  // namespace joblet::detail
