// Reading tasks from the caller's input range, in the calling thread.
#pragma once

#include <cstddef>
#include <iterator>
#include <optional>
#include <ranges>
#include <type_traits>
#include <vector>

namespace joblet::detail {

/// Walks the input range once, in order. Tasks are either run where they are (a random-access
/// range of lvalues, such as a std::vector: a batch is a slice of the range, nothing is
/// copied), or taken out into the batch (lazy views, single-pass ranges): then the range is
/// read no further ahead than the batches in flight.
template <class Range>
class TaskSource {
 public:
  using Reference = std::ranges::range_reference_t<Range>;
  using Task = std::remove_cvref_t<Reference>;
  using Iterator = std::ranges::iterator_t<Range>;

  static constexpr bool kCanRunInPlace = std::ranges::random_access_range<Range> &&
                                         std::ranges::sized_range<Range> &&
                                         std::is_lvalue_reference_v<Reference>;
  static constexpr bool kCanTake = std::is_constructible_v<Task, Reference>;

  explicit TaskSource(Range& range)
      : origin_(std::ranges::begin(range)), next_(origin_), end_(std::ranges::end(range)) {
    if constexpr (std::ranges::sized_range<Range>) {
      count_ = static_cast<std::size_t>(std::ranges::size(range));
      size_ = count_;
    }
  }

  [[nodiscard]] std::optional<std::size_t> size() const { return size_; }
  [[nodiscard]] std::size_t position() const { return position_; }
  [[nodiscard]] std::optional<std::size_t> remaining() const {
    if (size_) return *size_ - position_;
    return std::nullopt;
  }
  [[nodiscard]] bool exhausted() const {
    if constexpr (kCanRunInPlace) {
      return position_ == count_;
    } else {
      return next_ == end_;
    }
  }

  /// Where the range starts, to reach tasks in place.
  [[nodiscard]] const Iterator& origin() const requires kCanRunInPlace { return origin_; }

  /// Hands out up to n tasks to run in place; returns how many.
  std::size_t skip(std::size_t n) requires kCanRunInPlace {
    const std::size_t count = std::min(n, count_ - position_);
    position_ += count;
    next_ = origin_ + static_cast<std::ranges::range_difference_t<Range>>(position_);
    return count;
  }

  /// Copies or moves up to n tasks into `into`; returns how many. An exception thrown by the
  /// range itself propagates to the caller.
  std::size_t take(std::size_t n, std::vector<Task>& into) requires kCanTake {
    std::size_t count = 0;
    for (; count < n && next_ != end_; ++count) {
      into.emplace_back(*next_);
      ++next_;
      ++position_;
    }
    return count;
  }

 private:
  Iterator origin_;
  Iterator next_;
  std::ranges::sentinel_t<Range> end_;
  std::size_t position_ = 0;
  std::size_t count_ = 0;  // tasks in a sized range
  std::optional<std::size_t> size_;
};

}  // namespace joblet::detail
