// joblet — grid(ranges...): every combination of parameter values, for sweeps.
#pragma once

#include <array>
#include <cstddef>
#include <iterator>
#include <memory>
#include <ranges>
#include <tuple>
#include <utility>
#include <vector>

namespace joblet {

/// The cartesian product of parameter lists as a random-access range of std::tuple, in
/// row-major order: the last list varies fastest, as in nested for-loops written in the same
/// order. Copies of the lists are shared by all copies of the grid.
///
///     for (auto [p, e] : joblet::grid(periods, eccs))   // (p0,e0) (p0,e1) ... (p1,e0) ...
template <class... Ts>
class Grid : public std::ranges::view_interface<Grid<Ts...>> {
  using Axes = std::tuple<std::vector<Ts>...>;

 public:
  using value_type = std::tuple<Ts...>;

  class iterator {
   public:
    using value_type = std::tuple<Ts...>;
    using difference_type = std::ptrdiff_t;
    using iterator_concept = std::random_access_iterator_tag;

    iterator() = default;

    value_type operator*() const { return combination(*axes_, index_); }
    value_type operator[](difference_type n) const {
      return combination(*axes_,
                         static_cast<std::size_t>(static_cast<difference_type>(index_) + n));
    }

    iterator& operator++() { return *this += 1; }
    iterator operator++(int) { return std::exchange(*this, *this + 1); }
    iterator& operator--() { return *this -= 1; }
    iterator operator--(int) { return std::exchange(*this, *this - 1); }
    iterator& operator+=(difference_type n) {
      index_ = static_cast<std::size_t>(static_cast<difference_type>(index_) + n);
      return *this;
    }
    iterator& operator-=(difference_type n) { return *this += -n; }
    friend iterator operator+(iterator it, difference_type n) { return it += n; }
    friend iterator operator+(difference_type n, iterator it) { return it += n; }
    friend iterator operator-(iterator it, difference_type n) { return it -= n; }
    friend difference_type operator-(const iterator& a, const iterator& b) {
      return static_cast<difference_type>(a.index_) - static_cast<difference_type>(b.index_);
    }
    friend bool operator==(const iterator& a, const iterator& b) { return a.index_ == b.index_; }
    friend auto operator<=>(const iterator& a, const iterator& b) { return a.index_ <=> b.index_; }

   private:
    friend class Grid;
    iterator(const Axes* axes, std::size_t index) : axes_(axes), index_(index) {}
    const Axes* axes_ = nullptr;  // owned by the grids, not by one of them: survives moves
    std::size_t index_ = 0;
  };

  Grid() = default;
  explicit Grid(std::vector<Ts>... axes)
      : axes_(std::make_shared<const Axes>(std::move(axes)...)),
        size_(std::apply([](const auto&... axis) { return (std::size_t{1} * ... * axis.size()); },
                         *axes_)) {}

  [[nodiscard]] iterator begin() const { return {axes_.get(), 0}; }
  [[nodiscard]] iterator end() const { return {axes_.get(), size_}; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }

  /// The combination at row-major position `index`.
  [[nodiscard]] value_type at(std::size_t index) const { return combination(*axes_, index); }

 private:
  static value_type combination(const Axes& axes, std::size_t index) {
    return combination(axes, index, std::index_sequence_for<Ts...>{});
  }

  template <std::size_t... I>
  static value_type combination(const Axes& axes, std::size_t index,
                                std::index_sequence<I...> /*axes*/) {
    const std::array<std::size_t, sizeof...(Ts)> lengths{std::get<I>(axes).size()...};
    std::array<std::size_t, sizeof...(Ts)> position{};
    for (std::size_t axis = sizeof...(Ts); axis-- > 0;) {
      position[axis] = index % lengths[axis];
      index /= lengths[axis];
    }
    return value_type(std::get<I>(axes)[position[I]]...);
  }

  std::shared_ptr<const Axes> axes_;
  std::size_t size_ = 0;
};

/// The grid of every combination of the values in `ranges` (each a finite range, copied).
template <std::ranges::input_range... Ranges>
[[nodiscard]] auto grid(Ranges&&... ranges) {
  const auto to_vector = [](auto&& range) {
    std::vector<std::ranges::range_value_t<decltype(range)>> values;
    if constexpr (std::ranges::sized_range<decltype(range)>)
      values.reserve(std::ranges::size(range));
    for (auto&& value : range)
      values.emplace_back(std::forward<decltype(value)>(value));
    return values;
  };
  return Grid<std::ranges::range_value_t<Ranges>...>(to_vector(std::forward<Ranges>(ranges))...);
}

}  // namespace joblet
