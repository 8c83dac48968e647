// Options::checkpoint: each finished task's result kept in a file named after the task's bytes,
// so that a rerun of a sweep skips the tasks that finished before.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "../errors.hpp"
#include "../share.hpp"
#include "archive.hpp"
#include "task_codec.hpp"
#include "transportable.hpp"
#include "type_name.hpp"

namespace joblet::detail {

/// The directory of a run's checkpoints. A file holds one result with its task's key and a
/// checksum; it is written under a temporary name and renamed, so a file is whole or absent.
class CheckpointStore {
 public:
  /// Creates `directory` if need be.
  explicit CheckpointStore(std::filesystem::path directory);

  /// The result bytes kept for `key`; nothing when there are none, or when the file is
  /// truncated, corrupted or belongs to another key.
  [[nodiscard]] std::optional<Bytes> load(const Bytes& key) const;
  void save(const Bytes& key, const Bytes& result) const;

 private:
  [[nodiscard]] std::filesystem::path file_for(const Bytes& key) const;

  std::filesystem::path directory_;
};

/// A digest of this program's build (its build id, or its file's bytes): keys made by another
/// build of the program differ, since the places of functions in it, which task bytes hold,
/// may mean other code there.
[[nodiscard]] std::uint64_t program_digest();

/// Options::checkpoint with tasks that cannot be written as bytes, or results that cannot.
[[noreturn]] void throw_cannot_checkpoint(const std::string& reason);

/// Makes the keys of tasks: their bytes as the processes backend sends them (the place of the
/// task's code in the program and its arguments), a digest of the bytes of each Shared value
/// they refer to, so that the same task over other data has another key, the run's seed and
/// the task's index, on which task_rng() depends, and the program's digest.
class CheckpointKeys final : public SharedOutbox {
 public:
  template <class R, class Task>
  Bytes key_of(const Task& task, std::uint64_t seed, std::size_t index) {
    Bytes key;
    OutputArchive out(key);
    referred_.clear();
    SharedOutbox* const previous = shared_outbox;
    shared_outbox = this;
    try {
      write_element<R>(out, task);
    } catch (const NotSerializable& error) {
      shared_outbox = previous;
      throw_cannot_checkpoint(error.what());
    } catch (...) {
      shared_outbox = previous;
      throw;
    }
    shared_outbox = previous;
    for (const std::uint64_t id : referred_)
      out(digests_.at(id));
    out(seed, static_cast<std::uint64_t>(index), program_digest());
    return key;
  }

  void refer(std::uint64_t id, std::shared_ptr<const void> value,
             void (*write)(const void* value, Bytes& bytes)) override;

 private:
  std::map<std::uint64_t, std::uint64_t> digests_;  // by Shared id, computed once per run
  std::vector<std::uint64_t> referred_;
};

/// A result as checkpoint bytes; a void result is an empty record.
template <class R>
Bytes result_bytes(const R& value) {
  Bytes bytes;
  OutputArchive out(bytes);
  out(value);
  return bytes;
}

/// The result in checkpoint bytes, or nothing when they do not read back as an R.
template <class R>
std::optional<R> result_from(const Bytes& bytes) {
  try {
    InputArchive in(bytes);
    R value{};
    in(value);
    if (in.remaining() != 0) return std::nullopt;
    return value;
  } catch (const cereal::Exception&) {
    return std::nullopt;
  }
}

/// Whether results of type R can be kept (a void task keeps an empty record).
template <class R>
inline constexpr bool kCanCheckpoint = std::is_void_v<R> || (transportable<R>::value &&
                                                             std::is_default_constructible_v<R>);

template <class R>
void check_can_checkpoint() {
  if constexpr (!kCanCheckpoint<R>) {
    throw_cannot_checkpoint("its tasks return " + type_name<R>() +
                            ", which cereal cannot write or which has no default constructor");
  }
}

}  // namespace joblet::detail
