// Runs a small sweep with a progress bar, for the test that watches it on a pseudo-terminal.
#include <chrono>
#include <ranges>
#include <thread>

#include "joblet/joblet.hpp"

int main() {
  using namespace std::chrono_literals;
  joblet::Parallel({.n_jobs = 2, .batch_size = 1, .progress = true})
      .map([](int) { std::this_thread::sleep_for(30ms); },  // each task takes 30 ms to run
           std::views::iota(0, 40));
}
