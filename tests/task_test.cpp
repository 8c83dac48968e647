// Task<R>: one type for tasks of different functions.
#include "joblet/task.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace {

int add(int a, int b) {
  return a + b;
}

struct Scale {
  int factor;
  int operator()(int x) const { return factor * x; }
};

struct Counter {
  int calls = 0;
  int operator()() { return ++calls; }
};

TEST(Task, HoldsDifferentFunctionsBehindOneType) {
  std::vector<joblet::Task<double>> tasks{joblet::delayed(add, 1, 2), joblet::delayed(Scale{2}, 4),
                                          joblet::delayed([] { return 0.5; })};
  std::vector<double> results;
  for (auto& task : tasks)
    results.push_back(task());
  EXPECT_EQ(results, (std::vector<double>{3.0, 8.0, 0.5}));
}

TEST(Task, CopiesAreIndependent) {
  joblet::Task<int> original = joblet::delayed(Counter{});
  EXPECT_EQ(original(), 1);
  joblet::Task<int> copy = original;
  EXPECT_EQ(copy(), 2);
  EXPECT_EQ(original(), 2);
}

TEST(Task, KeepsTheNameAndCallOfItsDelayed) {
  const joblet::Task<int> task = joblet::delayed(add, 1, 2);
  EXPECT_EQ(task.name(), "(anonymous namespace)::add");
  EXPECT_EQ(task.call(), "(anonymous namespace)::add(1, 2)");
}

TEST(Task, VoidTaskAcceptsAnyDelayed) {
  int calls = 0;
  joblet::Task<void> task = joblet::delayed([&calls](int x) { return calls += x; }, 2);
  task();
  EXPECT_EQ(calls, 2);
}

}  // namespace
