// A program whose threads hold malloc's, a mutex's and iostreams' locks all the time while it
// makes many processes-backend calls: a worker forked from this program as it runs would
// inherit a lock held forever and hang. Workers are forked from the fork server instead.
//
//     fork_safety init|first-use CALLS
//
// init calls joblet::init first, before any thread; first-use lets the first call start the
// fork server, which it then forks from this threaded program. Prints
// "fork_safety: CALLS calls, N results correct" and exits 0, or says what went wrong and
// exits 1.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <latch>
#include <mutex>
#include <numeric>
#include <ranges>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "joblet/joblet.hpp"

namespace {

constexpr int kThreads = 8;
constexpr int kTasksPerCall = 4;

/// Runs in a worker: malloc, free and a string stream, which need the locks the parent's
/// threads keep taking.
long long digits_and_sizes(int x) {
  std::ostringstream text;
  text << static_cast<long long>(x) * x << ' ' << x;
  std::vector<std::string> words;
  for (std::istringstream in(text.str()); !in.eof();) {
    std::string word;
    in >> word;
    words.push_back(std::move(word));
  }
  std::vector<char> block(static_cast<std::size_t>(4096 + (x % 7) * 100'000));
  auto sum = static_cast<long long>(block.size());
  for (const auto& word : words)
    sum += std::stoll(word);
  return sum;
}

/// Takes and releases malloc's, a mutex's and the streams' locks until `stop`; `shared_file`
/// is a stdio stream all threads write to, so its lock is contended too.
void hammer(int id, const std::atomic<bool>& stop, std::mutex& mutex, long long& shared_count,
            std::FILE* shared_file, std::latch& running) {
  std::ofstream sink("/dev/null");
  bool counted_in = false;
  for (int round = 0; !stop.load(std::memory_order_relaxed); ++round) {
    // Sizes on both sides of malloc's mmap threshold: arena locks and mmap both.
    std::vector<std::vector<int>> blocks;
    for (int i = 0; i < 16; ++i)
      blocks.emplace_back(static_cast<std::size_t>(1 + ((round * 31 + i * 17 + id) % 40'000)));
    {
      const std::lock_guard lock(mutex);
      shared_count += static_cast<long long>(blocks.size());
    }
    std::ostringstream line;
    line << "thread " << id << " round " << round << ' ' << blocks.back().size() << '\n';
    sink << line.str() << std::flush;
    (void)std::fprintf(shared_file, "%s", line.str().c_str());
    (void)std::fflush(shared_file);
    if (!counted_in) {
      counted_in = true;
      running.count_down();
    }
  }
}

int fail(const std::string& message) {
  std::cout << "fork_safety: " << message << std::endl;
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) return fail("usage: fork_safety init|first-use CALLS");
  const std::string_view mode = argv[1];
  const int calls = std::atoi(argv[2]);  // NOLINT(cert-err34-c): a test passes a number
  if (mode == "init") {
    joblet::init(argc, argv);
  } else if (mode != "first-use") {
    return fail("the mode is init or first-use");
  }

  std::atomic<bool> stop{false};
  std::mutex mutex;
  long long shared_count = 0;
  std::FILE* shared_file = std::fopen("/dev/null", "w");  // NOLINT(cppcoreguidelines-owning-memory)
  if (shared_file == nullptr) return fail("cannot open /dev/null");
  std::latch running(kThreads);
  std::vector<std::jthread> threads;
  for (int id = 0; id < kThreads; ++id)
    threads.emplace_back(hammer, id, std::cref(stop), std::ref(mutex), std::ref(shared_count),
                         shared_file, std::ref(running));
  running.wait();  // every thread is taking its locks before the first fork

  int correct = 0;
  for (int call = 0; call < calls; ++call) {
    const auto inputs = std::views::iota(call, call + kTasksPerCall);
    const std::vector<long long> results =
        joblet::Parallel({.n_jobs = 2, .backend = joblet::Backend::processes})
            .map(digits_and_sizes, inputs);
    if (results.size() != kTasksPerCall) {
      stop = true;
      return fail("call " + std::to_string(call) + " gave " + std::to_string(results.size()) +
                  " results");
    }
    for (std::size_t i = 0; i < results.size(); ++i) {
      if (results[i] != digits_and_sizes(inputs[static_cast<std::ptrdiff_t>(i)])) {
        stop = true;
        return fail("call " + std::to_string(call) + ": task " + std::to_string(i) +
                    " gave a wrong result");
      }
      ++correct;
    }
  }
  stop = true;
  threads.clear();
  (void)std::fclose(shared_file);  // NOLINT(cppcoreguidelines-owning-memory)
  std::cout << "fork_safety: " << calls << " calls, " << correct << " results correct" << std::endl;
  return 0;
}
