// How a kernel runs its parts: on the calling thread and on helpers borrowed from the pool that
// the threads backend uses, never more threads than the calling task's budget.
#pragma once

#include <algorithm>
#include <cstddef>

namespace joblet::detail {

/// Threads a kernel started on this thread may use: 1 inside another kernel's part, the
/// running task's budget inside a task (Options::inner_threads, or cpu_count() / n_jobs), and
/// cpu_count() elsewhere.
[[nodiscard]] int kernel_threads() noexcept;

/// Calls `part(context, p)` once for every p in [0, parts), on up to `threads` threads of
/// which the caller is one, and returns when all calls returned. The first exception thrown
/// stops parts not yet started and is rethrown here.
void run_parts(std::size_t parts, int threads, void (*part)(const void* context, std::size_t p),
               const void* context);

template <class Part>
void run_parts(std::size_t parts, int threads, const Part& part) {
  run_parts(
      parts, threads,
      [](const void* context, std::size_t p) { (*static_cast<const Part*>(context))(p); }, &part);
}

/// [begin, end) of part `p` when [0, n) is cut into `parts` nearly equal parts.
struct Range {
  std::size_t begin;
  std::size_t end;
};
[[nodiscard]] constexpr Range part_range(std::size_t n, std::size_t parts, std::size_t p) noexcept {
  const std::size_t base = n / parts;
  const std::size_t extra = n % parts;
  const std::size_t begin = p * base + std::min(p, extra);
  return {begin, begin + base + (p < extra ? 1 : 0)};
}

/// How a loop of `n` iterations is cut: into `parts` of at least `grain` iterations each,
/// several per thread so that uneven parts balance, run by `threads` threads.
struct Plan {
  std::size_t parts;
  int threads;
};
[[nodiscard]] Plan plan_loop(std::size_t n, std::size_t grain) noexcept;

}  // namespace joblet::detail
