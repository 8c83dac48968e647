// try_run / try_map: every task runs; each Outcome holds the value or the TaskError.
#include <gtest/gtest.h>

#include <ranges>
#include <stdexcept>
#include <string>
#include <vector>

#include "joblet/joblet.hpp"
#include "support/backends.hpp"

namespace {

using joblet::testing::BackendCase;

class TryRunTest : public ::testing::TestWithParam<BackendCase> {
 protected:
  [[nodiscard]] static joblet::Parallel parallel() {
    return joblet::Parallel(GetParam().options());
  }
};

double chi2_at(int point) {
  if (point % 7 == 3) throw std::domain_error("singular fit at " + std::to_string(point));
  return point * 0.5;
}

TEST_P(TryRunTest, ASweepGoesOnPastPointsThatFail) {
  const auto outcomes = parallel().try_map(chi2_at, std::views::iota(0, 1000));
  ASSERT_EQ(outcomes.size(), 1000U);
  for (int i = 0; i < 1000; ++i) {
    const auto& outcome = outcomes[i];
    if (i % 7 == 3) {
      ASSERT_FALSE(outcome.has_value()) << i;
      EXPECT_EQ(outcome.error().index(), static_cast<std::size_t>(i));
      EXPECT_EQ(outcome.error().exception_type(), "std::domain_error");
      EXPECT_EQ(outcome.error().message(), "singular fit at " + std::to_string(i));
    } else {
      ASSERT_TRUE(outcome) << outcome.error().what();
      EXPECT_EQ(*outcome, i * 0.5);
    }
  }
}

TEST_P(TryRunTest, ValueOfAFailedOutcomeRethrowsItsTaskError) {
  const auto outcomes = parallel().try_map(chi2_at, std::views::iota(3, 4));
  EXPECT_THROW((void)outcomes[0].value(), joblet::TaskError);
  try {
    std::rethrow_exception(outcomes[0].exception());
  } catch (const joblet::TaskError& error) {
    EXPECT_EQ(error.exception_type(), "std::domain_error");
    // The exception object itself cannot cross a process boundary; its type and message do.
    if (GetParam().backend != joblet::Backend::processes) {
      EXPECT_THROW(std::rethrow_if_nested(error), std::domain_error);
    }
  }
}

TEST_P(TryRunTest, ErrorOfASuccessIsALogicError) {
  const auto outcomes = parallel().try_map(chi2_at, std::views::iota(0, 1));
  EXPECT_FALSE(outcomes[0].exception());
  EXPECT_THROW((void)outcomes[0].error(), std::logic_error);
}

TEST_P(TryRunTest, VoidTasksGiveOutcomesWithoutValues) {
  std::vector<joblet::Task<void>> tasks;
  for (int i = 0; i < 30; ++i)
    tasks.emplace_back(joblet::delayed([](int k) { (void)chi2_at(k); }, i));
  const auto outcomes = parallel().try_run(tasks);
  static_assert(std::is_same_v<decltype(outcomes), const std::vector<joblet::Outcome<void>>>);
  for (int i = 0; i < 30; ++i)
    EXPECT_EQ(outcomes[i].has_value(), i % 7 != 3) << i;
}

TEST_P(TryRunTest, OutcomesCanBeCopiedAndKeepTheirError) {
  auto outcomes = parallel().try_map(chi2_at, std::views::iota(0, 5));
  const auto copy = outcomes;
  outcomes.clear();
  EXPECT_EQ(copy[3].error().index(), 3U);
  EXPECT_EQ(copy[4].value(), 2.0);
}

INSTANTIATE_TEST_SUITE_P(AllBackends, TryRunTest,
                         ::testing::ValuesIn(joblet::testing::all_backends()),
                         joblet::testing::case_name);

}  // namespace
