// What crosses a process boundary: the deep Transportable concept, values of many types as
// arguments and results of tasks run by worker processes (compared with the same tasks run
// inline), functions found without registration, and the NotSerializable errors raised in
// the caller before any task runs.
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <bit>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include "joblet/detail/task_codec.hpp"
#include "joblet/joblet.hpp"
#include "support/thrown.hpp"

namespace {

// ######################################################################
// Types that can and cannot travel.

/// A class with cereal's serialize().
struct Point {
  double x = 0;
  double y = 0;
  std::string label;

  template <class Archive>
  void serialize(Archive& archive) {
    archive(x, y, label);
  }
  friend bool operator==(const Point&, const Point&) = default;
};

/// A class with only Boost.Serialization's intrusive serialize(Archive&, unsigned).
struct BoostSample {
  int id = 0;
  std::string name;
  std::vector<double> readings;

  template <class Archive>
  void serialize(Archive& archive, unsigned /*version*/) {
    archive& id& name& readings;
  }
  friend bool operator==(const BoostSample&, const BoostSample&) = default;
};

/// A class whose Boost.Serialization support is a non-member serialize(), declared to joblet
/// with serialize_with_boost below.
struct Calibration {
  int channel = 0;
  std::vector<double> gains;
  friend bool operator==(const Calibration&, const Calibration&) = default;
};

/// The same shape, but never declared to joblet: cereal cannot see Boost's non-member
/// serialize(), so nothing says this type can travel.
struct UndeclaredCalibration {
  int channel = 0;
};

/// No serialize() at all.
struct NoSerialize {
  int value = 0;
};

/// A function object with state that travels with it.
struct Scale {
  double factor = 1;

  double operator()(double x) const { return factor * x; }
  template <class Archive>
  void serialize(Archive& archive) {
    archive(factor);
  }
};

/// A function object without state: made anew in the worker, nothing to write.
struct Negate {
  int operator()(int x) const { return -x; }
};

/// Writes two members and reads one back: the bytes left over give it away.
struct DropsAMember {
  int kept = 0;
  int dropped = 0;

  template <class Archive>
  void save(Archive& archive) const {
    archive(kept, dropped);
  }
  template <class Archive>
  void load(Archive& archive) {
    archive(kept);
  }
};

/// One serialize() that reads its members in another order than it writes them.
struct SwapsMembers {
  int first = 0;
  int second = 0;

  template <class Archive>
  void serialize(Archive& archive) {
    if constexpr (Archive::is_saving::value) {
      archive(first, second);
    } else {
      archive(second, first);
    }
  }
};

}  // namespace

namespace boost::serialization {
template <class Archive>
void serialize(Archive& archive, Calibration& calibration, unsigned /*version*/) {
  archive& calibration.channel& calibration.gains;
}
template <class Archive>
void serialize(Archive& archive, UndeclaredCalibration& calibration, unsigned /*version*/) {
  archive& calibration.channel;
}
}  // namespace boost::serialization

template <>
inline constexpr bool joblet::serialize_with_boost<Calibration> = true;

namespace {

using joblet::Transportable;

TEST(Transportable, AcceptsStandardTypesAndClassesWithSerialize) {
  static_assert(Transportable<int>);
  static_assert(Transportable<double>);
  static_assert(Transportable<std::string>);
  static_assert(Transportable<std::vector<int>>);
  static_assert(Transportable<std::map<std::string, std::vector<double>>>);
  static_assert(Transportable<std::set<std::string>>);
  static_assert(Transportable<std::pair<std::string, BoostSample>>);
  static_assert(Transportable<std::tuple<int, std::string, Point>>);
  static_assert(Transportable<std::optional<Point>>);
  static_assert(Transportable<std::variant<int, std::string, Point>>);
  static_assert(Transportable<std::array<BoostSample, 3>>);
  static_assert(Transportable<std::unique_ptr<Point>>);
  static_assert(Transportable<std::shared_ptr<std::vector<int>>>);
  static_assert(Transportable<Point>);
  static_assert(Transportable<const Point>);
  static_assert(Transportable<BoostSample>);
  static_assert(Transportable<Calibration>);
  static_assert(Transportable<std::vector<Calibration>>);
  static_assert(Transportable<std::map<int, std::vector<std::optional<std::tuple<Point>>>>>);
  static_assert(Transportable<joblet::Shared<std::vector<double>>>);
}

TEST(Transportable, LooksInsideWrappersWhereCerealsOwnTraitDoesNot) {
  // cereal's trait is shallow: it calls a vector of unwritable elements serializable.
  static_assert(cereal::traits::is_output_serializable<std::vector<NoSerialize>,
                                                       joblet::detail::OutputArchive>::value);

  static_assert(!Transportable<NoSerialize>);
  static_assert(!Transportable<UndeclaredCalibration>);
  static_assert(!Transportable<std::vector<NoSerialize>>);
  static_assert(!Transportable<std::optional<NoSerialize>>);
  static_assert(!Transportable<std::tuple<int, NoSerialize>>);
  static_assert(!Transportable<std::pair<NoSerialize, int>>);
  static_assert(!Transportable<std::variant<int, NoSerialize>>);
  static_assert(!Transportable<std::array<NoSerialize, 2>>);
  static_assert(!Transportable<std::map<int, NoSerialize>>);
  static_assert(!Transportable<std::map<NoSerialize, int>>);
  static_assert(!Transportable<std::unique_ptr<NoSerialize>>);
  static_assert(!Transportable<std::shared_ptr<NoSerialize>>);
  static_assert(!Transportable<std::vector<std::vector<std::optional<NoSerialize>>>>);
  static_assert(!Transportable<joblet::Shared<NoSerialize>>);
}

TEST(Transportable, RefusesPointersAndReferences) {
  static_assert(!Transportable<int*>);
  static_assert(!Transportable<const char*>);
  static_assert(!Transportable<Point*>);
  static_assert(!Transportable<std::vector<int*>>);
  static_assert(!Transportable<std::reference_wrapper<int>>);
  static_assert(!Transportable<std::function<int()>>);
}

// ######################################################################
// Round trips: the same tasks inline and on worker processes give the same results.

joblet::Options on_processes() {
  return {.n_jobs = 2, .backend = joblet::Backend::processes};
}

joblet::Options inline_reference() {
  return {.n_jobs = 1, .backend = joblet::Backend::sequential};
}

/// Runs `tasks` inline and on two worker processes; the inline run is the reference.
template <class Tasks>
void expect_processes_match_sequential(Tasks& tasks) {
  const auto reference = joblet::Parallel(inline_reference())(tasks);
  const auto travelled = joblet::Parallel(on_processes())(tasks);
  ASSERT_EQ(travelled.size(), tasks.size());
  EXPECT_EQ(travelled, reference);
}

template <class T>
T echo(T value) {
  return value;
}

/// Each value goes to a worker as an argument and comes back as the result.
template <class T>
void expect_round_trips(const std::vector<T>& values) {
  std::vector<joblet::Delayed<T (*)(T), T>> tasks;
  for (const T& value : values)
    tasks.push_back(joblet::delayed(&echo<T>, value));
  expect_processes_match_sequential(tasks);
}

std::vector<std::uint64_t> bits_of(const std::vector<double>& values) {
  std::vector<std::uint64_t> bits;
  for (const double value : values)
    bits.push_back(std::bit_cast<std::uint64_t>(value));
  return bits;
}

TEST(RoundTrip, ArithmeticValuesKeepTheirBits) {
  expect_round_trips<int>(
      {0, 1, -1, std::numeric_limits<int>::min(), std::numeric_limits<int>::max()});
  expect_round_trips<std::uint64_t>({0, std::numeric_limits<std::uint64_t>::max()});
  expect_round_trips<char>({'\0', 'a', '\x7f'});
  expect_round_trips<bool>({true, false});

  const std::vector<double> doubles{0.0,
                                    -0.0,
                                    1.0 / 3.0,
                                    std::numeric_limits<double>::infinity(),
                                    -std::numeric_limits<double>::infinity(),
                                    std::numeric_limits<double>::quiet_NaN(),
                                    std::bit_cast<double>(0xfff8'0000'0000'0123ULL),
                                    std::numeric_limits<double>::denorm_min(),
                                    std::numeric_limits<double>::max()};
  std::vector<joblet::Delayed<double (*)(double), double>> tasks;
  for (const double value : doubles)
    tasks.push_back(joblet::delayed(&echo<double>, value));
  // NaN != NaN and 0.0 == -0.0: compare bit patterns, not values.
  const auto reference = bits_of(joblet::Parallel(inline_reference())(tasks));
  EXPECT_EQ(bits_of(joblet::Parallel(on_processes())(tasks)), reference);
}

TEST(RoundTrip, StringsKeepEmbeddedNulBytes) {
  using namespace std::string_literals;
  expect_round_trips<std::string>({""s, "\0"s, "a\0b\0\0c"s, std::string(100'000, '\0'), "tail\0"s,
                                   std::string(70'000, 'x') + "\0\xff"s});
  expect_round_trips<std::vector<std::string>>({{}, {""s}, {"one"s, "t\0wo"s, ""s}});
}

TEST(RoundTrip, StandardContainersAndWrappers) {
  using namespace std::string_literals;
  expect_round_trips<std::map<std::string, std::vector<double>>>(
      {{}, {{"a", {1.5, -2}}, {"", {}}, {"c\0d"s, {0.25}}}});
  expect_round_trips<std::set<std::string>>({{}, {"x", "y", "z"}});
  expect_round_trips<std::pair<int, std::string>>({{1, "one"}, {-2, ""}});
  expect_round_trips<std::tuple<int, std::string, double>>({{7, "seven", 7.5}, {0, "", -0.0}});
  expect_round_trips<std::optional<std::string>>({std::nullopt, "present", ""});
  expect_round_trips<std::variant<int, std::string, Point>>(
      {42, "text", Point{1, 2, "p"}, std::string(), 0});
  expect_round_trips<std::array<double, 4>>({{1, 2, 3, 4}, {-1, 0, 0.5, 1e300}});
}

TEST(RoundTrip, NestedContainers) {
  using Nested = std::vector<std::map<int, std::vector<std::optional<std::string>>>>;
  Nested nested;
  for (int i = 0; i < 5; ++i) {
    std::map<int, std::vector<std::optional<std::string>>> level;
    for (int k = 0; k <= i; ++k)
      level[k * 10 - i] = {std::nullopt, std::string(static_cast<std::size_t>(k), 'n'), ""};
    nested.push_back(level);
  }
  expect_round_trips<Nested>({{}, nested, {{}}});
  using Mixed = std::tuple<std::vector<Point>, std::optional<std::variant<int, Point>>>;
  const std::vector<Point> points{Point{1, 1, "a"}, Point{2, 2, "b"}};
  expect_round_trips<Mixed>({Mixed(points, Point{3, 3, "c"}),
                             Mixed(std::vector<Point>(), std::nullopt),
                             Mixed(std::vector<Point>(), 5)});
}

TEST(RoundTrip, ClassesWithCerealOrBoostSerialization) {
  expect_round_trips<Point>({{}, {1.5, -2.5, "origin"}, {3, 4, std::string(1000, 'l')}});
  expect_round_trips<BoostSample>({{}, {7, "probe", {1, 2, 3}}, {-1, std::string("a\0b", 3), {}}});
  expect_round_trips<Calibration>({{}, {3, {0.5, 0.25}}, {12, std::vector<double>(500, 1.5)}});
  expect_round_trips<std::vector<BoostSample>>({{}, {{1, "a", {}}, {2, "b", {2.5}}}});
  expect_round_trips<std::map<std::string, Calibration>>({{{"left", {1, {0.5}}}, {"right", {}}}});
}

std::tuple<std::string, std::size_t, double, int> summarize(int id, const std::string& label,
                                                            const std::vector<double>& values,
                                                            const std::optional<int>& offset,
                                                            const BoostSample& sample,
                                                            const Calibration& calibration) {
  double sum = 0;
  for (const double value : values)
    sum += value;
  for (const double gain : calibration.gains)
    sum *= gain;
  return {label + "#" + std::to_string(id) + sample.name, values.size() + sample.readings.size(),
          sum, offset.value_or(-1) + calibration.channel};
}

TEST(RoundTrip, ManyArgumentsOfDifferentTypesArriveInOrder) {
  std::vector<decltype(joblet::delayed(summarize, 0, std::string(), std::vector<double>(),
                                       std::optional<int>(), BoostSample(), Calibration()))>
      tasks;
  for (int i = 0; i < 40; ++i) {
    tasks.push_back(joblet::delayed(summarize, i, "task" + std::to_string(i),
                                    std::vector<double>(static_cast<std::size_t>(i % 7), 0.5 * i),
                                    i % 3 == 0 ? std::nullopt : std::optional<int>(i),
                                    BoostSample{i, "s", {1.0 * i}},
                                    Calibration{i % 4, {1.0 + i, 0.5}}));
  }
  expect_processes_match_sequential(tasks);
}

std::unique_ptr<Point> boxed(const std::shared_ptr<Point>& point, double shift) {
  return std::make_unique<Point>(Point{point->x + shift, point->y - shift, point->label});
}

TEST(RoundTrip, SmartPointersCarryTheirPointee) {
  std::vector<decltype(joblet::delayed(boxed, std::shared_ptr<Point>(), 0.0))> tasks;
  for (int i = 0; i < 12; ++i)
    tasks.push_back(
        joblet::delayed(boxed, std::make_shared<Point>(Point{1.0 * i, 2.0, "p"}), 0.5 * i));
  const auto reference = joblet::Parallel(inline_reference())(tasks);
  const auto travelled = joblet::Parallel(on_processes())(tasks);
  ASSERT_EQ(travelled.size(), reference.size());
  for (std::size_t i = 0; i < reference.size(); ++i) {
    ASSERT_NE(travelled[i], nullptr);
    EXPECT_EQ(*travelled[i], *reference[i]) << "task " << i;
  }
}

// ######################################################################
// Functions are found in the worker without registration.

double cube(double x) {
  return x * x * x;
}

TEST(Functions, FunctionPointersNeedNoRegistration) {
  std::vector<joblet::Delayed<double (*)(double), double>> tasks;
  for (int i = 0; i < 30; ++i)
    tasks.push_back(joblet::delayed(cube, 0.5 * i));
  expect_processes_match_sequential(tasks);
}

TEST(Functions, CapturelessLambdasNeedNoRegistration) {
  const auto mix = [](int a, const std::string& b) { return b + std::to_string(a * 3); };
  std::vector<decltype(joblet::delayed(mix, 0, std::string()))> tasks;
  for (int i = 0; i < 30; ++i)
    tasks.push_back(joblet::delayed(mix, i, std::string(static_cast<std::size_t>(i % 5), 'q')));
  expect_processes_match_sequential(tasks);
}

TEST(Functions, FunctionObjectsTravelWithTheirState) {
  std::vector<joblet::Delayed<Scale, double>> scaled;
  for (int i = 0; i < 30; ++i)
    scaled.push_back(joblet::delayed(Scale{0.25 * (i - 15)}, 1.0 + i));
  expect_processes_match_sequential(scaled);

  std::vector<joblet::Delayed<Negate, int>> negated;
  for (int i = 0; i < 30; ++i)
    negated.push_back(joblet::delayed(Negate{}, i));
  expect_processes_match_sequential(negated);
}

TEST(Functions, OneRunMixesFunctionsThroughTask) {
  const auto halve = [](double x) { return x / 2; };
  std::vector<joblet::Task<double>> tasks;
  for (int i = 0; i < 30; ++i) {
    if (i % 3 == 0) {
      tasks.emplace_back(joblet::delayed(cube, 1.0 * i));
    } else if (i % 3 == 1) {
      tasks.emplace_back(joblet::delayed(halve, 1.0 * i));
    } else {
      tasks.emplace_back(joblet::delayed(Scale{-1.5}, 1.0 * i));
    }
  }
  expect_processes_match_sequential(tasks);
}

// ######################################################################
// NotSerializable: raised in the caller before any task runs.

/// A directory in which tasks leave a file each, so the caller sees whether a worker ran any.
class Marks {
 public:
  Marks()
      : dir_(std::filesystem::temp_directory_path() /
             ("joblet-marks-" + std::to_string(getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  Marks(const Marks&) = delete;
  Marks& operator=(const Marks&) = delete;
  Marks(Marks&&) = delete;
  Marks& operator=(Marks&&) = delete;
  ~Marks() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  [[nodiscard]] std::string dir() const { return dir_.string(); }
  [[nodiscard]] std::size_t count() const {
    const std::filesystem::directory_iterator entries(dir_);
    return static_cast<std::size_t>(std::distance(begin(entries), end(entries)));
  }

 private:
  std::filesystem::path dir_;
};

int leave_mark(const std::string& dir, int index) {
  std::ofstream(std::filesystem::path(dir) / std::to_string(index)) << index;
  return index;
}

template <class T>
int leave_mark_with(const std::string& dir, int index, const T& /*value*/) {
  return leave_mark(dir, index);
}

/// Options for processes that count finished tasks in the caller.
joblet::Options counting(std::size_t& finished) {
  auto options = on_processes();
  options.on_progress = [&finished](const joblet::Progress& /*progress*/) { ++finished; };
  return options;
}

template <class Tasks>
std::optional<joblet::NotSerializable> refused_on_processes(Tasks& tasks, std::size_t& finished) {
  return joblet::testing::thrown<joblet::NotSerializable>(
      [&] { joblet::Parallel(counting(finished))(tasks); });
}

TEST(NotSerializable, CapturingLambdaSaysToPassTheCapturesAsArguments) {
  const Marks marks;
  const std::string dir = marks.dir();
  const auto capturing = [dir](int index) { return leave_mark(dir, index); };
  std::vector<decltype(joblet::delayed(capturing, 0))> tasks;
  for (int i = 0; i < 20; ++i)
    tasks.push_back(joblet::delayed(capturing, i));

  std::size_t finished = 0;
  const auto error = refused_on_processes(tasks, finished);
  if (!error.has_value()) FAIL() << "nothing was thrown";
  const std::string message = error->what();
  EXPECT_NE(message.find("lambda that captures"), std::string::npos) << message;
  EXPECT_NE(message.find("Pass the captured values as arguments"), std::string::npos) << message;
  EXPECT_EQ(finished, 0U);
  EXPECT_EQ(marks.count(), 0U);

  // The same tasks are fine in this process, and then they do leave their marks.
  EXPECT_EQ(joblet::Parallel(inline_reference())(tasks).size(), tasks.size());
  EXPECT_EQ(marks.count(), tasks.size());
}

NoSerialize make_unwritable(int value) {
  return NoSerialize{value};
}

TEST(NotSerializable, ResultWithoutSerializeRunsOnThreadsAndIsRefusedOnProcesses) {
  std::vector<decltype(joblet::delayed(make_unwritable, 0))> tasks;
  for (int i = 0; i < 20; ++i)
    tasks.push_back(joblet::delayed(make_unwritable, i));
  const auto on_threads =
      joblet::Parallel({.n_jobs = 2, .backend = joblet::Backend::threads})(tasks);
  ASSERT_EQ(on_threads.size(), tasks.size());
  EXPECT_EQ(on_threads.back().value, 19);

  int progressed = 0;
  const auto error = joblet::testing::thrown<joblet::NotSerializable>([&] {
    joblet::Parallel({.n_jobs = 2,
                      .backend = joblet::Backend::processes,
                      .on_progress = [&](const joblet::Progress&) { ++progressed; }})(tasks);
  });
  if (!error.has_value()) FAIL() << "nothing was thrown";
  const std::string message = error->what();
  EXPECT_NE(message.find("NoSerialize"), std::string::npos) << message;
  EXPECT_NE(message.find("serialize"), std::string::npos) << message;
  EXPECT_EQ(progressed, 0);
}

TEST(NotSerializable, ArgumentWithoutSerializeIsNamedByPositionAndType) {
  const Marks marks;
  std::vector<decltype(joblet::delayed(leave_mark_with<NoSerialize>, marks.dir(), 0,
                                       NoSerialize{}))>
      tasks;
  for (int i = 0; i < 20; ++i)
    tasks.push_back(joblet::delayed(leave_mark_with<NoSerialize>, marks.dir(), i, NoSerialize{i}));

  std::size_t finished = 0;
  const auto error = refused_on_processes(tasks, finished);
  if (!error.has_value()) FAIL() << "nothing was thrown";
  const std::string message = error->what();
  EXPECT_NE(message.find("argument 3"), std::string::npos) << message;
  EXPECT_NE(message.find("NoSerialize"), std::string::npos) << message;
  EXPECT_NE(message.find("void serialize(Archive& ar)"), std::string::npos) << message;
  EXPECT_EQ(finished, 0U);
  EXPECT_EQ(marks.count(), 0U);
}

TEST(NotSerializable, ContainerOfUnwritableElementsIsRefused) {
  const Marks marks;
  using Unwritable = std::vector<std::optional<NoSerialize>>;
  std::vector<decltype(joblet::delayed(leave_mark_with<Unwritable>, marks.dir(), 0, Unwritable()))>
      tasks;
  for (int i = 0; i < 10; ++i)
    tasks.push_back(joblet::delayed(leave_mark_with<Unwritable>, marks.dir(), i, Unwritable(2)));

  std::size_t finished = 0;
  const auto error = refused_on_processes(tasks, finished);
  if (!error.has_value()) FAIL() << "nothing was thrown";
  const std::string message = error->what();
  EXPECT_NE(message.find("argument 3"), std::string::npos) << message;
  EXPECT_NE(message.find("NoSerialize"), std::string::npos) << message;
  EXPECT_EQ(finished, 0U);
  EXPECT_EQ(marks.count(), 0U);
}

int read_through(const int* value) {
  return *value;
}

TEST(NotSerializable, PointersAndReferencesAreRefused) {
  const int value = 5;
  std::vector tasks{joblet::delayed(read_through, &value)};
  std::size_t finished = 0;
  auto error = refused_on_processes(tasks, finished);
  if (!error.has_value()) FAIL() << "nothing was thrown";
  EXPECT_NE(std::string(error->what()).find("argument 1"), std::string::npos) << error->what();

  const auto add_one = [](const int& x) { return x + 1; };
  std::vector by_reference{joblet::delayed(add_one, std::cref(value))};
  error = refused_on_processes(by_reference, finished);
  if (!error.has_value()) FAIL() << "nothing was thrown";
  EXPECT_NE(std::string(error->what()).find("std::ref"), std::string::npos) << error->what();
  EXPECT_EQ(finished, 0U);
}

template <class Broken>
void expect_broken_round_trip_caught(const Broken& broken) {
  const Marks marks;
  std::vector<decltype(joblet::delayed(leave_mark_with<Broken>, marks.dir(), 0, broken))> tasks;
  for (int i = 0; i < 10; ++i)
    tasks.push_back(joblet::delayed(leave_mark_with<Broken>, marks.dir(), i, broken));

  std::size_t finished = 0;
  const auto error = refused_on_processes(tasks, finished);
  if (!error.has_value()) FAIL() << "nothing was thrown";
  const std::string message = error->what();
  EXPECT_NE(message.find("does not survive being written and read back"), std::string::npos)
      << message;
  EXPECT_NE(message.find("task 0"), std::string::npos) << message;
  EXPECT_EQ(finished, 0U);
  EXPECT_EQ(marks.count(), 0U);
}

TEST(NotSerializable, SerializeThatReadsLessThanItWritesIsCaughtInTheCaller) {
  expect_broken_round_trip_caught(DropsAMember{1, 2});
}

TEST(NotSerializable, SerializeThatReadsInAnotherOrderIsCaughtInTheCaller) {
  expect_broken_round_trip_caught(SwapsMembers{1, 2});
}

TEST(NotSerializable, EveryTaskTypeOfAMixedRunIsCheckedBeforeAnyRuns) {
  const Marks marks;
  std::vector<joblet::Task<int>> tasks;
  for (int i = 0; i < 40; ++i)
    tasks.emplace_back(joblet::delayed(leave_mark, marks.dir(), i));
  tasks.emplace_back(joblet::delayed(leave_mark_with<NoSerialize>, marks.dir(), 40, NoSerialize{}));

  std::size_t finished = 0;
  const auto error = refused_on_processes(tasks, finished);
  if (!error.has_value()) FAIL() << "nothing was thrown";
  const std::string message = error->what();
  EXPECT_NE(message.find("argument 3"), std::string::npos) << message;
  EXPECT_NE(message.find("NoSerialize"), std::string::npos) << message;
  EXPECT_EQ(finished, 0U);
  EXPECT_EQ(marks.count(), 0U);
}

// ######################################################################
// A worker asked for code it does not have: what happens when parent and worker do not run the
// same program. Tasks that write themselves (write_to) forge such requests.

using joblet::detail::FunctionId;
using joblet::detail::OutputArchive;

int twice(int x) {
  return 2 * x;
}

/// Written as a real task, or with a forged task kind or a forged function in its place.
struct ForgedTask {
  enum class Forge { nothing, kind, function };

  Forge forge = Forge::nothing;
  FunctionId forged{};
  int argument = 0;

  int operator()() const { return twice(argument); }
  [[nodiscard]] std::string name() const {
    return forge == Forge::nothing ? "twice" : "forged_twice";
  }
  [[nodiscard]] std::string call() const { return name() + "(" + std::to_string(argument) + ")"; }
  void write_to(OutputArchive& out) const {
    using Real = joblet::Delayed<int (*)(int), int>;
    switch (forge) {
      case Forge::nothing:
        joblet::detail::write_element<int>(out, joblet::delayed(twice, argument));
        break;
      case Forge::kind:
        out(forged);
        break;
      case Forge::function:
        joblet::detail::write_kind<Real, int>(out);
        out(forged, argument);
        break;
    }
  }
};

/// Task 0 is real, so the caller's round-trip check passes; task 1 carries the forgery.
std::vector<ForgedTask> forged_at_task_1(ForgedTask::Forge forge, FunctionId forged) {
  std::vector<ForgedTask> tasks;
  for (int i = 0; i < 4; ++i) {
    tasks.push_back({i == 1 ? forge : ForgedTask::Forge::nothing, forged, i});
  }
  return tasks;
}

/// The module numbers of this program stop well before this one.
constexpr FunctionId kNoSuchModule{4000, 0};

void expect_workers_still_serve() {
  std::vector<joblet::Delayed<int (*)(int), int>> tasks;
  for (int i = 0; i < 20; ++i)
    tasks.push_back(joblet::delayed(twice, i));
  expect_processes_match_sequential(tasks);
}

TEST(UnknownFunction, TaskKindInNoModuleOfTheWorkerIsAClearError) {
  auto tasks = forged_at_task_1(ForgedTask::Forge::kind, kNoSuchModule);
  const auto error = joblet::testing::thrown<joblet::Error>(
      [&] { joblet::Parallel({.n_jobs = 2, .backend = joblet::Backend::processes})(tasks); });
  if (!error.has_value()) FAIL() << "nothing was thrown";
  const std::string message = error->what();
  EXPECT_NE(message.find("a worker could not run a batch"), std::string::npos) << message;
  EXPECT_NE(message.find("no module 4000"), std::string::npos) << message;
  // The parent knows which task it sent: the error names it, as it does for any failing task.
  EXPECT_NE(message.find("forged_twice"), std::string::npos) << message;
  expect_workers_still_serve();
}

TEST(UnknownFunction, AddressThatHoldsNoTaskKindIsAClearError) {
  // A function's code, not a task kind: the worker must tell the difference.
  const FunctionId not_a_kind = joblet::detail::function_id(std::bit_cast<const void*>(&twice));
  auto tasks = forged_at_task_1(ForgedTask::Forge::kind, not_a_kind);
  const auto error = joblet::testing::thrown<joblet::Error>(
      [&] { joblet::Parallel({.n_jobs = 2, .backend = joblet::Backend::processes})(tasks); });
  if (!error.has_value()) FAIL() << "nothing was thrown";
  const std::string message = error->what();
  EXPECT_NE(message.find("no task kind at module"), std::string::npos) << message;
  EXPECT_NE(message.find("do not run the same program"), std::string::npos) << message;
  expect_workers_still_serve();
}

TEST(UnknownFunction, FunctionPointerInNoModuleFailsThatTaskByName) {
  auto tasks = forged_at_task_1(ForgedTask::Forge::function, kNoSuchModule);
  const auto error = joblet::testing::thrown<joblet::TaskError>(
      [&] { joblet::Parallel({.n_jobs = 2, .backend = joblet::Backend::processes})(tasks); });
  if (!error.has_value()) FAIL() << "nothing was thrown";
  EXPECT_EQ(error->index(), 1U);
  EXPECT_EQ(error->task_name(), "forged_twice");
  EXPECT_EQ(error->exception_type(), "joblet::NotSerializable");
  EXPECT_NE(error->message().find("no module 4000"), std::string::npos) << error->message();

  // Under try_run the other tasks still give their results.
  const auto outcomes =
      joblet::Parallel({.n_jobs = 2, .backend = joblet::Backend::processes}).try_run(tasks);
  const auto reference = joblet::Parallel(inline_reference())(tasks);
  ASSERT_EQ(outcomes.size(), tasks.size());
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    if (i == 1) {
      EXPECT_FALSE(outcomes[i].has_value());
    } else {
      ASSERT_TRUE(outcomes[i].has_value()) << "task " << i;
      EXPECT_EQ(outcomes[i].value(), reference[i]) << "task " << i;
    }
  }
  expect_workers_still_serve();
}

TEST(UnknownFunction, LookupInThisProcessThrowsNotSerializable) {
  EXPECT_THROW((void)joblet::detail::function_address(kNoSuchModule), joblet::NotSerializable);
  EXPECT_THROW((void)joblet::detail::task_kind_at(kNoSuchModule), joblet::NotSerializable);
  const FunctionId code = joblet::detail::function_id(std::bit_cast<const void*>(&twice));
  EXPECT_THROW((void)joblet::detail::task_kind_at(code), joblet::NotSerializable);
  EXPECT_EQ(joblet::detail::function_address(code), std::bit_cast<const void*>(&twice));
}

}  // namespace
