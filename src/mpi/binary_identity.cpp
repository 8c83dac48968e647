#include "binary_identity.hpp"

#include <map>
#include <vector>

namespace joblet::detail {

std::optional<std::string> different_executables(std::span<const RankIdentity> ranks) {
  if (ranks.empty()) return std::nullopt;
  // Ranks grouped by what they run, rank 0's group first.
  std::map<std::string, std::vector<std::size_t>> others;
  for (std::size_t rank = 1; rank < ranks.size(); ++rank) {
    if (ranks[rank].executable != ranks[0].executable)
      others[ranks[rank].executable].push_back(rank);
  }
  if (others.empty()) return std::nullopt;
  std::string message =
      "joblet: every rank of an MPI job must run the same executable, built once (tasks name "
      "their functions by where they are in it); rank 0 on " +
      ranks[0].host + " runs " + ranks[0].executable + ", but";
  const char* separator = " ";
  for (const auto& [executable, rank_list] : others) {
    message += separator;
    separator = "; and ";
    message += rank_list.size() == 1 ? "rank" : "ranks";
    for (std::size_t i = 0; i < rank_list.size(); ++i) {
      message +=
          (i == 0 ? " " : ", ") + std::to_string(rank_list[i]) + " on " + ranks[rank_list[i]].host;
    }
    message += (rank_list.size() == 1 ? " runs " : " run ") + executable;
  }
  return message +
         ". Copy the same binary and its libraries to every node, or put it on a shared "
         "file system, and start it again";
}

}  // namespace joblet::detail
