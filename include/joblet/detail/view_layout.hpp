// The shape arithmetic behind kernels over N-d views: numpy's broadcasting rules, the checks
// that turn a mismatch into a sentence, and how an N-d loop is cut into rows.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace joblet::detail {

/// A view's shape and strides (in elements; strides filled in when the view left them empty),
/// the address range it touches, and whether it is contiguous and row-major.
struct Layout {
  std::vector<std::size_t> shape;
  std::vector<std::ptrdiff_t> strides;
  const std::byte* lowest = nullptr;   ///< first byte touched
  const std::byte* highest = nullptr;  ///< one past the last byte touched
  bool contiguous = true;
};

/// `what` names the view in errors ("out", "a"); `element_size` is sizeof its elements.
[[nodiscard]] Layout make_layout(const void* data, std::size_t element_size,
                                 std::span<const std::size_t> shape,
                                 std::span<const std::ptrdiff_t> strides, const char* what,
                                 const char* kernel);

/// "(3, 4)".
[[nodiscard]] std::string shape_string(std::span<const std::size_t> shape);

/// `in`'s strides seen from a loop over `shape`: leading dimensions added and size-1
/// dimensions stretched with stride 0 (numpy's rules).
[[nodiscard]] std::vector<std::ptrdiff_t> stretch(const Layout& in,
                                                  std::span<const std::size_t> shape);

/// Checks that the inputs broadcast to exactly `out`'s shape, that `out` writes each element
/// once, and that `out` either is one of the inputs (same start, shape and strides) or
/// touches none of their memory; throws std::invalid_argument naming the shapes otherwise.
void check_elementwise(const char* kernel, const Layout& out, std::span<const Layout* const> inputs,
                       std::span<const char* const> input_names);

/// Checks `reduce(in, out, dim, ...)`: dim in range, out's shape is in's with dim set to 1,
/// out writes each element once and does not overlap in.
void check_reduction(const Layout& in, const Layout& out, std::size_t dim);

/// An N-d loop as rows: every dimension but the last is flattened into a row number.
struct Rows {
  std::size_t count = 1;   ///< rows
  std::size_t length = 1;  ///< elements per row
};
[[nodiscard]] Rows rows_of(std::span<const std::size_t> shape) noexcept;

/// The element offset of the start of `row` for a view with `strides`, the row numbered over
/// `shape` (the last dimension excluded).
[[nodiscard]] std::ptrdiff_t row_offset(std::size_t row, std::span<const std::size_t> shape,
                                        std::span<const std::ptrdiff_t> strides) noexcept;

}  // namespace joblet::detail
