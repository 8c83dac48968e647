// The loops behind map and zip: contiguous ones the compiler vectorises, and N-d strided ones
// cut into rows, with each input's strides stretched to out's shape.
#pragma once

#include <array>
#include <cstddef>
#include <functional>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "fork_join.hpp"
#include "view_layout.hpp"

namespace joblet::kernels {
template <class T>
struct View;
}  // namespace joblet::kernels

namespace joblet::detail {

/// Iterations below which a loop stays on the calling thread: waking a helper costs a few
/// microseconds, about what this many cheap iterations take.
inline constexpr std::size_t kDefaultGrain = 16384;

// A loop over floating-point elements is also compiled for AVX2 and AVX-512, and the widest
// version the CPU has runs (the dynamic loader picks it once): a default x86-64 build is SSE2,
// where the vector math of kernels::exp and friends goes two elements at a time, against
// eight with AVX-512 (bench/kernels_bench.cpp). Contraction of a * b + c into one fused
// multiply-add, which AVX-512 has, stays off in every version, so that each one rounds as a
// plain loop of the default build does and a result has the same bits on every machine. The
// dynamic cost model is -O3's: at -O2 GCC 12 vectorises only loops that need no remainder.
// ThreadSanitizer's instrumentation of the loader's resolver crashes before main, so a
// -fsanitize=thread build has the one version.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) && \
    !defined(__SANITIZE_THREAD__)
#define JOBLET_DETAIL_FOR_EACH_VECTOR_WIDTH           \
  [[gnu::target_clones("default", "avx2", "avx512f"), \
    gnu::optimize("fp-contract=off", "vect-cost-model=dynamic")]]
#else
#define JOBLET_DETAIL_FOR_EACH_VECTOR_WIDTH
#endif

// Pointers and counts arrive by value: GCC 12 turned a loop that read them through a lambda's
// by-reference captures into gathers, 11x slower (bench/kernels_bench.cpp keeps the case).
template <class Fn, class Out, class... In>
void plain_contiguous_loop(const Fn& fn, std::size_t n, Out* out, const In*... in) {
  for (std::size_t i = 0; i < n; ++i)
    out[i] = fn(in[i]...);
}

template <class Fn, class Out, class... In>
JOBLET_DETAIL_FOR_EACH_VECTOR_WIDTH void floating_contiguous_loop(const Fn& fn, std::size_t n,
                                                                  Out* out, const In*... in) {
  for (std::size_t i = 0; i < n; ++i)
    out[i] = fn(in[i]...);
}

template <class Fn, class Out, class... In>
void contiguous_loop(const Fn& fn, std::size_t n, Out* out, const In*... in) {
  if constexpr (std::is_floating_point_v<Out>) {
    floating_contiguous_loop(fn, n, out, in...);
  } else {
    plain_contiguous_loop(fn, n, out, in...);
  }
}

template <class Fn, class Out, class... In>
void strided_loop(const Fn& fn, std::size_t n, Out* out, std::ptrdiff_t out_stride,
                  std::pair<const In*, std::ptrdiff_t>... in) {
  for (std::size_t i = 0; i < n; ++i) {
    const auto step = static_cast<std::ptrdiff_t>(i);
    out[step * out_stride] = fn(in.first[step * in.second]...);
  }
}

template <class Fn, class Out, class... In>
void contiguous_elementwise(const Fn& fn, std::size_t n, Out* out, const In*... in) {
  const Plan plan = plan_loop(n, kDefaultGrain);
  run_parts(plan.parts, plan.threads, [&](std::size_t part) {
    const auto [begin, end] = part_range(n, plan.parts, part);
    contiguous_loop(fn, end - begin, out + begin, (in + begin)...);
  });
}

inline void check_same_size(const char* kernel, std::size_t in_size, std::size_t out_size) {
  if (in_size != out_size) {
    throw std::invalid_argument(std::string("joblet::kernels::") + kernel + ": the input has " +
                                std::to_string(in_size) + " elements but out has " +
                                std::to_string(out_size) +
                                "; give out as many elements as the input (or use views to "
                                "broadcast)");
  }
}

template <class Fn, class Out, class... In, std::size_t... I>
void view_elementwise(const char* kernel, const std::array<const char*, sizeof...(In)>& names,
                      const Fn& fn, const kernels::View<Out>& out,
                      std::index_sequence<I...> /*indices*/, const kernels::View<In>&... in) {
  const Layout out_layout =
      make_layout(out.data, sizeof(Out), out.shape, out.strides, "out", kernel);
  const std::array<Layout, sizeof...(In)> in_layouts{
      make_layout(in.data, sizeof(In), in.shape, in.strides, names[I], kernel)...};
  const std::array<const Layout*, sizeof...(In)> inputs{&in_layouts[I]...};
  check_elementwise(kernel, out_layout, inputs, names);

  std::size_t total = 1;
  for (const std::size_t extent : out.shape)
    total *= extent;
  if (total == 0) return;
  if (out_layout.contiguous && ((in_layouts[I].contiguous && in.shape == out.shape) && ...)) {
    contiguous_elementwise(fn, total, out.data, static_cast<const In*>(in.data)...);
    return;
  }

  const std::array<std::vector<std::ptrdiff_t>, sizeof...(In)> strides{
      stretch(in_layouts[I], out.shape)...};
  const Rows rows = rows_of(out.shape);
  const std::ptrdiff_t out_step = out.shape.empty() ? 1 : out_layout.strides.back();
  const std::array<std::ptrdiff_t, sizeof...(In)> in_steps{
      (out.shape.empty() ? 1 : strides[I].back())...};
  const bool rows_contiguous = out_step == 1 && ((in_steps[I] == 1) && ...);
  const Plan plan = plan_loop(rows.count, std::max<std::size_t>(1, kDefaultGrain / rows.length));
  run_parts(plan.parts, plan.threads, [&](std::size_t part) {
    const auto [begin, end] = part_range(rows.count, plan.parts, part);
    for (std::size_t row = begin; row < end; ++row) {
      Out* const out_row = out.data + row_offset(row, out.shape, out_layout.strides);
      if (rows_contiguous) {
        contiguous_loop(
            fn, rows.length, out_row,
            static_cast<const In*>(in.data + row_offset(row, out.shape, strides[I]))...);
      } else {
        strided_loop(fn, rows.length, out_row, out_step,
                     std::pair<const In*, std::ptrdiff_t>{
                         in.data + row_offset(row, out.shape, strides[I]), in_steps[I]}...);
      }
    }
  });
}

/// reduce(in, out, dim, init, op): each element of out is init folded with the elements of in
/// along dim, in order; rows of out are spread over the threads.
template <class In, class Out, class T, class Op>
void view_reduce(const kernels::View<In>& in, const kernels::View<Out>& out, std::size_t dim,
                 const T& init, const Op& op) {
  const Layout in_layout = make_layout(in.data, sizeof(In), in.shape, in.strides, "in", "reduce");
  const Layout out_layout =
      make_layout(out.data, sizeof(Out), out.shape, out.strides, "out", "reduce");
  check_reduction(in_layout, out_layout, dim);
  const Rows rows = rows_of(out.shape);
  if (rows.count == 0 || rows.length == 0) return;
  const std::size_t along = in.shape[dim];
  const std::ptrdiff_t along_step = in_layout.strides[dim];
  const bool along_last = dim + 1 == in.shape.size();
  const std::ptrdiff_t out_step = out_layout.strides.back();
  const std::ptrdiff_t in_step = in_layout.strides.back();
  const std::size_t work_per_row = std::max<std::size_t>(1, rows.length * along);
  const Plan plan = plan_loop(rows.count, std::max<std::size_t>(1, kDefaultGrain / work_per_row));
  run_parts(plan.parts, plan.threads, [&](std::size_t part) {
    const auto [begin, end] = part_range(rows.count, plan.parts, part);
    for (std::size_t row = begin; row < end; ++row) {
      Out* const to = out.data + row_offset(row, out.shape, out_layout.strides);
      const In* const from = in.data + row_offset(row, out.shape, in_layout.strides);
      if (along_last) {
        auto folded = static_cast<Out>(init);
        for (std::size_t k = 0; k < along; ++k)
          folded = op(folded, from[static_cast<std::ptrdiff_t>(k) * along_step]);
        *to = folded;
        continue;
      }
      const std::size_t width = rows.length;
      for (std::size_t e = 0; e < width; ++e)
        to[static_cast<std::ptrdiff_t>(e) * out_step] = static_cast<Out>(init);
      for (std::size_t k = 0; k < along; ++k) {
        const In* const slice = from + static_cast<std::ptrdiff_t>(k) * along_step;
        if (out_step == 1 && in_step == 1) {
          contiguous_loop(op, width, to, static_cast<const Out*>(to), slice);
        } else {
          strided_loop(op, width, to, out_step, std::pair<const Out*, std::ptrdiff_t>{to, out_step},
                       std::pair<const In*, std::ptrdiff_t>{slice, in_step});
        }
      }
    }
  });
}

}  // namespace joblet::detail
