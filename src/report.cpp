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
  for (const auto& observer : settings.observers) {
    if (observer) observers_.push_back(observer);
  }
  const RunStart start{.backend = settings.backend, .n_jobs = settings.workers, .total = total};
  for (auto& observer : observers_)
    observer->on_start(start);
}

void RunReport::set_total(std::size_t total) {
  total_ = total;
}

void RunReport::task_done(std::size_t index, bool last_in_batch) {
  ++done_;
  const TaskDone done{.index = index, .progress = progress(), .last_in_batch = last_in_batch};
  for (auto& observer : observers_)
    observer->on_task_done(done);
}

void RunReport::task_failed(const std::exception_ptr& error) {
  // Not counted yet: task_done follows.
  const Progress now = progress();
  for (auto& observer : observers_)
    observer->on_error(error, now);
}

void RunReport::run_failed(const std::exception_ptr& error) {
  task_failed(error);
}

void RunReport::finish() {
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

  void on_task_done(const TaskDone& done) override { callback_(done.progress); }

 private:
  std::function<void(const Progress&)> callback_;
};

}  // namespace

std::shared_ptr<Observer> make_progress_callback(std::function<void(const Progress&)> callback) {
  return std::make_shared<ProgressCallback>(std::move(callback));
}

void write_stderr(const std::string& text) {
  // A report that cannot be written is not worth failing the run for.
  (void)std::fwrite(text.data(), 1, text.size(), stderr);
  (void)std::fflush(stderr);
}

}  // namespace joblet::detail
