// grid(ranges...): the cartesian product of parameter lists, last list fastest.
#include "joblet/grid.hpp"

#include <gtest/gtest.h>

#include <list>
#include <ranges>
#include <string>
#include <tuple>
#include <vector>

namespace {

TEST(Grid, LastRangeVariesFastest) {
  const auto g = joblet::grid(std::vector{1, 2}, std::vector<std::string>{"a", "b", "c"});
  std::vector<std::tuple<int, std::string>> all(g.begin(), g.end());
  EXPECT_EQ(all, (std::vector<std::tuple<int, std::string>>{
                     {1, "a"}, {1, "b"}, {1, "c"}, {2, "a"}, {2, "b"}, {2, "c"}}));
}

TEST(Grid, SizeIsTheProductOfTheSizes) {
  EXPECT_EQ(joblet::grid(std::vector(400, 0.0), std::vector(20, 0.0), std::vector(16, 0.0)).size(),
            128000U);
}

TEST(Grid, IsARandomAccessSizedRange) {
  using G = decltype(joblet::grid(std::vector<double>{}, std::vector<int>{}));
  static_assert(std::ranges::random_access_range<G>);
  static_assert(std::ranges::sized_range<G>);
  const auto g = joblet::grid(std::vector{1.0, 2.0, 3.0}, std::vector{10, 20});
  EXPECT_EQ(g[4], std::make_tuple(3.0, 10));
  EXPECT_EQ(*(g.begin() + 3), std::make_tuple(2.0, 20));
  EXPECT_EQ(g.end() - g.begin(), 6);
}

TEST(Grid, AnEmptyRangeMakesAnEmptyGrid) {
  EXPECT_TRUE(joblet::grid(std::vector{1, 2}, std::vector<int>{}).empty());
}

TEST(Grid, TakesAnyInputRangeAndCopiesIt) {
  std::list<int> values{5, 6};
  const auto g = joblet::grid(values, std::views::iota(0, 2));
  values.clear();
  EXPECT_EQ(g.size(), 4U);
  EXPECT_EQ(g[3], std::make_tuple(6, 1));
}

TEST(Grid, OneRangeGivesOneElementTuples) {
  const auto g = joblet::grid(std::vector{7, 8});
  EXPECT_EQ(g[1], std::make_tuple(8));
}

TEST(Grid, CopiesShareTheirValuesAndIteratorsSurviveAMove) {
  auto g = joblet::grid(std::vector{1, 2}, std::vector{3});
  const auto it = g.begin();
  const auto moved = std::move(g);
  EXPECT_EQ(*(it + 1), std::make_tuple(2, 3));
  EXPECT_EQ(moved.size(), 2U);
}

}  // namespace
