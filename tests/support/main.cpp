// Test runner: GoogleTest with a watchdog, so that a deadlocked test fails instead of hanging.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

#include "joblet/init.hpp"

namespace {

/// Ends the process, naming the test, when one test runs longer than its limit
/// (JOBLET_TEST_TIMEOUT seconds, default 60; sanitizer builds run slower).
class Watchdog final : public testing::EmptyTestEventListener {
 public:
  explicit Watchdog(std::chrono::seconds limit) : limit_(limit), thread_([this] { watch(); }) {}

  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;
  Watchdog(Watchdog&&) = delete;
  Watchdog& operator=(Watchdog&&) = delete;

  ~Watchdog() override {
    {
      const std::lock_guard lock(mutex_);
      quit_ = true;
    }
    changed_.notify_one();
    thread_.join();
  }

  void OnTestStart(const testing::TestInfo& test) override {
    const std::lock_guard lock(mutex_);
    name_ = std::string(test.test_suite_name()) + "." + test.name();
    deadline_ = std::chrono::steady_clock::now() + limit_;
    armed_ = true;
    changed_.notify_one();
  }

  void OnTestEnd(const testing::TestInfo& /*test*/) override {
    const std::lock_guard lock(mutex_);
    armed_ = false;
    changed_.notify_one();
  }

 private:
  void watch() {
    std::unique_lock lock(mutex_);
    while (!quit_) {
      if (!armed_) {
        changed_.wait(lock);
      } else if (changed_.wait_until(lock, deadline_) == std::cv_status::timeout && armed_ &&
                 std::chrono::steady_clock::now() >= deadline_) {
        (void)std::fprintf(stderr, "\nwatchdog: %s ran longer than %lld s: deadlock or hang\n",
                           name_.c_str(), static_cast<long long>(limit_.count()));
        (void)std::fflush(stderr);
        std::_Exit(3);
      }
    }
  }

  std::chrono::seconds limit_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::string name_;
  std::chrono::steady_clock::time_point deadline_;
  bool armed_ = false;
  bool quit_ = false;
  std::thread thread_;
};

std::chrono::seconds watchdog_limit() {
  const char* text = std::getenv("JOBLET_TEST_TIMEOUT");  // NOLINT(concurrency-mt-unsafe)
  const long seconds = text != nullptr ? std::strtol(text, nullptr, 10) : 0;
  return std::chrono::seconds(seconds > 0 ? seconds : 60);
}

}  // namespace

int main(int argc, char** argv) {
  // Before any thread: worker processes are copies of the program as it is now.
  joblet::init(argc, argv);
  testing::InitGoogleTest(&argc, argv);
  // GoogleTest's listener list takes ownership of the raw pointer.
  testing::UnitTest::GetInstance()->listeners().Append(
      new Watchdog(watchdog_limit()));  // NOLINT(cppcoreguidelines-owning-memory)
  return RUN_ALL_TESTS();
}
