// The observers behind Options::verbose, Options::progress and Options::on_progress.
#pragma once

#include <algorithm>
#include <array>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>

#include "joblet/detail/report.hpp"

namespace joblet::detail {

/// joblib's verbose lines on stderr: "[Parallel(n_jobs=2)]: Done  40 out of 100 | elapsed: ...".
[[nodiscard]] std::shared_ptr<Observer> make_verbose_output(const RunSettings& settings);

/// A bar redrawn in place when stderr is a terminal, a line per tenth of the run otherwise.
[[nodiscard]] std::shared_ptr<Observer> make_progress_bar();

/// Calls `callback` once per finished task.
[[nodiscard]] std::shared_ptr<Observer> make_progress_callback(
    std::function<void(const Progress&)> callback);

/// joblib's time format: " %5.1fs", or "%4.1fmin" above a minute.
[[nodiscard]] std::string short_format_time(double seconds);

/// Writes one line to stderr in a single write, so lines of concurrent runs do not mix.
void write_stderr(const std::string& text);

/// Joins pieces of text. Chains of operator+ on strings make GCC 12 report false -Wrestrict
/// errors at -O3.
template <class... Parts>
std::string concat(const Parts&... parts) {
  std::string text;
  (text.append(parts), ...);
  return text;
}

/// std::snprintf into a std::string (GCC 12 has no <format>).
template <class... Args>
std::string printf_string(const char* format, Args... args) {
  std::array<char, 128> text{};
  const int length = std::snprintf(text.data(), text.size(), format, args...);
  return {
      text.data(),
      length > 0 ? std::min<std::size_t>(static_cast<std::size_t>(length), text.size() - 1) : 0};
}

}  // namespace joblet::detail
