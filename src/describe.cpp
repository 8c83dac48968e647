#include "joblet/detail/describe.hpp"

namespace joblet::detail {

void write_clipped(std::ostream& out, std::string_view text) {
  if (text.size() <= kMaxArgumentText) {
    out << text;
  } else {
    out << text.substr(0, kMaxArgumentText - 3) << "...";
  }
}

}  // namespace joblet::detail
