// joblet — Generator<R>: results as a lazy range, as Parallel::imap returns them.
#pragma once

#include <cstddef>
#include <iterator>
#include <memory>
#include <optional>
#include <utility>

namespace joblet {

/// One result and the position of its task in the input range.
template <class R>
struct Indexed {
  std::size_t index;
  R value;
};

/// A finished task that returns nothing.
template <>
struct Indexed<void> {
  std::size_t index;
};

namespace detail {

/// The run behind a Generator, with its input range's type hidden.
template <class R>
class ResultStream {
 public:
  ResultStream() = default;
  ResultStream(const ResultStream&) = delete;
  ResultStream& operator=(const ResultStream&) = delete;
  ResultStream(ResultStream&&) = delete;
  ResultStream& operator=(ResultStream&&) = delete;
  /// Stops the tasks not delivered yet and waits for the running ones.
  virtual ~ResultStream() = default;
  /// The next result, or nullopt at the end; throws the run's TaskError.
  virtual std::optional<Indexed<R>> next() = 0;
};

}  // namespace detail

/// Results as they come: `for (auto& [index, value] : parallel.imap(tasks))`.
///
/// Tasks run ahead of the loop by at most Options::pre_dispatch batches. Leaving the loop early
/// (or destroying the generator) stops the tasks that have not started and waits only for the
/// running ones. A range of tasks passed as an lvalue must outlive the generator; one passed as
/// an rvalue is kept inside it. A failing task ends the loop with its TaskError.
template <class R>
class Generator {
 public:
  class iterator {
   public:
    using value_type = Indexed<R>;
    using difference_type = std::ptrdiff_t;

    iterator() = default;
    // Like any iterator, one at the end must not be dereferenced.
    value_type& operator*() const {
      return *generator_->current_;  // NOLINT(bugprone-unchecked-optional-access)
    }
    value_type* operator->() const { return &**this; }
    iterator& operator++() {
      generator_->advance();
      return *this;
    }
    void operator++(int) { ++*this; }
    bool operator==(std::default_sentinel_t /*end*/) const { return !generator_->current_; }

   private:
    friend class Generator;
    explicit iterator(Generator* generator) : generator_(generator) {}
    Generator* generator_ = nullptr;
  };

  explicit Generator(std::unique_ptr<detail::ResultStream<R>> stream)
      : stream_(std::move(stream)) {}

  /// Runs until the first result is there. A generator is walked once.
  iterator begin() {
    if (!started_) {
      started_ = true;
      advance();
    }
    return iterator(this);
  }
  [[nodiscard]] std::default_sentinel_t end() const noexcept { return {}; }

 private:
  void advance() {
    current_.reset();
    current_ = stream_->next();
  }

  std::unique_ptr<detail::ResultStream<R>> stream_;
  std::optional<Indexed<R>> current_;
  bool started_ = false;
};

}  // namespace joblet
