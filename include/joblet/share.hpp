// joblet — share(value): read-only data that every task of a run can use, sent to each worker
// process once.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <type_traits>
#include <typeinfo>
#include <utility>

#include "detail/archive.hpp"
#include "detail/transportable.hpp"

namespace joblet {

namespace detail {

/// Where the values of Shared arguments go while a batch is written (in the parent).
class SharedOutbox {
 public:
  SharedOutbox() = default;
  SharedOutbox(const SharedOutbox&) = delete;
  SharedOutbox& operator=(const SharedOutbox&) = delete;
  SharedOutbox(SharedOutbox&&) = delete;
  SharedOutbox& operator=(SharedOutbox&&) = delete;
  virtual ~SharedOutbox() = default;
  /// The batch refers to the shared value `id`; `write` appends its bytes when they are needed.
  virtual void refer(std::uint64_t id, std::shared_ptr<const void> value,
                     void (*write)(const void* value, Bytes& bytes)) = 0;
};

/// Where Shared arguments find their values while a batch is read (in a worker).
class SharedInbox {
 public:
  SharedInbox() = default;
  SharedInbox(const SharedInbox&) = delete;
  SharedInbox& operator=(const SharedInbox&) = delete;
  SharedInbox(SharedInbox&&) = delete;
  SharedInbox& operator=(SharedInbox&&) = delete;
  virtual ~SharedInbox() = default;
  /// The value `id`, read with `read` from its bytes the first time.
  virtual std::shared_ptr<const void> find(
      std::uint64_t id, const std::type_info& type,
      std::shared_ptr<const void> (*read)(std::span<const std::byte> bytes)) = 0;
};

inline thread_local SharedOutbox* shared_outbox = nullptr;
inline thread_local SharedInbox* shared_inbox = nullptr;

[[nodiscard]] std::uint64_t next_shared_id() noexcept;
[[noreturn]] void throw_shared_outside_a_run();

}  // namespace detail

/// A read-only value that tasks share. Under sequential and threads it is a shared pointer:
/// tasks see the caller's value, never a copy. Under processes (and mpi) its bytes go to each
/// worker once per run, however many tasks refer to it, and the worker keeps the value for the
/// rest of the run.
///
///     auto data = joblet::share(load_rv("star.csv"));
///     tasks.push_back(joblet::delayed(chi2, period, ecc, data));   // chi2(double, double,
///                                                                  //      const Shared<RvData>&)
template <class T>
class Shared {
 public:
  using element_type = T;

  Shared() = default;
  explicit Shared(std::shared_ptr<const T> value)
      : value_(std::move(value)), id_(detail::next_shared_id()) {}

  [[nodiscard]] const T& operator*() const noexcept { return *value_; }
  [[nodiscard]] const T* operator->() const noexcept { return value_.get(); }
  [[nodiscard]] const T& get() const noexcept { return *value_; }
  /// Unique in this process; copies share it.
  [[nodiscard]] std::uint64_t id() const noexcept { return id_; }

  template <class Archive>
  void save(Archive& archive) const {
    archive(id_);
    if (detail::shared_outbox == nullptr) detail::throw_shared_outside_a_run();
    detail::shared_outbox->refer(id_, value_, [](const void* value, detail::Bytes& bytes) {
      detail::OutputArchive out(bytes);
      out(*static_cast<const T*>(value));
    });
  }

  template <class Archive>
  void load(Archive& archive) {
    archive(id_);
    if (detail::shared_inbox == nullptr) detail::throw_shared_outside_a_run();
    value_ = std::static_pointer_cast<const T>(detail::shared_inbox->find(
        id_, typeid(T), [](std::span<const std::byte> bytes) -> std::shared_ptr<const void> {
          auto value = std::make_shared<T>();
          detail::InputArchive in(bytes);
          in(*value);
          return value;
        }));
  }

 private:
  std::shared_ptr<const T> value_;
  std::uint64_t id_ = 0;
};

/// Shares `value` (copied or moved in) with every task that takes the returned Shared.
template <class T>
[[nodiscard]] Shared<std::decay_t<T>> share(T&& value) {
  return Shared<std::decay_t<T>>(std::make_shared<const std::decay_t<T>>(std::forward<T>(value)));
}

namespace detail {
template <class T>
struct transportable<Shared<T>> : transportable<T> {};
}  // namespace detail

}  // namespace joblet
