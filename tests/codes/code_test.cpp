// The base class on its own: a code that overrides nothing but name/spec
// gets validation, the rank-test decodable(), the exhaustive tolerance() and
// the generic solver — the path any plugin's linear code takes.
#include "codes/code.hpp"

#include <cstring>

#include "code_test_util.hpp"
#include "codes/registry.hpp"
#include "core/parallel.hpp"

namespace cdcnn {
namespace {

class DenseCode final : public Code {
 public:
  explicit DenseCode(Eigen::MatrixXd g) : Code(std::move(g)) {}
  std::string name() const override { return "dense"; }
  std::string spec() const override { return "dense"; }
};

Eigen::MatrixXd random_generator(int n, int k, std::uint64_t seed) {
  Rng rng(seed);
  Eigen::MatrixXd g(n, k);
  for (Eigen::Index e = 0; e < g.size(); ++e) g(e) = rng.normal();
  return g;
}

TEST(Code, GenericSolverDecodesANonSystematicCode) {
  for (auto [n, k] : {std::pair{3, 2}, {5, 3}, {7, 4}}) {
    DenseCode code(random_generator(n, k, 3));
    EXPECT_FALSE(code.systematic());
    EXPECT_EQ(code.tolerance(), n - k);  // random G is MDS with probability one
    test::check_every_loss_pattern(code);
  }
}

TEST(Code, GenericSolverHandlesRankDeficientParityRows) {
  Eigen::MatrixXd g(5, 3);
  g << 1, 0, 0,  //
      0, 1, 0,   //
      0, 0, 1,   //
      1, 1, 1,   //
      2, 2, 2;   // a multiple of row 3: adds nothing to it
  DenseCode code(g);
  EXPECT_EQ(code.tolerance(), 1);
  test::check_every_loss_pattern(code);
}

// decode() hands chunks of positions to the compute threads: on 1, 2 and
// 3 threads every decoded block is the same bit for bit, and the true block.
// Sizes that are not whole chunks, the generic solver and a sum fast path.
TEST(Code, DecodeDoesNotDependOnTheThreadCount) {
  DenseCode dense(random_generator(6, 4, 5));
  const std::unique_ptr<Code> sum = code_registry().make("sum", 4);
  for (const Code* code : std::vector<const Code*>{&dense, sum.get()})
    for (const Index cols : {1, 3000, 40001}) {
      SCOPED_TRACE(code->spec() + " " + std::to_string(cols));
      const std::vector<Matrix> blocks = test::random_blocks(code->k(), 3, cols, 7);
      const std::vector<Matrix> z = test::shard_results(*code, blocks);
      const ShardMask arrived = test::mask_of(code->n() == 6 ? 0b111010 : 0b11110, code->n());
      std::vector<Matrix> one;
      for (const int threads : {1, 2, 3}) {
        const ComputeThreads compute(threads);
        const std::vector<Matrix> got = code->decode(test::arrived_only(z, arrived));
        EXPECT_LT(test::max_rel_error(got, blocks), 1e-4);
        if (threads == 1) {
          one = got;
          continue;
        }
        for (std::size_t i = 0; i < got.size(); ++i)
          EXPECT_EQ(std::memcmp(got[i].data(), one[i].data(), static_cast<std::size_t>(got[i].size()) * sizeof(float)), 0)
              << "block " << i << " on " << threads << " threads";
      }
    }
}

TEST(Code, RejectsBadGenerators) {
  EXPECT_THROW(DenseCode(Eigen::MatrixXd(2, 3)), Error);   // n < k
  EXPECT_THROW(DenseCode(Eigen::MatrixXd(65, 1)), Error);  // too many shards
  EXPECT_THROW(DenseCode(Eigen::MatrixXd(0, 0)), Error);
}

TEST(Code, DecodeValidatesCountsAndSizesBeforeWriting) {
  DenseCode code(random_generator(4, 2, 5));
  std::vector<float> a(6, 1.0f), b(6, 2.0f), short_buffer(5, 0.0f), out0(6, -7.0f), out1(6, -7.0f);
  std::vector<std::span<float>> blocks{out0, out1};
  // Wrong number of shard buffers.
  std::vector<std::span<const float>> three{a, b, {}};
  EXPECT_THROW(code.decode(three, blocks), Error);
  // Shards of different sizes.
  std::vector<std::span<const float>> mixed{a, short_buffer, {}, {}};
  EXPECT_THROW(code.decode(mixed, blocks), Error);
  // Output too small.
  std::vector<std::span<const float>> good{a, b, {}, {}};
  std::vector<std::span<float>> small{out0, short_buffer};
  EXPECT_THROW(code.decode(good, small), Error);
  // Undecodable.
  std::vector<std::span<const float>> one{a, {}, {}, {}};
  EXPECT_THROW(code.decode(one, blocks), Error);
  EXPECT_EQ(out0, std::vector<float>(6, -7.0f));
  EXPECT_THROW(code.decodable({true, true}), Error);  // mask of the wrong size
}

TEST(Code, MessagesAreOneLine) {
  DenseCode code(random_generator(4, 2, 5));
  try {
    code.decode(std::vector<std::optional<Matrix>>(4));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
  }
}

}  // namespace
}  // namespace cdcnn
