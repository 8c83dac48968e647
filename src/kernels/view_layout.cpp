#include "joblet/detail/view_layout.hpp"

#include <algorithm>
#include <stdexcept>

namespace joblet::detail {
namespace {

[[noreturn]] void refuse(const char* kernel, const std::string& problem, const std::string& fix) {
  throw std::invalid_argument(std::string("joblet::kernels::") + kernel + ": " + problem + "; " +
                              fix);
}

bool same_view(const Layout& a, const Layout& b) {
  return a.lowest == b.lowest && a.shape == b.shape && a.strides == b.strides;
}

bool overlap(const Layout& a, const Layout& b) {
  return a.lowest < b.highest && b.lowest < a.highest;
}

/// Each element of `out` is one address: no stride 0 on a dimension longer than 1.
void check_writes_once(const char* kernel, const Layout& out) {
  for (std::size_t d = 0; d < out.shape.size(); ++d) {
    if (out.shape[d] > 1 && out.strides[d] == 0) {
      refuse(kernel,
             "out has stride 0 in dimension " + std::to_string(d) + " of shape " +
                 shape_string(out.shape) + ", so several results would land on one element",
             "give out its own storage of that shape");
    }
  }
}

}  // namespace

std::string shape_string(std::span<const std::size_t> shape) {
  std::string text = "(";
  for (std::size_t d = 0; d < shape.size(); ++d) {
    if (d > 0) text += ", ";
    text += std::to_string(shape[d]);
  }
  if (shape.size() == 1) text += ",";
  return text + ")";
}

Layout make_layout(const void* data, std::size_t element_size, std::span<const std::size_t> shape,
                   std::span<const std::ptrdiff_t> strides, const char* what, const char* kernel) {
  Layout layout;
  layout.shape.assign(shape.begin(), shape.end());
  if (strides.empty()) {
    layout.strides.resize(shape.size());
    std::ptrdiff_t step = 1;
    for (std::size_t d = shape.size(); d-- > 0;) {
      layout.strides[d] = step;
      step *= static_cast<std::ptrdiff_t>(shape[d]);
    }
  } else if (strides.size() != shape.size()) {
    refuse(kernel,
           std::string(what) + " has " + std::to_string(shape.size()) + " dimensions but " +
               std::to_string(strides.size()) + " strides",
           "give one stride per dimension, or none for a contiguous row-major view");
  } else {
    layout.strides.assign(strides.begin(), strides.end());
  }
  if (data == nullptr && std::find(shape.begin(), shape.end(), 0) == shape.end()) {
    refuse(kernel, std::string(what) + " has no data but shape " + shape_string(shape),
           "point the view at its elements");
  }
  std::ptrdiff_t low = 0;
  std::ptrdiff_t high = 0;
  std::ptrdiff_t expected = 1;
  for (std::size_t d = shape.size(); d-- > 0;) {
    if (shape[d] == 0) {
      low = high = 0;
      break;
    }
    const std::ptrdiff_t reach = layout.strides[d] * static_cast<std::ptrdiff_t>(shape[d] - 1);
    (reach < 0 ? low : high) += reach;
    if (shape[d] > 1 && layout.strides[d] != expected) layout.contiguous = false;
    expected *= static_cast<std::ptrdiff_t>(shape[d]);
  }
  const auto* base = static_cast<const std::byte*>(data);
  const auto size = static_cast<std::ptrdiff_t>(element_size);
  layout.lowest = base + low * size;
  layout.highest = base + (high + 1) * size;
  if (std::find(shape.begin(), shape.end(), 0) != shape.end()) layout.highest = layout.lowest;
  return layout;
}

std::vector<std::ptrdiff_t> stretch(const Layout& in, std::span<const std::size_t> shape) {
  std::vector<std::ptrdiff_t> strides(shape.size(), 0);
  const std::size_t leading = shape.size() - in.shape.size();
  for (std::size_t d = 0; d < in.shape.size(); ++d) {
    strides[leading + d] = in.shape[d] == 1 ? 0 : in.strides[d];
  }
  return strides;
}

void check_elementwise(const char* kernel, const Layout& out, std::span<const Layout* const> inputs,
                       std::span<const char* const> input_names) {
  std::string inputs_text;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (i > 0) inputs_text += " and ";
    inputs_text += std::string(input_names[i]) + " " + shape_string(inputs[i]->shape);
  }
  for (const Layout* const input : inputs) {
    const Layout& in = *input;
    const bool fits =
        in.shape.size() <= out.shape.size() &&
        std::equal(in.shape.rbegin(), in.shape.rend(), out.shape.rbegin(),
                   [](std::size_t from, std::size_t to) { return from == to || from == 1; });
    if (!fits) {
      refuse(kernel,
             inputs_text + " do not broadcast to out " + shape_string(out.shape) +
                 " (numpy's rules: dimensions are matched from the last, and each must be equal "
                 "or 1 in the input)",
             "give out the broadcast shape of the inputs");
    }
  }
  // out is exactly the broadcast shape: every dimension of out comes from some input.
  for (std::size_t d = 0; d < out.shape.size(); ++d) {
    const std::size_t from_end = out.shape.size() - d;
    const bool reached = std::any_of(inputs.begin(), inputs.end(), [&](const Layout* in) {
      return from_end <= in->shape.size() && in->shape[in->shape.size() - from_end] == out.shape[d];
    });
    if (!reached && out.shape[d] != 1) {
      refuse(kernel,
             "out " + shape_string(out.shape) + " is larger than the broadcast of " + inputs_text,
             "give out the broadcast shape of the inputs");
    }
  }
  check_writes_once(kernel, out);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (overlap(out, *inputs[i]) && !same_view(out, *inputs[i])) {
      refuse(kernel,
             std::string("out overlaps ") + input_names[i] +
                 " without being the same view (same start, shape and strides), so an element "
                 "could be overwritten before it is read",
             "write into separate storage, or pass the very same view as out to work in place");
    }
  }
}

void check_reduction(const Layout& in, const Layout& out, std::size_t dim) {
  constexpr const char* kernel = "reduce";
  if (dim >= in.shape.size()) {
    refuse(kernel,
           "dim " + std::to_string(dim) + " is out of range for in of shape " +
               shape_string(in.shape) + " (" + std::to_string(in.shape.size()) + " dimensions)",
           "pass a dim below " + std::to_string(in.shape.size()));
  }
  auto expected = in.shape;
  expected[dim] = 1;
  if (out.shape != expected) {
    refuse(kernel,
           "out has shape " + shape_string(out.shape) + " but reducing dimension " +
               std::to_string(dim) + " of in " + shape_string(in.shape) + " gives " +
               shape_string(expected),
           "give out the shape of in with dimension " + std::to_string(dim) + " set to 1");
  }
  check_writes_once(kernel, out);
  if (overlap(out, in)) {
    refuse(kernel, "out overlaps in", "reduce into separate storage");
  }
}

Rows rows_of(std::span<const std::size_t> shape) noexcept {
  Rows rows;
  if (shape.empty()) return rows;
  rows.length = shape.back();
  for (std::size_t d = 0; d + 1 < shape.size(); ++d)
    rows.count *= shape[d];
  return rows;
}

std::ptrdiff_t row_offset(std::size_t row, std::span<const std::size_t> shape,
                          std::span<const std::ptrdiff_t> strides) noexcept {
  std::ptrdiff_t offset = 0;
  if (shape.empty()) return offset;
  for (std::size_t d = shape.size() - 1; d-- > 0;) {
    offset += static_cast<std::ptrdiff_t>(row % shape[d]) * strides[d];
    row /= shape[d];
  }
  return offset;
}

}  // namespace joblet::detail
