#include "batch_messages.hpp"

#include <algorithm>

#include "joblet/errors.hpp"

namespace joblet::detail {
namespace {

/// Collects the Shared values a batch refers to while it is written.
class Outbox final : public SharedOutbox {
 public:
  Outbox(SharedFrames& frames, std::vector<std::uint64_t>& referred)
      : frames_(&frames), referred_(&referred), previous_(shared_outbox) {
    shared_outbox = this;
  }
  ~Outbox() override { shared_outbox = previous_; }
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;
  Outbox(Outbox&&) = delete;
  Outbox& operator=(Outbox&&) = delete;

  void refer(std::uint64_t id, std::shared_ptr<const void> value,
             void (*write)(const void* value, Bytes& bytes)) override {
    if (!frames_->contains(id)) {
      SharedFrame shared{{}, std::move(value)};
      const std::size_t header = begin_frame(shared.frame, FrameType::shared_value);
      OutputArchive out(shared.frame);
      out(id);
      write(shared.value.get(), shared.frame);
      finish_frame(shared.frame, header);
      frames_->emplace(id, std::move(shared));
    }
    if (std::find(referred_->begin(), referred_->end(), id) == referred_->end()) {
      referred_->push_back(id);
    }
  }

 private:
  SharedFrames* frames_;
  std::vector<std::uint64_t>* referred_;
  SharedOutbox* previous_;
};

}  // namespace

void encode_batch_request(const BatchBase& batch, const SettledTasks& settled,
                          const RunSettings& settings, SharedFrames& frames,
                          std::vector<std::uint64_t>& referred, Bytes& request) {
  request.clear();
  const std::size_t header = begin_frame(request, FrameType::run_batch);
  OutputArchive out(request);
  std::uint64_t count = 0;
  for (std::size_t p = batch.finished; p < batch.count; ++p)
    count += settled.contains(p) ? 0 : 1;
  const auto flags = static_cast<std::uint8_t>((batch.stops_at_failure() ? kStopAtFailure : 0) |
                                               (batch.traced ? kTraceTasks : 0));
  out(flags, settings.seed, settings.inner_threads, count);
  const Outbox outbox(frames, referred);
  for (std::size_t p = batch.finished; p < batch.count; ++p) {
    if (settled.contains(p)) continue;
    out(static_cast<std::uint64_t>(batch.first + p));
    batch.write_task(out, p);
  }
  finish_frame(request, header);
}

void take_settled(BatchBase& batch, SettledTasks& settled) {
  for (auto it = settled.begin(); it != settled.end() && it->first == batch.finished;) {
    batch.add_failure(it->second);
    it = settled.erase(it);
  }
}

void read_batch_done(std::span<const std::byte> payload, BatchBase& batch, SettledTasks& settled) {
  InputArchive in(payload);
  std::uint64_t records = 0;
  in(records);
  for (std::uint64_t i = 0; i < records && !batch.error; ++i) {
    take_settled(batch, settled);
    if (batch.finished >= batch.count) {
      throw MalformedFrame("joblet: malformed message: more results than tasks");
    }
    batch.read_result(in);
  }
  take_settled(batch, settled);
  if (!batch.error && batch.finished < batch.count && !batch.stops_at_failure()) {
    throw MalformedFrame("joblet: malformed message: fewer results than tasks");
  }
  if (batch.traced) {
    // After the records; a batch sent again after a worker died gets a trace from each.
    std::vector<TraceSlice> slices;
    in(batch.trace_lane, slices);
    batch.trace.insert(batch.trace.end(), slices.begin(), slices.end());
  }
}

std::exception_ptr batch_refused(std::span<const std::byte> payload, const BatchBase* batch,
                                 const std::string& worker) {
  InputArchive in(payload);
  std::string message;
  in(message);
  std::string batch_named;
  if (batch != nullptr) {
    const auto [name, call] = batch->describe(batch->finished);
    batch_named = " (tasks " + std::to_string(batch->first + batch->finished) + " to " +
                  std::to_string(batch->first + batch->count - 1) + ", the first " + call + ")";
  }
  return std::make_exception_ptr(
      Error("joblet: " + worker + " could not run a batch" + batch_named + ": " + message));
}

}  // namespace joblet::detail
