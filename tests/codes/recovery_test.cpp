// Decode-or-zero-fill over every arrival pattern of several codes, held
// against references that share no code with it: decodability by a direct
// rank test of the arrived rows of G, "held verbatim" read off G's unit rows,
// the decoded blocks against the true blocks.
#include "codes/recovery.hpp"

#include <memory>
#include <string>

#include "code_test_util.hpp"
#include "codes/registry.hpp"

namespace cdcnn {
namespace {

/// Row j of G is the unit vector e_i: shard j is block i itself. -1 if none.
int unit_row(const Eigen::MatrixXd& g, int j) {
  int at = -1;
  for (int i = 0; i < g.cols(); ++i) {
    if (g(j, i) == 0.0) continue;
    if (g(j, i) != 1.0 || at >= 0) return -1;
    at = i;
  }
  return at;
}

struct Buffers {
  std::vector<std::span<const float>> shards;
  std::vector<std::vector<float>> data;
  std::vector<std::span<float>> out;
};

Buffers buffers(const std::vector<Matrix>& z, const ShardMask& arrived, int k, float fill) {
  Buffers b;
  for (std::size_t j = 0; j < z.size(); ++j)
    b.shards.push_back(arrived[j] ? std::span<const float>(z[j].data(), static_cast<std::size_t>(z[j].size()))
                                  : std::span<const float>());
  b.data.assign(static_cast<std::size_t>(k), std::vector<float>(static_cast<std::size_t>(z[0].size()), fill));
  for (auto& d : b.data) b.out.emplace_back(d);
  return b;
}

std::vector<std::unique_ptr<Code>> codes_under_test() {
  std::vector<std::unique_ptr<Code>> codes;
  for (auto [spec, k] : std::vector<std::pair<std::string, int>>{{"uncoded", 3},
                                                                 {"replication:n=2", 3},
                                                                 {"pairwise", 3},
                                                                 {"sum", 4},
                                                                 {"grouped-sum:g=2", 4},
                                                                 {"mds:r=2", 4},
                                                                 {"mds:r=3", 4}})
    codes.push_back(code_registry().make(spec, k));
  return codes;
}

TEST(Recovery, EveryArrivalPatternDecodesOrZeroFillsAsTheReferencesSay) {
  for (const auto& code : codes_under_test()) {
    const int n = code->n(), k = code->k();
    const Eigen::MatrixXd& g = code->generator();
    const std::vector<Matrix> truth = test::random_blocks(k, 3, 5, 11);
    const std::vector<Matrix> z = test::shard_results(*code, truth);
    for (std::uint64_t bits = 0; bits < (std::uint64_t{1} << n); ++bits) {
      const ShardMask arrived = test::mask_of(bits, n);
      SCOPED_TRACE(code->spec() + " arrived " + format_mask(arrived));
      ShardMask held(static_cast<std::size_t>(k), false);
      for (int j = 0; j < n; ++j)
        if (arrived[static_cast<std::size_t>(j)] && unit_row(g, j) >= 0) held[static_cast<std::size_t>(unit_row(g, j))] = true;
      const int unheld = static_cast<int>(std::count(held.begin(), held.end(), false));
      const bool decodable = test::rank_decodable(g, arrived);

      for (Undecodable policy : {Undecodable::zero_fill, Undecodable::fail}) {
        Buffers b = buffers(z, arrived, k, -7.0f);
        const Recovery r = recover_blocks(*code, b.shards, b.out, policy);
        const Recovery planned = plan_recovery(*code, arrived, policy);
        EXPECT_EQ(planned.outcome, r.outcome);
        EXPECT_EQ(planned.decoded, r.decoded);
        EXPECT_EQ(planned.zeroed, r.zeroed);
        ASSERT_EQ(r.decoded.size(), static_cast<std::size_t>(k));
        ASSERT_EQ(r.zeroed.size(), static_cast<std::size_t>(k));
        if (decodable) {
          EXPECT_EQ(r.outcome, unheld > 0 ? InferenceOutcome::recovered : InferenceOutcome::exact);
          EXPECT_EQ(r.blocks_decoded(), unheld);
          for (int i = 0; i < k; ++i) {
            EXPECT_EQ(r.decoded[static_cast<std::size_t>(i)], !held[static_cast<std::size_t>(i)]);
            EXPECT_FALSE(r.zeroed[static_cast<std::size_t>(i)]);
            const Eigen::Map<const Matrix> got(b.data[static_cast<std::size_t>(i)].data(), 3, 5);
            const Matrix& want = truth[static_cast<std::size_t>(i)];
            EXPECT_LT((got - want).cwiseAbs().maxCoeff(), 1e-4 * want.cwiseAbs().maxCoeff()) << "block " << i;
          }
        } else if (policy == Undecodable::zero_fill) {
          EXPECT_EQ(r.outcome, InferenceOutcome::degraded);
          EXPECT_EQ(r.blocks_decoded(), 0);
          for (int i = 0; i < k; ++i) {
            EXPECT_EQ(r.zeroed[static_cast<std::size_t>(i)], !held[static_cast<std::size_t>(i)]);
            const Eigen::Map<const Matrix> got(b.data[static_cast<std::size_t>(i)].data(), 3, 5);
            if (held[static_cast<std::size_t>(i)])
              EXPECT_EQ(got, truth[static_cast<std::size_t>(i)]) << "block " << i << " kept as it arrived";
            else
              EXPECT_TRUE((got.array() == 0.0f).all()) << "block " << i << " zero-filled";
          }
        } else {
          EXPECT_EQ(r.outcome, InferenceOutcome::failed);
          EXPECT_EQ(r.blocks_decoded(), 0);
          EXPECT_EQ(std::count(r.zeroed.begin(), r.zeroed.end(), true), 0);
          for (const auto& d : b.data) EXPECT_EQ(d, std::vector<float>(d.size(), -7.0f)) << "untouched";
        }
      }
    }
  }
}

TEST(Recovery, DecodesAndZeroFillsAroundBlocksReceivedInPlace) {
  // As the runtime's master does: a block that arrived verbatim is read in
  // its shard's own buffer (data_blocks[i] is that buffer), every other
  // block goes to a buffer of its own. Same numbers as the reference, and
  // the in-place shards are left as they arrived.
  for (const auto& code : codes_under_test()) {
    const int n = code->n(), k = code->k();
    const Eigen::MatrixXd& g = code->generator();
    const std::vector<Matrix> truth = test::random_blocks(k, 3, 5, 12);
    const std::vector<Matrix> z = test::shard_results(*code, truth);
    for (std::uint64_t bits = 0; bits < (std::uint64_t{1} << n); ++bits) {
      const ShardMask arrived = test::mask_of(bits, n);
      SCOPED_TRACE(code->spec() + " arrived " + format_mask(arrived));
      std::vector<Matrix> received = z;  // the master's shard slots
      std::vector<std::span<const float>> shards;
      for (int j = 0; j < n; ++j)
        shards.push_back(arrived[static_cast<std::size_t>(j)]
                             ? std::span<const float>(received[j].data(), static_cast<std::size_t>(received[j].size()))
                             : std::span<const float>());
      std::vector<std::vector<float>> own(static_cast<std::size_t>(k), std::vector<float>(15, -7.0f));
      std::vector<std::span<float>> out;
      for (int i = 0; i < k; ++i) {
        const int source = code->verbatim_source(i, arrived);
        if (source >= 0) {
          // The reference: an arrived shard whose row of G is e_i.
          EXPECT_TRUE(arrived[static_cast<std::size_t>(source)]);
          EXPECT_EQ(unit_row(g, source), i);
          out.emplace_back(received[source].data(), 15);
        } else {
          for (int j = 0; j < n; ++j)
            EXPECT_FALSE(arrived[static_cast<std::size_t>(j)] && unit_row(g, j) == i) << "block " << i << " is held";
          out.emplace_back(own[static_cast<std::size_t>(i)]);
        }
      }
      const Recovery r = recover_blocks(*code, shards, out, Undecodable::zero_fill);
      for (int j = 0; j < n; ++j) EXPECT_EQ(received[j], z[j]) << "shard " << j << " changed";
      for (int i = 0; i < k; ++i) {
        const Eigen::Map<const Matrix> got(out[static_cast<std::size_t>(i)].data(), 3, 5);
        const Matrix& want = truth[static_cast<std::size_t>(i)];
        if (r.zeroed[static_cast<std::size_t>(i)])
          EXPECT_TRUE((got.array() == 0.0f).all()) << "block " << i;
        else
          EXPECT_LT((got - want).cwiseAbs().maxCoeff(), 1e-4 * want.cwiseAbs().maxCoeff()) << "block " << i;
      }
    }
  }
}

TEST(Recovery, ZeroFillKeepsNothingOfAParityItCouldHaveUsedAlone) {
  // sum, k=2: shards {b0, b1, b0+b1}. Only the parity arrived: not
  // decodable, and no partial decoding: both blocks are zeros.
  const auto code = code_registry().make("sum", 2);
  std::vector<float> parity(4, 3.0f);
  std::vector<std::span<const float>> shards{{}, {}, parity};
  std::vector<float> b0(4, 9.0f), b1(4, 9.0f);
  std::vector<std::span<float>> out{b0, b1};
  const Recovery r = recover_blocks(*code, shards, out, Undecodable::zero_fill);
  EXPECT_EQ(r.outcome, InferenceOutcome::degraded);
  EXPECT_EQ(r.zeroed, (ShardMask{true, true}));
  EXPECT_EQ(b0, std::vector<float>(4, 0.0f));
  EXPECT_EQ(b1, std::vector<float>(4, 0.0f));
}

TEST(Recovery, UnheldBlocksAreTheBlocksNoArrivedShardHoldsVerbatim) {
  const auto code = code_registry().make("replication:n=2", 2);  // shards 0,1,2,3 hold blocks 0,1,0,1
  EXPECT_EQ(unheld_blocks(*code, {false, true, true, false}), (ShardMask{false, false}));
  EXPECT_EQ(unheld_blocks(*code, {false, true, false, true}), (ShardMask{true, false}));
  EXPECT_THROW(unheld_blocks(*code, {true, true}), Error);
}

TEST(Recovery, RejectsWrongCountsAndSizesBeforeWriting) {
  const auto code = code_registry().make("sum", 2);
  std::vector<float> a(4, 1.0f), b(4, 2.0f), short_shard(3, 1.0f), out0(4, -7.0f), out1(4, -7.0f);
  std::vector<std::span<float>> out{out0, out1};
  std::vector<std::span<const float>> two{a, b};
  EXPECT_THROW(recover_blocks(*code, two, out, Undecodable::zero_fill), Error);
  std::vector<std::span<const float>> mixed{a, short_shard, {}};
  EXPECT_THROW(recover_blocks(*code, mixed, out, Undecodable::zero_fill), Error);
  std::vector<std::span<const float>> good{a, b, {}};
  std::vector<std::span<float>> one{out0};
  EXPECT_THROW(recover_blocks(*code, good, one, Undecodable::zero_fill), Error);
  EXPECT_EQ(out0, std::vector<float>(4, -7.0f));
  EXPECT_EQ(out1, std::vector<float>(4, -7.0f));
}

TEST(Recovery, OutcomesHaveNames) {
  EXPECT_STREQ(to_string(InferenceOutcome::exact), "exact");
  EXPECT_STREQ(to_string(InferenceOutcome::recovered), "recovered");
  EXPECT_STREQ(to_string(InferenceOutcome::degraded), "degraded");
  EXPECT_STREQ(to_string(InferenceOutcome::failed), "failed");
}

}  // namespace
}  // namespace cdcnn
