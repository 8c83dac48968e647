// The check that every rank of an MPI job runs rank 0's executable, on made-up ranks.
#include "mpi/binary_identity.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using joblet::detail::different_executables;
using joblet::detail::RankIdentity;

TEST(BinaryIdentity, RanksRunningRankZerosExecutablePass) {
  const std::vector<RankIdentity> ranks{
      {"build-id aa", "node1"}, {"build-id aa", "node1"}, {"build-id aa", "node2"}};
  EXPECT_EQ(different_executables(ranks), std::nullopt);
}

TEST(BinaryIdentity, DifferentExecutablesAreNamedWithTheirRanksAndHosts) {
  const std::vector<RankIdentity> ranks{{"build-id aa", "node1"},
                                        {"build-id aa", "node1"},
                                        {"build-id bb", "node2"},
                                        {"build-id bb", "node3"},
                                        {"fnv1a64 cc", "node4"}};
  const auto message = different_executables(ranks);
  ASSERT_TRUE(message.has_value());
  const std::string text = message.value_or("");
  EXPECT_NE(text.find("rank 0 on node1 runs build-id aa"), std::string::npos) << text;
  EXPECT_NE(text.find("ranks 2 on node2, 3 on node3 run build-id bb"), std::string::npos) << text;
  EXPECT_NE(text.find("rank 4 on node4 runs fnv1a64 cc"), std::string::npos) << text;
  EXPECT_EQ(text.find("rank 1 "), std::string::npos) << text;
}

TEST(BinaryIdentity, ThisExecutableHasAStableFingerprint) {
  const std::string fingerprint = joblet::detail::executable_fingerprint();
  EXPECT_TRUE(fingerprint.starts_with("build-id ") || fingerprint.starts_with("fnv1a64 "))
      << fingerprint;
  EXPECT_GT(fingerprint.size(), std::string("build-id ").size());
  EXPECT_EQ(joblet::detail::executable_fingerprint(), fingerprint);
}

}  // namespace
