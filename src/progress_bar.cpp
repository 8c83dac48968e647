#include <unistd.h>

#include <bit>
#include <chrono>
#include <cstdio>
#include <string>

#include "reporters.hpp"

namespace joblet::detail {
namespace {

std::string clock_text(double seconds) {
  const auto whole = static_cast<long long>(seconds);
  if (seconds < 60) return printf_string("%.1fs", seconds);
  if (whole < 3600) return printf_string("%lldm%02llds", whole / 60, whole % 60);
  return printf_string("%lldh%02lldm", whole / 3600, whole / 60 % 60);
}

class ProgressBar final : public Observer {
 public:
  ProgressBar() : terminal_(isatty(STDERR_FILENO) == 1) {}

  // Looked at once per batch that came back, as joblib reports batches.
  void on_task_done(const TaskDone& done) override {
    if (!done.last_in_batch) return;
    const Progress& progress = done.progress;
    if (terminal_) {
      // Redraw at most ten times a second: a million tiny tasks must not mean a million writes.
      const auto now = std::chrono::steady_clock::now();
      if (drawn_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
      last_draw_ = now;
      drawn_ = true;
      write_stderr(concat("\r", bar(progress), "\x1b[K"));
      return;
    }
    // Not a terminal (a log file, a batch job): one line per tenth, or per doubling when the
    // length of the run is not known yet.
    const std::size_t mark = progress.total && *progress.total > 0
                                 ? progress.done * 10 / *progress.total
                                 : std::bit_width(progress.done);
    if (mark == last_mark_) return;
    last_mark_ = mark;
    write_stderr(concat(line(progress), "\n"));
  }

  void on_finish(const Progress& progress) override {
    if (terminal_) {
      write_stderr(concat("\r", bar(progress), "\x1b[K\n"));
    } else {
      write_stderr(concat(line(progress), "\n"));
    }
  }

 private:
  static std::string counts(const Progress& progress) {
    std::string text = concat("[joblet] ", std::to_string(progress.done));
    if (progress.total) {
      text.append("/").append(std::to_string(*progress.total));
      const auto percent = *progress.total > 0 ? progress.done * 100 / *progress.total : 100;
      text.append(" (").append(std::to_string(percent)).append("%)");
    }
    return text;
  }

  static std::string rate_and_eta(const Progress& progress) {
    const double elapsed = progress.elapsed.count();
    const double rate = elapsed > 0 ? static_cast<double>(progress.done) / elapsed : 0;
    std::string result = printf_string("%.1f tasks/s", rate);
    result.append(" | elapsed ").append(clock_text(elapsed));
    if (progress.total && progress.done < *progress.total && rate > 0) {
      result.append(" | ETA ").append(
          clock_text(static_cast<double>(*progress.total - progress.done) / rate));
    }
    return result;
  }

  static std::string line(const Progress& progress) {
    return concat(counts(progress), " | ", rate_and_eta(progress));
  }

  static std::string bar(const Progress& progress) {
    constexpr std::size_t kWidth = 24;
    std::string picture;
    if (progress.total) {
      const std::size_t filled =
          *progress.total > 0 ? progress.done * kWidth / *progress.total : kWidth;
      picture = concat(" [", std::string(filled, '#'), std::string(kWidth - filled, '-'), "]");
    }
    return concat(counts(progress), picture, " ", rate_and_eta(progress));
  }

  bool terminal_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_draw_;
  std::size_t last_mark_ = 0;
};

}  // namespace

std::shared_ptr<Observer> make_progress_bar() {
  return std::make_shared<ProgressBar>();
}

}  // namespace joblet::detail
