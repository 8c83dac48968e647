#include "joblet/detail/trace.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <utility>

#include "joblet/detail/executor.hpp"
#include "reporters.hpp"

namespace joblet::detail {
namespace {

/// A string as a JSON string literal.
std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += printf_string("\\u%04x", static_cast<unsigned>(c));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

/// The program's timeline: the events of every traced run, by file, and when it began.
class Timeline {
 public:
  static Timeline& instance() {
    static Timeline timeline;
    return timeline;
  }

  [[nodiscard]] std::int64_t origin() const noexcept { return origin_; }

  void write(const std::filesystem::path& file, std::vector<std::string> events,
             const std::vector<std::string>& lane_names) {
    const std::lock_guard lock(mutex_);
    auto& kept = files_[file];
    for (const auto& name : lane_names) {
      if (kept.names.insert(name).second) kept.events.push_back(name);
    }
    for (auto& event : events)
      kept.events.push_back(std::move(event));
    // Whole or absent: a viewer never opens half a file.
    auto temporary = file;
    temporary += ".tmp." + std::to_string(getpid());
    {
      std::ofstream out(temporary, std::ios::trunc);
      out << R"({"displayTimeUnit":"ms","traceEvents":[)" << '\n';
      for (std::size_t i = 0; i < kept.events.size(); ++i)
        out << kept.events[i] << (i + 1 < kept.events.size() ? ",\n" : "\n");
      out << "]}\n";
      if (!out.flush()) {
        throw std::filesystem::filesystem_error("joblet: cannot write the trace", temporary,
                                                std::make_error_code(std::errc::io_error));
      }
    }
    std::filesystem::rename(temporary, file);
  }

 private:
  struct File {
    std::vector<std::string> events;
    std::set<std::string> names;  // lane-naming events already in `events`
  };

  std::int64_t origin_ = trace_clock();
  std::mutex mutex_;
  std::map<std::filesystem::path, File> files_;
};

/// Microseconds since the timeline's origin, as the trace-event format wants them.
std::string micros(std::int64_t ns) {
  return printf_string("%.3f", static_cast<double>(ns - Timeline::instance().origin()) / 1000.0);
}

std::string complete_event(const std::string& name, const char* category, std::int64_t start,
                           std::int64_t end, const TraceLane& lane, const std::string& args) {
  return concat(
      R"({"name":)", quoted(name), R"(,"cat":")", category, R"(","ph":"X","ts":)", micros(start),
      R"(,"dur":)", printf_string("%.3f", static_cast<double>(end - start) / 1000.0), R"(,"pid":)",
      std::to_string(lane.pid), R"(,"tid":)", std::to_string(lane.tid), R"(,"args":{)", args, "}}");
}

std::string metadata_event(const char* what, const TraceLane& lane, const std::string& name) {
  return concat(R"({"name":")", what, R"(","ph":"M","pid":)", std::to_string(lane.pid),
                R"(,"tid":)", std::to_string(lane.tid), R"(,"args":{"name":)", quoted(name), "}}");
}

}  // namespace

TraceLane this_lane() noexcept {
  return {.pid = getpid(), .tid = static_cast<std::int64_t>(syscall(SYS_gettid))};
}

std::int64_t trace_clock() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void KernelSlice::begin(TaskContext& task, const char* name) noexcept {
  task_ = &task;
  name_ = name;
  start_ = trace_clock();
}

void KernelSlice::end() noexcept {
  task_->trace->push_back(
      {.start = start_, .end = trace_clock(), .task = task_->index, .kernel = name_});
}

RunTrace::RunTrace(std::filesystem::path file, std::string label)
    : file_(std::move(file)),
      label_(std::move(label)),
      caller_(this_lane()),
      start_(trace_clock()) {
  (void)Timeline::instance();  // its origin is before this run's start
}

void RunTrace::add(const BatchBase& batch) {
  if (batch.trace.empty()) return;
  const TraceLane lane = batch.trace_lane;
  std::int64_t first_start = batch.trace.front().start;
  std::int64_t last_end = batch.trace.front().end;
  for (const TraceSlice& slice : batch.trace) {
    first_start = std::min(first_start, slice.start);
    last_end = std::max(last_end, slice.end);
    const std::string index = concat(R"("index":)", std::to_string(slice.task));
    if (slice.kernel.empty()) {
      events_.push_back(complete_event(
          batch.describe(slice.task - batch.first).first, "task", slice.start, slice.end, lane,
          concat(index, R"(,"batch":)", std::to_string(batch.sequence))));
    } else {
      events_.push_back(complete_event(concat("kernels::", slice.kernel), "kernel", slice.start,
                                       slice.end, lane, index));
    }
  }
  const std::size_t last_task = batch.first + std::max<std::size_t>(batch.count, 1) - 1;
  events_.push_back(complete_event(
      concat("batch ", std::to_string(batch.sequence)), "batch", first_start, last_end, lane,
      concat(R"("batch":)", std::to_string(batch.sequence), R"(,"first":)",
             std::to_string(batch.first), R"(,"last":)", std::to_string(last_task))));
  if (std::find_if(lanes_.begin(), lanes_.end(), [&lane](const TraceLane& known) {
        return known.pid == lane.pid && known.tid == lane.tid;
      }) == lanes_.end()) {
    lanes_.push_back(lane);
  }
}

void RunTrace::close() {
  events_.push_back(complete_event(label_, "run", start_, trace_clock(), caller_, ""));
  std::vector<std::string> names;
  const auto program = static_cast<std::int64_t>(getpid());
  names.push_back(metadata_event("process_name", {.pid = program, .tid = 0},
                                 concat("program (pid ", std::to_string(program), ")")));
  names.push_back(metadata_event("thread_name", caller_,
                                 concat("calling thread ", std::to_string(caller_.tid))));
  for (const TraceLane& lane : lanes_) {
    if (lane.pid == program) {
      if (lane.tid != caller_.tid) {
        names.push_back(
            metadata_event("thread_name", lane, concat("pool thread ", std::to_string(lane.tid))));
      }
    } else {
      names.push_back(metadata_event("process_name", {.pid = lane.pid, .tid = 0},
                                     concat("worker process ", std::to_string(lane.pid))));
      names.push_back(
          metadata_event("thread_name", lane, concat("worker ", std::to_string(lane.pid))));
    }
  }
  Timeline::instance().write(file_, std::exchange(events_, {}), names);
  lanes_.clear();
}

}  // namespace joblet::detail
