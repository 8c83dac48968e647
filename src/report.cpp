#include "joblet/detail/report.hpp"

#include <cstdio>
#include <utility>

#include "reporters.hpp"

namespace joblet::detail {

RunReport::RunReport(const RunSettings& settings, std::optional<std::size_t> total)
    : start_(std::chrono::steady_clock::now()), total_(total) {
  if (settings.verbose > 0) observers_.push_back(make_verbose_output(settings));
  if (settings.progress) observers_.push_back(make_progress_bar());
  if (settings.on_progress) observers_.push_back(make_progress_callback(settings.on_progress));
}

void RunReport::set_total(std::size_t total) {
  total_ = total;
}

void RunReport::tasks_done(std::size_t count) {
  done_ += count;
  if (count == 0 || observers_.empty()) return;
  const Progress now = progress();
  for (auto& observer : observers_)
    observer->on_tasks_done(now, count);
}

void RunReport::finish() {
  if (observers_.empty()) return;
  const Progress now = progress();
  for (auto& observer : observers_)
    observer->on_finish(now);
}

Progress RunReport::progress() const {
  return {.done = done_, .total = total_, .elapsed = std::chrono::steady_clock::now() - start_};
}

}  // namespace joblet::detail

namespace joblet::detail {
namespace {

class ProgressCallback final : public Observer {
 public:
  explicit ProgressCallback(std::function<void(const Progress&)> callback)
      : callback_(std::move(callback)) {}

  void on_tasks_done(const Progress& progress, std::size_t batch_tasks) override {
    Progress each = progress;
    for (std::size_t k = batch_tasks; k > 0; --k) {
      each.done = progress.done - k + 1;
      callback_(each);
    }
  }
  void on_finish(const Progress& /*progress*/) override {}

 private:
  std::function<void(const Progress&)> callback_;
};

}  // namespace

std::unique_ptr<Observer> make_progress_callback(std::function<void(const Progress&)> callback) {
  return std::make_unique<ProgressCallback>(std::move(callback));
}

void write_stderr(const std::string& text) {
  // A report that cannot be written is not worth failing the run for.
  (void)std::fwrite(text.data(), 1, text.size(), stderr);
  (void)std::fflush(stderr);
}

}  // namespace joblet::detail
