// joblet — data-parallel kernels for the numeric core of a task: parallel_for, and map, zip,
// reduce and map_reduce over std::span and over strided N-d views with numpy's broadcasting.
//
//     namespace jk = joblet::kernels;
//     jk::map(x, y, [](double v) { return v * v + 1; });                  // y[i] = x[i]² + 1
//     double chi2 = jk::map_reduce(r, 0.0, [](double v) { return v * v; }, std::plus<>{});
//     jk::zip(jk::View<const float>{frame, {h, w}}, jk::View<const float>{bias, {1, w}},
//             jk::View<float>{out, {h, w}}, std::minus<>{});              // bias per column
//
// Threads. A kernel uses the threads its caller was given: max(1, cpu_count() / n_jobs) in a
// task of Parallel(n_jobs) on any backend (Options::inner_threads overrides), cpu_count()
// outside any task, and one inside another kernel's function (a nested kernel runs serially;
// it never deadlocks and never adds threads). Helpers are borrowed from the pool the threads
// backend uses; no thread is started per call. A loop of fewer iterations than its grain runs
// on the calling thread alone.
//
// Reproducible reductions. reduce and map_reduce cut the input into fixed chunks of
// kReduceChunk elements, reduce each in a fixed order and fold the chunks' results in a fixed
// pairwise tree, so a floating-point result is the same bits for any number of threads and on
// every backend. As for std::reduce, `op` must be associative and commutative, and `init` is
// folded in once.
//
// Views. View<T>{data, shape, strides} has strides in elements; empty strides mean contiguous
// and row-major. map and zip broadcast their inputs to out's shape by numpy's rules
// (dimensions matched from the last; an input's dimension of size 1 stretches, missing leading
// dimensions are added) and out must have exactly the broadcast shape. out may be the very
// same view as an input (in place); out overlapping an input any other way, out writing one
// element twice (a stride of 0), and shapes that do not broadcast are std::invalid_argument
// naming the shapes. When every view is contiguous and the shapes are equal, the loop is the
// contiguous one of the span overloads.
//
// Math. kernels::exp, log, sin and cos (vector_math.hpp) vectorise in these loops without
// -ffast-math, where std::exp stays a call per element.
#pragma once

#include <concepts>
#include <cstddef>
#include <ranges>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "detail/elementwise.hpp"
#include "detail/fork_join.hpp"
#include "detail/reproducible_reduce.hpp"
#include "detail/trace.hpp"
#include "vector_math.hpp"

namespace joblet::kernels {

/// A strided N-d view of elements that live elsewhere.
template <class T>
struct View {
  T* data = nullptr;
  std::vector<std::size_t> shape;
  std::vector<std::ptrdiff_t> strides{};  ///< in elements; empty: contiguous, row-major
};

/// Iterations below which parallel_for, map and zip stay on the calling thread.
inline constexpr std::size_t kDefaultGrain = detail::kDefaultGrain;
/// Elements per leaf of the fixed reduction tree.
inline constexpr std::size_t kReduceChunk = detail::kReduceChunk;

/// Threads a kernel called here would use (see the budget rule above).
[[nodiscard]] inline int threads() noexcept {
  return detail::kernel_threads();
}

/// Calls body(i) for every i in [0, n), or body(begin, end) for consecutive ranges covering
/// it, in parallel. Iterations must be independent.
template <class Body>
void parallel_for(std::size_t n, Body&& body, std::size_t grain = kDefaultGrain) {
  constexpr bool ranges = std::is_invocable_v<Body&, std::size_t, std::size_t>;
  static_assert(ranges || std::is_invocable_v<Body&, std::size_t>,
                "joblet::kernels::parallel_for: body must be callable as body(i) or "
                "body(begin, end) with std::size_t arguments");
  const detail::KernelSlice traced("parallel_for");
  if (n == 0) return;
  const detail::Plan plan = detail::plan_loop(n, grain);
  detail::run_parts(plan.parts, plan.threads, [&body, n, &plan](std::size_t part) {
    const auto [begin, end] = detail::part_range(n, plan.parts, part);
    if constexpr (ranges) {
      body(begin, end);
    } else {
      for (std::size_t i = begin; i < end; ++i)
        body(i);
    }
  });
}

/// out[i] = fn(in[i]). `in` and `out` are contiguous ranges (std::vector, std::span, ...) of
/// equal size; out may be in itself.
template <std::ranges::contiguous_range In, std::ranges::contiguous_range Out, class Fn>
void map(const In& in, Out&& out, Fn fn) {
  const detail::KernelSlice traced("map");
  const std::span input(in);
  const std::span output(out);
  detail::check_same_size("map", input.size(), output.size());
  detail::contiguous_elementwise(fn, input.size(), output.data(), input.data());
}

/// out[i] = fn(a[i], b[i]), for contiguous ranges of equal size.
template <std::ranges::contiguous_range A, std::ranges::contiguous_range B,
          std::ranges::contiguous_range Out, class Fn>
void zip(const A& a, const B& b, Out&& out, Fn fn) {
  const detail::KernelSlice traced("zip");
  const std::span first(a);
  const std::span second(b);
  const std::span output(out);
  detail::check_same_size("zip", first.size(), second.size());
  detail::check_same_size("zip", first.size(), output.size());
  detail::contiguous_elementwise(fn, output.size(), output.data(), first.data(), second.data());
}

/// op folded over init and every element of `in`; reproducible (see above).
template <std::ranges::contiguous_range In, class T, class Op>
[[nodiscard]] T reduce(const In& in, T init, Op op) {
  const detail::KernelSlice traced("reduce");
  const std::span input(in);
  return detail::reproducible_map_reduce(
      input.data(), input.size(), std::move(init), [](const auto& x) -> const auto& { return x; },
      op);
}

/// op folded over init and map_fn(x) for every element x of `in`; reproducible (see above).
template <std::ranges::contiguous_range In, class T, class Map, class Op>
[[nodiscard]] T map_reduce(const In& in, T init, Map map_fn, Op op) {
  const detail::KernelSlice traced("map_reduce");
  const std::span input(in);
  return detail::reproducible_map_reduce(input.data(), input.size(), std::move(init), map_fn, op);
}

/// out[...] = fn(in[...]) with `in` broadcast to out's shape.
template <class In, class Out, class Fn>
void map(const View<In>& in, const View<Out>& out, Fn fn) {
  const detail::KernelSlice traced("map");
  detail::view_elementwise<Fn, Out, In>("map", {"in"}, fn, out, std::index_sequence<0>{}, in);
}

/// out[...] = fn(a[...], b[...]) with `a` and `b` broadcast to out's shape.
template <class A, class B, class Out, class Fn>
void zip(const View<A>& a, const View<B>& b, const View<Out>& out, Fn fn) {
  const detail::KernelSlice traced("zip");
  detail::view_elementwise<Fn, Out, A, B>("zip", {"a", "b"}, fn, out, std::index_sequence<0, 1>{},
                                          a, b);
}

/// Reduces dimension `dim` of `in` into `out`, whose shape is in's with that dimension 1: each
/// element of out is op folded over init and in's elements along dim, in order, accumulated
/// in out's element type (so the result does not depend on the number of threads either).
template <class In, class Out, class T, class Op>
void reduce(const View<In>& in, const View<Out>& out, std::size_t dim, T init, Op op) {
  const detail::KernelSlice traced("reduce");
  detail::view_reduce(in, out, dim, init, op);
}

}  // namespace joblet::kernels
