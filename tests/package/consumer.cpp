// A program that uses an installed or embedded joblet: runs a sweep, checks the results.
#include <cstdio>
#include <joblet/joblet.hpp>
#include <ranges>

int main() {
  const auto squares =
      joblet::Parallel(2).map([](int i) { return i * i; }, std::views::iota(0, 1000));
  for (int i = 0; i < 1000; ++i) {
    if (squares[i] != i * i) return 1;
  }
  std::puts("joblet consumer: 1000 results in order");
  return 0;
}
