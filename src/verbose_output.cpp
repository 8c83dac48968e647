#include <cmath>
#include <cstdio>
#include <string>

#include "reporters.hpp"

namespace joblet::detail {

std::string short_format_time(double seconds) {
  return seconds > 60 ? printf_string("%4.1fmin", seconds / 60) : printf_string(" %5.1fs", seconds);
}

namespace {

/// joblib's filter for runs of unknown length: true when batch `index` is not reported.
/// Lines get rarer as the run goes on, and more frequent as verbose grows.
bool skip_batch(std::size_t index, int verbose) {
  if (verbose > 10 || index == 0) return false;
  const double scale = 0.5 * (11 - verbose) * (11 - verbose);
  return std::floor(std::sqrt(static_cast<double>(index) / scale)) ==
         std::floor(std::sqrt(static_cast<double>(index + 1) / scale));
}

class VerboseOutput final : public Observer {
 public:
  explicit VerboseOutput(const RunSettings& settings)
      : prefix_(concat("[", run_label(settings), "]: ")), verbose_(settings.verbose) {}

  void on_start(const RunStart& start) override {
    print(concat("Using backend ", to_string(start.backend), " with ", std::to_string(start.n_jobs),
                 " concurrent worker", start.n_jobs == 1 ? "." : "s."));
  }

  // joblib reports batches: one line at most per batch that came back.
  void on_task_done(const TaskDone& done) override {
    if (!done.last_in_batch) return;
    const Progress& progress = done.progress;
    const std::size_t batch = batches_++;
    const double elapsed = progress.elapsed.count();
    if (!progress.total) {
      if (!skip_batch(batch, verbose_)) {
        print(concat(printf_string("Done %3zu tasks      | elapsed: ", progress.done),
                     short_format_time(elapsed)));
      }
      return;
    }
    const std::size_t total = *progress.total;
    if (progress.done >= total) return;  // on_finish says it
    const std::size_t step = verbose_ > 10 ? 1 : total / static_cast<std::size_t>(verbose_) + 1;
    const std::size_t bucket = progress.done / step;
    if (bucket == printed_bucket_) return;
    printed_bucket_ = bucket;
    const double remaining =
        elapsed / static_cast<double>(progress.done) * static_cast<double>(total - progress.done);
    print(concat(printf_string("Done %3zu out of %3zu | elapsed: ", progress.done, total),
                 short_format_time(elapsed), " remaining: ", short_format_time(remaining)));
  }

  void on_finish(const Progress& progress) override {
    print(concat(printf_string("Done %3zu out of %3zu | elapsed: ", progress.done, progress.done),
                 short_format_time(progress.elapsed.count()), " finished"));
  }

 private:
  void print(const std::string& message) const { write_stderr(concat(prefix_, message, "\n")); }

  std::string prefix_;
  int verbose_;
  std::size_t batches_ = 0;
  std::size_t printed_bucket_ = 0;
};

}  // namespace

std::shared_ptr<Observer> make_verbose_output(const RunSettings& settings) {
  return std::make_shared<VerboseOutput>(settings);
}

}  // namespace joblet::detail
