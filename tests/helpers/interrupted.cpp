// A program that gets SIGINT or SIGTERM during a processes run. It runs three long tasks on
// three workers; each task names its worker before it sleeps:
//
//     task I started in worker PID      (three lines, in any order)
//
// The test sends the signal then. What follows depends on the mode (argv[1]):
//
//   own-handler    the program has its own handler for SIGINT and SIGTERM; it catches
//                  joblet::Interrupted and prints "interrupted: signal N", "dispositions:
//                  restored", "next call: correct" and "own handler: 0 calls during the run,
//                  1 after it" (it raises the signal once more after the run).
//   default        the same with the default dispositions, minus the last line.
//   uncaught       the default dispositions, and Interrupted is not caught.
//   second-own     the own handler, and the results are read through imap, so the run is
//                  still there after Interrupted; the program raises SIGINT then and once
//                  more after the run, printing "interrupted: signal N", "during the run:
//                  dispositions restored, own handler ran 1 times" and "after the run:
//                  dispositions restored, own handler ran 2 times".
//   second-default the default dispositions and imap; after Interrupted the program prints
//                  "interrupted: signal N" and raises SIGINT while the run is still there,
//                  which ends it.
// A line starting with "error:" says what went wrong.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <ranges>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "joblet/joblet.hpp"

namespace {

volatile std::sig_atomic_t handler_calls = 0;  // written by count_signal

extern "C" void count_signal(int /*signal*/) {
  handler_calls = handler_calls + 1;
}

void install_own_handler() {
  struct sigaction action {};
  action.sa_handler = count_signal;
  sigemptyset(&action.sa_mask);
  for (const int signal : {SIGINT, SIGTERM})
    sigaction(signal, &action, nullptr);
}

/// Whether SIGINT and SIGTERM have the handler `expected` (a function, or SIG_DFL).
bool dispositions_are(void (*expected)(int)) {
  for (const int signal : {SIGINT, SIGTERM}) {
    struct sigaction now {};
    sigaction(signal, nullptr, &now);
    if ((now.sa_flags & SA_SIGINFO) != 0 || now.sa_handler != expected) return false;
  }
  return true;
}

pid_t name_worker_then_sleep(int task) {
  const std::string line =
      "task " + std::to_string(task) + " started in worker " + std::to_string(getpid()) + "\n";
  // write(), not stdio: a worker's buffered output would never be flushed.
  (void)write(STDOUT_FILENO, line.data(), line.size());
  std::this_thread::sleep_for(std::chrono::seconds(30));  // a long task: the signal comes first
  return getpid();
}

int square(int x) {
  return x * x;
}

joblet::Parallel three_workers() {
  return joblet::Parallel({.n_jobs = 3, .backend = joblet::Backend::processes, .batch_size = 1});
}

void say(const std::string& line) {
  std::printf("%s\n", line.c_str());
  (void)std::fflush(stdout);
}

/// A run of long tasks that the signal interrupts; the program and its workers go on after it.
int interrupt_then_go_on(bool own_handler) {
  if (own_handler) install_own_handler();
  try {
    three_workers().map(name_worker_then_sleep, std::views::iota(0, 3));
    say("error: the run ended without an interruption");
    return 1;
  } catch (const joblet::Interrupted& interrupted) {
    say("interrupted: signal " + std::to_string(interrupted.signal()));
  }
  say(dispositions_are(own_handler ? count_signal : SIG_DFL) ? "dispositions: restored"
                                                             : "error: dispositions not restored");
  try {
    const auto inputs = std::views::iota(0, 6);
    const std::vector<int> results = three_workers().map(square, inputs);
    const bool correct = std::ranges::equal(results, inputs | std::views::transform(square));
    say(correct ? "next call: correct" : "error: the next call gave wrong results");
  } catch (const std::exception& error) {
    say(std::string("error: the next call failed: ") + error.what());
  }
  if (own_handler) {
    const int during = handler_calls;
    (void)raise(SIGINT);
    say("own handler: " + std::to_string(during) + " calls during the run, " +
        std::to_string(handler_calls - during) + " after it");
  }
  return 0;
}

/// Reads results through imap, so that the run outlives the Interrupted it throws.
int second_signal(bool own_handler) {
  if (own_handler) install_own_handler();
  {
    auto results = three_workers().imap(name_worker_then_sleep, std::views::iota(0, 3));
    try {
      for ([[maybe_unused]] const auto& result : results) {
      }
      say("error: the run ended without an interruption");
      return 1;
    } catch (const joblet::Interrupted& interrupted) {
      say("interrupted: signal " + std::to_string(interrupted.signal()));
    }
    if (!own_handler) {
      (void)raise(SIGINT);
      say("error: the second SIGINT did not end the program");
      return 1;
    }
    const bool restored = dispositions_are(count_signal);
    (void)raise(SIGINT);
    say(std::string("during the run: dispositions ") + (restored ? "restored" : "not restored") +
        ", own handler ran " + std::to_string(handler_calls) + " times");
  }
  const bool restored = dispositions_are(count_signal);
  (void)raise(SIGINT);
  say(std::string("after the run: dispositions ") + (restored ? "restored" : "not restored") +
      ", own handler ran " + std::to_string(handler_calls) + " times");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  joblet::init(argc, argv);
  const std::string_view mode = argc == 2 ? argv[1] : "";
  if (mode == "own-handler") return interrupt_then_go_on(true);
  if (mode == "default") return interrupt_then_go_on(false);
  if (mode == "second-own") return second_signal(true);
  if (mode == "second-default") return second_signal(false);
  if (mode == "uncaught") {
    three_workers().map(name_worker_then_sleep, std::views::iota(0, 3));
    say("error: the run ended without an interruption");
    return 1;
  }
  say("error: usage: interrupted own-handler|default|uncaught|second-own|second-default");
  return 1;
}
