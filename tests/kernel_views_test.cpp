// joblet::kernels over strided N-d views: numpy's broadcasting, any strides (transposed,
// padded, reversed), the shapes and aliasing that are refused, and reduce along a dimension,
// each against a plain loop over every index.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <numeric>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "joblet/joblet.hpp"
#include "joblet/kernels.hpp"
#include "support/thrown.hpp"

namespace {

namespace jk = joblet::kernels;
using Shape = std::vector<std::size_t>;
using Strides = std::vector<std::ptrdiff_t>;

constexpr double kUntouched = -777.0;

std::size_t count_of(const Shape& shape) {
  return std::accumulate(shape.begin(), shape.end(), std::size_t{1}, std::multiplies<>{});
}

Strides row_major(const Shape& shape) {
  Strides strides(shape.size());
  std::ptrdiff_t step = 1;
  for (std::size_t d = shape.size(); d-- > 0;) {
    strides[d] = step;
    step *= static_cast<std::ptrdiff_t>(shape[d]);
  }
  return strides;
}

/// Every multi-index of `shape`, last dimension fastest.
std::vector<Shape> indices_of(const Shape& shape) {
  std::vector<Shape> all;
  Shape index(shape.size(), 0);
  for (std::size_t k = 0; k < count_of(shape); ++k) {
    all.push_back(index);
    for (std::size_t d = shape.size(); d-- > 0;) {
      if (++index[d] < shape[d]) break;
      index[d] = 0;
    }
  }
  return all;
}

/// Where the element at `index` (of the broadcast shape) lives in a view, by numpy's rules:
/// the view's dimensions are the last ones, and a dimension of size 1 always reads index 0.
template <class T>
T& at(const jk::View<T>& view, const Shape& index) {
  const Strides contiguous = view.strides.empty() ? row_major(view.shape) : Strides{};
  const Strides& strides = view.strides.empty() ? contiguous : view.strides;
  const std::size_t leading = index.size() - view.shape.size();
  std::ptrdiff_t offset = 0;
  for (std::size_t d = 0; d < view.shape.size(); ++d) {
    if (view.shape[d] != 1) offset += static_cast<std::ptrdiff_t>(index[leading + d]) * strides[d];
  }
  return view.data[offset];
}

/// Elements laid out in memory however a test asks, with room around them that no view of
/// that shape touches.
struct Storage {
  std::vector<double> memory;
  jk::View<double> view;
};

/// A view of `shape` over fresh memory: dimensions stored in the order `order` (outermost
/// first), each padded by `pad` elements, dimension `reversed` (if below the rank) running
/// backwards. Elements are distinct values; the padding holds kUntouched.
Storage make_storage(const Shape& shape, const std::vector<std::size_t>& order, std::size_t pad,
                     std::size_t reversed, std::uint64_t seed) {
  Storage s;
  Strides strides(shape.size());
  std::ptrdiff_t step = 1;
  for (std::size_t k = order.size(); k-- > 0;) {
    const std::size_t d = order[k];
    strides[d] = step;
    step *= static_cast<std::ptrdiff_t>(shape[d] + pad);
  }
  s.memory.assign(static_cast<std::size_t>(step) + 1, kUntouched);
  std::ptrdiff_t start = 0;
  if (reversed < shape.size() && shape[reversed] > 0) {
    start = strides[reversed] * static_cast<std::ptrdiff_t>(shape[reversed] - 1);
    strides[reversed] = -strides[reversed];
  }
  s.view = {s.memory.data() + start, shape, strides};
  joblet::SplitMix64 rng(seed);
  for (const Shape& index : indices_of(shape))
    at(s.view, index) = static_cast<double>(rng() % 100000) / 8 - 5000;
  return s;
}

Storage contiguous_storage(const Shape& shape, std::uint64_t seed) {
  std::vector<std::size_t> order(shape.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  Storage s = make_storage(shape, order, 0, shape.size(), seed);
  s.view.strides.clear();
  return s;
}

template <class T>
jk::View<const T> as_const(const jk::View<T>& view) {
  return {view.data, view.shape, view.strides};
}

/// Elements of `s` outside its view that are no longer kUntouched.
std::size_t padding_written(const Storage& s) {
  std::vector<bool> inside(s.memory.size(), false);
  for (const Shape& index : indices_of(s.view.shape))
    inside[static_cast<std::size_t>(&at(s.view, index) - s.memory.data())] = true;
  std::size_t written = 0;
  for (std::size_t k = 0; k < s.memory.size(); ++k)
    written += !inside[k] && s.memory[k] != kUntouched ? 1 : 0;
  return written;
}

const auto kCombine = [](double x, double y) { return 2 * x - y; };

/// zip(a, b, out, kCombine) against the plain loop; the number of elements that disagree.
std::size_t zip_disagreements(const Storage& a, const Storage& b, const Storage& out) {
  std::size_t wrong = 0;
  for (const Shape& index : indices_of(out.view.shape)) {
    wrong += at(out.view, index) != kCombine(at(a.view, index), at(b.view, index)) ? 1 : 0;
  }
  return wrong + padding_written(out);
}

TEST(ViewZip, BroadcastsARowAlongEveryRow) {
  const Storage a = contiguous_storage({3, 4}, 1);
  const Storage b = contiguous_storage({4}, 2);
  Storage out = contiguous_storage({3, 4}, 3);
  jk::zip(as_const(a.view), as_const(b.view), out.view, kCombine);
  EXPECT_EQ(zip_disagreements(a, b, out), 0U);
  EXPECT_EQ(out.memory[5], kCombine(a.memory[5], b.memory[1]));
}

TEST(ViewZip, BroadcastsAColumnAgainstARowIntoAMatrix) {
  const Storage a = contiguous_storage({3, 1}, 4);
  const Storage b = contiguous_storage({1, 4}, 5);
  Storage out = contiguous_storage({3, 4}, 6);
  jk::zip(as_const(a.view), as_const(b.view), out.view, kCombine);
  EXPECT_EQ(zip_disagreements(a, b, out), 0U);
  EXPECT_EQ(out.memory[6], kCombine(a.memory[1], b.memory[2]));
}

TEST(ViewZip, BroadcastsARankZeroScalar) {
  const Storage a = contiguous_storage({3, 4}, 7);
  const double scalar = 0.25;
  Storage out = contiguous_storage({3, 4}, 8);
  jk::zip(as_const(a.view), jk::View<const double>{&scalar, {}}, out.view, kCombine);
  for (std::size_t k = 0; k < 12; ++k)
    EXPECT_EQ(out.memory[k], kCombine(a.memory[k], scalar)) << k;
}

TEST(ViewMap, OfRankZeroViewsMapsTheOneElement) {
  const double in = 3;
  double out = 0;
  jk::map(jk::View<const double>{&in, {}}, jk::View<double>{&out, {}},
          [](double x) { return x * x; });
  EXPECT_EQ(out, 9);
}

TEST(ViewZip, ReadsTransposedInputs) {
  // a is stored as (4, 3); its transpose is the (3, 4) view with the strides swapped.
  const Storage stored = contiguous_storage({4, 3}, 9);
  const jk::View<const double> transposed{stored.view.data, {3, 4}, {1, 3}};
  const Storage b = contiguous_storage({3, 4}, 10);
  Storage out = contiguous_storage({3, 4}, 11);
  jk::zip(transposed, as_const(b.view), out.view, kCombine);
  for (std::size_t i = 0; i < 3; ++i) {
    for (std::size_t j = 0; j < 4; ++j)
      EXPECT_EQ(out.memory[i * 4 + j], kCombine(stored.memory[j * 3 + i], b.memory[i * 4 + j]));
  }
}

TEST(ViewMap, WritesANonContiguousOutAndNothingBeside) {
  // out is every other column of a (3, 8) matrix.
  const Storage in = contiguous_storage({3, 4}, 12);
  std::vector<double> memory(24, kUntouched);
  jk::map(as_const(in.view), jk::View<double>{memory.data(), {3, 4}, {8, 2}},
          [](double x) { return x + 1; });
  for (std::size_t i = 0; i < 3; ++i) {
    for (std::size_t j = 0; j < 8; ++j) {
      const double expected = j % 2 == 0 ? in.memory[i * 4 + j / 2] + 1 : kUntouched;
      EXPECT_EQ(memory[i * 8 + j], expected) << i << ", " << j;
    }
  }
}

TEST(ViewMap, InPlaceOnTheSameViewIsAllowed) {
  Storage s = make_storage({5, 7}, {1, 0}, 1, 0, 13);
  const Storage before = s;
  jk::map(as_const(s.view), s.view, [](double x) { return -x; });
  for (const Shape& index : indices_of({5, 7})) {
    const auto offset = &at(s.view, index) - s.memory.data();
    EXPECT_EQ(s.memory[static_cast<std::size_t>(offset)],
              -before.memory[static_cast<std::size_t>(offset)]);
  }
  EXPECT_EQ(padding_written(s), 0U);
}

/// A random permutation of [0, rank).
std::vector<std::size_t> random_order(std::size_t rank, joblet::SplitMix64& rng) {
  std::vector<std::size_t> order(rank);
  std::iota(order.begin(), order.end(), std::size_t{0});
  for (std::size_t k = rank; k > 1; --k)
    std::swap(order[k - 1], order[rng() % k]);
  return order;
}

Storage random_storage(const Shape& shape, joblet::SplitMix64& rng) {
  const std::size_t rank = shape.size();
  return make_storage(shape, random_order(rank, rng), rng() % 2, rng() % (rank + 2), rng());
}

TEST(ViewZip, EqualsAPlainLoopOverRandomShapesStridesAndBroadcasts) {
  joblet::SplitMix64 rng(99);
  for (int trial = 0; trial < 300; ++trial) {
    const std::size_t rank = rng() % 5;
    Shape shape(rank);
    // Now and then a dimension large enough that rows are split over threads.
    for (std::size_t& extent : shape)
      extent = rng() % 8 == 0 ? 100 + rng() % 300 : 1 + rng() % 6;
    // Each dimension of out comes from a, from b, or from both; the other may be 1.
    Shape a_shape = shape;
    Shape b_shape = shape;
    for (std::size_t d = 0; d < rank; ++d) {
      const auto pick = rng() % 3;
      if (pick == 1) a_shape[d] = 1;
      if (pick == 2) b_shape[d] = 1;
    }
    // Leading dimensions of size 1 may be missing altogether.
    const auto drop = [&rng](Shape& s) {
      while (!s.empty() && s.front() == 1 && rng() % 2 == 0)
        s.erase(s.begin());
    };
    drop(a_shape);
    drop(b_shape);
    if (count_of(shape) > 100000) continue;
    const Storage a = random_storage(a_shape, rng);
    const Storage b = random_storage(b_shape, rng);
    Storage out = random_storage(shape, rng);
    jk::zip(as_const(a.view), as_const(b.view), out.view, kCombine);
    ASSERT_EQ(zip_disagreements(a, b, out), 0U)
        << "trial " << trial << ": out " << ::testing::PrintToString(shape) << " strides "
        << ::testing::PrintToString(out.view.strides) << ", a " << ::testing::PrintToString(a_shape)
        << " strides " << ::testing::PrintToString(a.view.strides) << ", b "
        << ::testing::PrintToString(b_shape) << " strides "
        << ::testing::PrintToString(b.view.strides);
  }
}

TEST(ViewMap, EqualsAPlainLoopOverRandomStrides) {
  joblet::SplitMix64 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    const std::size_t rank = 1 + rng() % 4;
    Shape shape(rank);
    for (std::size_t& extent : shape)
      extent = rng() % 6 == 0 ? 200 + rng() % 200 : 1 + rng() % 7;
    if (count_of(shape) > 100000) continue;
    const Storage in = random_storage(shape, rng);
    Storage out = random_storage(shape, rng);
    jk::map(as_const(in.view), out.view, [](double x) { return x * x - 1; });
    std::size_t wrong = padding_written(out);
    for (const Shape& index : indices_of(shape))
      wrong += at(out.view, index) != at(in.view, index) * at(in.view, index) - 1 ? 1 : 0;
    ASSERT_EQ(wrong, 0U) << "trial " << trial << ": " << ::testing::PrintToString(shape);
  }
}

/// The message of the std::invalid_argument that `call` throws ("" if none).
template <class Call>
std::string refusal(Call&& call) {
  const auto error = joblet::testing::thrown<std::invalid_argument>(std::forward<Call>(call));
  return error ? error->what() : "";
}

TEST(ViewErrors, ShapesThatDoNotBroadcastAreRefusedNamingThem) {
  std::vector<double> a(12);
  std::vector<double> b(3);
  std::vector<double> out(12);
  const std::string message = refusal([&] {
    jk::zip(jk::View<const double>{a.data(), {3, 4}}, jk::View<const double>{b.data(), {3}},
            jk::View<double>{out.data(), {3, 4}}, kCombine);
  });
  EXPECT_NE(
      message.find("joblet::kernels::zip: a (3, 4) and b (3,) do not broadcast to out (3, 4)"),
      std::string::npos)
      << message;
}

TEST(ViewErrors, AnOutOfTheWrongShapeIsRefusedNamingTheShapes) {
  std::vector<double> in(12);
  std::vector<double> out(24);
  const std::string transposed = refusal([&] {
    jk::map(jk::View<const double>{in.data(), {3, 4}}, jk::View<double>{out.data(), {4, 3}},
            [](double x) { return x; });
  });
  EXPECT_NE(transposed.find("in (3, 4) do not broadcast to out (4, 3)"), std::string::npos)
      << transposed;
  const std::string larger = refusal([&] {
    jk::map(jk::View<const double>{in.data(), {3, 4}}, jk::View<double>{out.data(), {2, 3, 4}},
            [](double x) { return x; });
  });
  EXPECT_NE(larger.find("out (2, 3, 4) is larger than the broadcast of in (3, 4)"),
            std::string::npos)
      << larger;
}

TEST(ViewErrors, StridesThatDoNotMatchTheRankAreRefused) {
  std::vector<double> in(12);
  std::vector<double> out(12);
  const std::string message = refusal([&] {
    jk::map(jk::View<const double>{in.data(), {3, 4}, {4}}, jk::View<double>{out.data(), {3, 4}},
            [](double x) { return x; });
  });
  EXPECT_NE(message.find("in has 2 dimensions but 1 strides"), std::string::npos) << message;
}

TEST(ViewErrors, AnOutPartlyOverlappingAnInputIsRefused) {
  std::vector<double> memory(16);
  const std::string shifted = refusal([&] {
    jk::map(jk::View<const double>{memory.data(), {8}}, jk::View<double>{memory.data() + 4, {8}},
            [](double x) { return x; });
  });
  EXPECT_NE(shifted.find("out overlaps in without being the same view"), std::string::npos)
      << shifted;
  // Same start and shape but other strides: an in-place transpose would read overwritten values.
  const std::string transposed = refusal([&] {
    jk::zip(jk::View<const double>{memory.data(), {4, 4}},
            jk::View<const double>{memory.data(), {4, 4}, {1, 4}},
            jk::View<double>{memory.data(), {4, 4}}, kCombine);
  });
  EXPECT_NE(transposed.find("out overlaps b without being the same view"), std::string::npos)
      << transposed;
}

TEST(ViewErrors, AnOutWithStrideZeroIsRefused) {
  std::vector<double> in(12);
  std::vector<double> out(4);
  const std::string message = refusal([&] {
    jk::map(jk::View<const double>{in.data(), {3, 4}}, jk::View<double>{out.data(), {3, 4}, {0, 1}},
            [](double x) { return x; });
  });
  EXPECT_NE(message.find("out has stride 0 in dimension 0 of shape (3, 4)"), std::string::npos)
      << message;
}

TEST(ViewErrors, AViewWithoutDataIsRefused) {
  std::vector<double> out(3);
  const std::string message = refusal([&] {
    jk::map(jk::View<const double>{nullptr, {3}}, jk::View<double>{out.data(), {3}},
            [](double x) { return x; });
  });
  EXPECT_NE(message.find("in has no data but shape (3,)"), std::string::npos) << message;
}

TEST(ViewMap, AnEmptyShapeDoesNothing) {
  const std::vector<double> in(4, 1);
  std::vector<double> out(4, kUntouched);
  jk::map(jk::View<const double>{in.data(), {0, 4}}, jk::View<double>{out.data(), {0, 4}},
          [](double x) { return x; });
  EXPECT_EQ(std::ranges::count(out, kUntouched), 4);
}

/// reduce(in, out, dim, init, op) by the plain loop: init, then in's elements along dim in order.
template <class Op>
std::vector<double> reduce_by_loop(const jk::View<const double>& in, std::size_t dim, double init,
                                   Op op) {
  Shape out_shape = in.shape;
  out_shape[dim] = 1;
  std::vector<double> result;
  for (Shape index : indices_of(out_shape)) {
    double folded = init;
    for (std::size_t k = 0; k < in.shape[dim]; ++k) {
      index[dim] = k;
      folded = op(folded, at(in, index));
    }
    result.push_back(folded);
  }
  return result;
}

std::vector<double> reduce_by_kernel(const jk::View<const double>& in, std::size_t dim,
                                     double init) {
  Shape out_shape = in.shape;
  out_shape[dim] = 1;
  std::vector<double> out(count_of(out_shape));
  jk::reduce(in, jk::View<double>{out.data(), out_shape}, dim, init, std::plus<>{});
  return out;
}

TEST(ViewReduce, AlongEachDimensionOfA3dViewEqualsAPlainLoop) {
  const Storage contiguous = contiguous_storage({5, 6, 7}, 21);
  const Storage strided = make_storage({5, 6, 7}, {2, 0, 1}, 1, 1, 22);
  for (const Storage* in : {&contiguous, &strided}) {
    for (std::size_t dim = 0; dim < 3; ++dim) {
      const auto view = as_const(in->view);
      EXPECT_EQ(reduce_by_kernel(view, dim, 0.5), reduce_by_loop(view, dim, 0.5, std::plus<>{}))
          << "dim " << dim;
    }
  }
}

TEST(ViewReduce, IntoAStridedOutWithOtherOperators) {
  const Storage in = make_storage({40, 3, 30}, {1, 2, 0}, 0, 2, 23);
  std::vector<double> memory(std::size_t{2} * 40 * 30, kUntouched);
  const auto take_max = [](double x, double y) { return std::max(x, y); };
  // out is the transpose of a (30, 1, 40) block, every other element.
  jk::reduce(as_const(in.view), jk::View<double>{memory.data(), {40, 1, 30}, {2, 0, 80}}, 1, -1e300,
             take_max);
  const auto expected = reduce_by_loop(as_const(in.view), 1, -1e300, take_max);
  for (std::size_t i = 0; i < 40; ++i) {
    for (std::size_t k = 0; k < 30; ++k) {
      EXPECT_EQ(memory[2 * i + 80 * k], expected[i * 30 + k]);
      EXPECT_EQ(memory[2 * i + 80 * k + 1], kUntouched);
    }
  }
}

TEST(ViewReduce, RefusesADimOutOfRangeAWrongOutAndAnOverlap) {
  std::vector<double> in(24);
  std::vector<double> out(24);
  const jk::View<const double> view{in.data(), {2, 3, 4}};
  const std::string dim = refusal([&] {
    jk::reduce(view, jk::View<double>{out.data(), {2, 3, 1}}, 3, 0.0, std::plus<>{});
  });
  EXPECT_NE(dim.find("dim 3 is out of range for in of shape (2, 3, 4)"), std::string::npos) << dim;
  const std::string shape = refusal([&] {
    jk::reduce(view, jk::View<double>{out.data(), {2, 3}}, 2, 0.0, std::plus<>{});
  });
  EXPECT_NE(shape.find("out has shape (2, 3) but reducing dimension 2 of in (2, 3, 4) gives "
                       "(2, 3, 1)"),
            std::string::npos)
      << shape;
  const std::string overlap = refusal([&] {
    jk::reduce(view, jk::View<double>{in.data(), {2, 3, 1}}, 2, 0.0, std::plus<>{});
  });
  EXPECT_NE(overlap.find("out overlaps in"), std::string::npos) << overlap;
  const std::string stride_zero = refusal([&] {
    jk::reduce(view, jk::View<double>{out.data(), {2, 3, 1}, {0, 1, 1}}, 2, 0.0, std::plus<>{});
  });
  EXPECT_NE(stride_zero.find("out has stride 0 in dimension 0"), std::string::npos) << stride_zero;
}

/// The bits of a sum along each dimension of a fixed 3-d array, read contiguously and
/// transposed, on this thread with its budget; the data is made here so that a worker process
/// computes the same.
std::vector<std::uint64_t> reduced_bits(int /*task*/) {
  const Shape shape{48, 96, 80};
  std::vector<double> memory(count_of(shape));
  joblet::SplitMix64 rng(31);
  for (double& v : memory)
    v = static_cast<double>(rng() >> 11U) * 0x1p-40 - 4096;
  const jk::View<const double> contiguous{memory.data(), shape};
  // The same memory with its axes in reverse order: the transpose.
  const jk::View<const double> transposed{
      memory.data(), {80, 96, 48}, {1, 80, std::ptrdiff_t{80} * 96}};
  std::vector<std::uint64_t> bits;
  for (const auto* view : {&contiguous, &transposed}) {
    for (std::size_t dim = 0; dim < 3; ++dim) {
      for (const double v : reduce_by_kernel(*view, dim, 0.0))
        bits.push_back(std::bit_cast<std::uint64_t>(v));
    }
  }
  bits.push_back(static_cast<std::uint64_t>(jk::threads()));
  return bits;
}

TEST(ViewReduce, IsTheSameBitsForAnyThreadsAndBackend) {
  auto outside = reduced_bits(0);
  ASSERT_EQ(outside.back(), static_cast<std::uint64_t>(joblet::cpu_count()));
  outside.pop_back();
  for (const joblet::Backend backend :
       {joblet::Backend::sequential, joblet::Backend::threads, joblet::Backend::processes}) {
    for (const int inner : {1, 2, 16}) {
      const auto results =
          joblet::Parallel({.n_jobs = 2, .backend = backend, .inner_threads = inner})
              .map(reduced_bits, std::vector<int>{0, 1});
      for (auto got : results) {
        EXPECT_EQ(got.back(), static_cast<std::uint64_t>(inner));
        got.pop_back();
        EXPECT_TRUE(got == outside) << joblet::to_string(backend) << " inner=" << inner;
      }
    }
  }
}

}  // namespace
