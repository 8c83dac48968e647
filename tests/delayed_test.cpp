// delayed(fn, args...) and Task<R>: what a task stores and how it calls its function.
#include "joblet/delayed.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace {

int add(int a, int b) {
  return a + b;
}

void append_to(std::vector<int>& out, int value) {
  out.push_back(value);
}

struct Scale {
  int factor;
  int operator()(int x) const { return factor * x; }
};

struct Counter {
  int calls = 0;
  int operator()() { return ++calls; }
};

struct Orbit {
  double period;
  [[nodiscard]] double phase(double t) const { return t / period; }
};

struct Opaque {
  int value;
};

TEST(Delayed, CallsAFunctionPointerWithItsArguments) {
  const auto task = joblet::delayed(add, 2, 40);
  EXPECT_EQ(task(), 42);
}

TEST(Delayed, StoresCopiesSoLaterChangesToTheArgumentDoNotReachTheTask) {
  std::string text = "before";
  const auto task = joblet::delayed([](const std::string& s) { return s.size(); }, text);
  text = "changed afterwards";
  EXPECT_EQ(task(), 6U);
}

TEST(Delayed, StoresDecayedTypes) {
  const char word[] = "abc";
  const auto task = joblet::delayed([](const char* s) { return std::string(s); }, word);
  static_assert(std::is_same_v<decltype(task)::arguments_type, std::tuple<const char*>>);
  static_assert(std::is_same_v<decltype(joblet::delayed(add, 1, 2)),
                               joblet::Delayed<int (*)(int, int), int, int>>);
  EXPECT_EQ(task(), "abc");
}

TEST(Delayed, CallsACapturingLambda) {
  std::string offset = "+";
  const auto task =
      joblet::delayed([offset](const std::string& x) { return x + offset; }, std::string("1"));
  EXPECT_EQ(task(), "1+");
}

TEST(Delayed, CallsAFunctionObject) {
  EXPECT_EQ(joblet::delayed(Scale{3}, 5)(), 15);
}

TEST(Delayed, CallsAMutableFunctionObjectThroughANonConstTask) {
  auto task = joblet::delayed(Counter{});
  EXPECT_EQ(task(), 1);
  EXPECT_EQ(task(), 2);
}

TEST(Delayed, CallsAMemberFunctionWithTheObjectAsFirstArgument) {
  const Orbit orbit{10.0};
  EXPECT_DOUBLE_EQ(joblet::delayed(&Orbit::phase, orbit, 25.0)(), 2.5);
  EXPECT_DOUBLE_EQ(joblet::delayed(&Orbit::phase, &orbit, 5.0)(), 0.5);
  EXPECT_DOUBLE_EQ(joblet::delayed(&Orbit::phase, std::cref(orbit), 5.0)(), 0.5);
}

TEST(Delayed, PassesReferencesGivenWithStdRef) {
  std::vector<int> out;
  const auto task = joblet::delayed(append_to, std::ref(out), 7);
  task();
  task();
  EXPECT_EQ(out, (std::vector<int>{7, 7}));
}

TEST(Delayed, UnwrapsStdRefForGenericLambdas) {
  int value = 1;
  joblet::delayed([](auto& v) { v += 10; }, std::ref(value))();
  EXPECT_EQ(value, 11);
}

TEST(Delayed, ReturnsVoidForVoidFunctions) {
  static_assert(std::is_void_v<decltype(joblet::delayed(
                    append_to, std::declval<std::reference_wrapper<std::vector<int>>>(), 1)())>);
}

TEST(Delayed, NamesAFunctionPointerByItsFunctionName) {
  EXPECT_EQ(joblet::delayed(add, 1, 2).name(), "(anonymous namespace)::add");
}

TEST(Delayed, WritesItsCallWithPrintableArguments) {
  EXPECT_EQ(joblet::delayed(add, 1, 2).call(), "(anonymous namespace)::add(1, 2)");
  const auto call =
      joblet::delayed([](const std::string&, bool, double) {}, std::string("x"), true, 0.5).call();
  EXPECT_NE(call.find("(\"x\", true, 0.5)"), std::string::npos) << call;
}

TEST(Delayed, WritesArgumentsThatCannotBePrintedAsTheirType) {
  const auto call = joblet::delayed([](Opaque o) { return o.value; }, Opaque{1}).call();
  EXPECT_NE(call.find("<(anonymous namespace)::Opaque>"), std::string::npos) << call;
}

TEST(Delayed, ClipsLongArguments) {
  const auto call = joblet::delayed([](const std::string&) {}, std::string(500, 'a')).call();
  const std::string clipped = '"' + std::string(57, 'a') + "...\"";
  EXPECT_NE(call.find("(" + clipped + ")"), std::string::npos) << call;
}

}  // namespace
