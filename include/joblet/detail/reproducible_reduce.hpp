// Reductions whose result does not depend on the number of threads: fixed chunks, each reduced
// in a fixed order, combined in a fixed pairwise tree.
#pragma once

#include <array>
#include <cstddef>
#include <utility>
#include <vector>

#include "fork_join.hpp"

namespace joblet::detail {

/// Elements per chunk: the leaves of the tree. Fixed, so the tree is the same whoever runs it.
inline constexpr std::size_t kReduceChunk = 4096;
/// Independent accumulators inside a chunk: enough for the compiler to keep several vector
/// registers of partial sums, so a chunk runs at the speed of an unordered SIMD reduction.
inline constexpr std::size_t kReduceLanes = 16;
/// A thread is worth waking for this many chunks or more.
inline constexpr std::size_t kChunksPerThread = 4;

/// op over map(data[0..n)) for 0 < n <= kReduceChunk, in the fixed order: element i goes to
/// lane i % kReduceLanes, then the lanes are folded in halves.
template <class T, class In, class Map, class Op>
[[nodiscard]] T reduce_chunk(const In* data, std::size_t n, const Map& map, const Op& op) {
  if (n < kReduceLanes) {
    T folded = static_cast<T>(map(data[0]));
    for (std::size_t i = 1; i < n; ++i)
      folded = op(folded, static_cast<T>(map(data[i])));
    return folded;
  }
  auto lanes = [&]<std::size_t... lane>(std::index_sequence<lane...>) {
    return std::array<T, kReduceLanes>{static_cast<T>(map(data[lane]))...};
  }
  (std::make_index_sequence<kReduceLanes>{});
  std::size_t i = kReduceLanes;
  for (; i + kReduceLanes <= n; i += kReduceLanes) {
    for (std::size_t lane = 0; lane < kReduceLanes; ++lane)
      lanes[lane] = op(lanes[lane], static_cast<T>(map(data[i + lane])));
  }
  for (std::size_t lane = 0; i + lane < n; ++lane)
    lanes[lane] = op(lanes[lane], static_cast<T>(map(data[i + lane])));
  for (std::size_t width = kReduceLanes / 2; width > 0; width /= 2) {
    for (std::size_t lane = 0; lane < width; ++lane)
      lanes[lane] = op(lanes[lane], lanes[lane + width]);
  }
  return lanes[0];
}

/// A chunk's result; a struct so that a reduction of bool is not a std::vector<bool>, whose
/// neighbouring elements threads could not write at once.
template <class T>
struct Partial {
  T value;
};

/// Folds `partials` pairwise: element j with element j + half, until one is left.
template <class T, class Op>
[[nodiscard]] T fold_pairwise(std::vector<Partial<T>>& partials, const Op& op) {
  std::size_t size = partials.size();
  while (size > 1) {
    const std::size_t half = (size + 1) / 2;
    for (std::size_t j = 0; j + half < size; ++j)
      partials[j].value = op(partials[j].value, partials[j + half].value);
    size = half;
  }
  return partials.front().value;
}

/// op(init, the fixed tree over map(data[0..n))).
template <class T, class In, class Map, class Op>
[[nodiscard]] T reproducible_map_reduce(const In* data, std::size_t n, T init, const Map& map,
                                        const Op& op) {
  if (n == 0) return init;
  const std::size_t chunks = (n + kReduceChunk - 1) / kReduceChunk;
  if (chunks == 1) return op(init, reduce_chunk<T>(data, n, map, op));
  std::vector<Partial<T>> partials(chunks, Partial<T>{init});
  const Plan plan = plan_loop(chunks, kChunksPerThread);
  run_parts(plan.parts, plan.threads, [&](std::size_t part) {
    const auto [begin, end] = part_range(chunks, plan.parts, part);
    for (std::size_t c = begin; c < end; ++c) {
      const std::size_t first = c * kReduceChunk;
      partials[c].value = reduce_chunk<T>(data + first, std::min(kReduceChunk, n - first), map, op);
    }
  });
  return op(init, fold_pairwise(partials, op));
}

}  // namespace joblet::detail
