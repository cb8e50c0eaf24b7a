// `lrc:l=L` — a local reconstruction code (as in Azure's LRC), shipped as a
// plugin: none of the built-ins has it, and it shows every step of adding a
// code from outside the tree (codes/README.md, "Add your own code").
//
// The k blocks form L contiguous local groups of s = k/L blocks (L divides
// k). Each group gets a local sum parity, and one global parity covers all
// blocks with weight (p+1)/s for the block at position p of its group:
//
//   n = k + L + 1,  G = [ I_k ; one row of ones per group ; global weights ].
//
// Any 2 losses are survived (two lost blocks of one group are solved from
// their local and the global parity: the 2×2 system has determinant
// (p_b - p_a)/s ≠ 0), and a single loss in a group costs only that group's
// s reads (the point of LRC: cheap local repair). Decoding takes the local
// fast path (parity minus the group's others) when every group lost at most
// one block and still has its parity, and the generic solver otherwise.

#include <memory>
#include <vector>

#include "codes/plugin.hpp"
#include "core/error.hpp"

namespace {

using cdcnn::Code;
using cdcnn::ShardMask;

class LrcCode final : public Code {
 public:
  LrcCode(int k, int l) : Code(generator(k, l)), l_(l) {}

  static std::unique_ptr<Code> create(int k, const cdcnn::SpecString& spec) {
    spec.allow_only("l");
    const long long l = spec.integer("l", 2);
    cdcnn::require(l >= 1 && l <= k && k % l == 0, "lrc: l=", l, " local groups must divide k=", k, " (1 <= l <= k)");
    return std::make_unique<LrcCode>(k, static_cast<int>(l));
  }

  std::string name() const override { return "lrc"; }
  std::string spec() const override { return cdcnn::cat("lrc:l=", l_); }
  int tolerance() const override { return 2; }
  // decodable(): the base class's rank test of the arrived rows of G.

 protected:
  void decode_impl(const ShardMask& arrived, const std::vector<int>& missing,
                   std::span<const std::span<const float>> shards,
                   std::span<const std::span<float>> data_blocks) const override {
    const int s = k() / l_;
    std::vector<int> lost_in_group(static_cast<std::size_t>(l_), 0);
    for (int i : missing) ++lost_in_group[static_cast<std::size_t>(i / s)];
    bool local = true;
    for (int t = 0; t < l_; ++t)
      local = local && (lost_in_group[static_cast<std::size_t>(t)] == 0 ||
                        (lost_in_group[static_cast<std::size_t>(t)] == 1 && arrived[static_cast<std::size_t>(k() + t)]));
    if (!local) return Code::decode_impl(arrived, missing, shards, data_blocks);
    std::vector<const float*> sources;
    std::vector<float> coefficients;
    for (int i : missing) {
      const int t = i / s;
      sources.assign({shards[static_cast<std::size_t>(k() + t)].data()});  // local parity ...
      coefficients.assign({1.0f});
      for (int other = t * s; other < (t + 1) * s; ++other)
        if (other != i) {  // ... minus the group's other blocks
          sources.push_back(data_blocks[static_cast<std::size_t>(other)].data());
          coefficients.push_back(-1.0f);
        }
      combine(data_blocks[static_cast<std::size_t>(i)], sources, coefficients);
    }
  }

 private:
  static Eigen::MatrixXd generator(int k, int l) {
    const int s = k / l;
    Eigen::MatrixXd g = Eigen::MatrixXd::Zero(k + l + 1, k);
    g.topRows(k).setIdentity();
    for (int i = 0; i < k; ++i) {
      g(k + i / s, i) = 1.0;
      g(k + l, i) = static_cast<double>(i % s + 1) / s;
    }
    return g;
  }

  int l_;
};

}  // namespace

extern "C" int cdcnn_code_plugin_abi_version() { return CDCNN_CODE_PLUGIN_ABI_VERSION; }

extern "C" void cdcnn_register_codes(cdcnn::CodeRegistry& registry) {
  registry.add({"lrc", "local reconstruction: l group sums + 1 global parity (plugin)", "lrc:l=2", &LrcCode::create});
}
