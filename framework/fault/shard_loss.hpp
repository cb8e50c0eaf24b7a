#pragma once
// Offline shard loss: what losing shards of one split layer does to a model's
// answers, on one device, without MPI (the paper's Figure 2, and the same
// losses under a code that covers them).
//
// The layer is split exactly as the distributed runtime splits it (docs/architecture.md §1,
// codes/encoding.hpp): its m output rows are cut into k blocks of
// ceil(m/k) rows, the last padded with zero rows; the code's shard j holds
// the *encoded* weights W'_j = Σ_i G[j,i]·W_i, b'_j (encode_layer, the
// runtime's own encoder) and computes Z_j = W'_j·X + b'_j. A lost shard then
// means what it means to the runtime's master under `--policy zero-fill`:
// both call the same decode-or-zero-fill, codes/recovery.hpp (decodable →
// decoded, `recovered` or `exact`; not → verbatim blocks kept, zeros
// elsewhere, `degraded`).
// The blocks are stacked (padding rows dropped), raised to the layer's output
// tensor, and the rest of the model runs on it.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "codes/code.hpp"
#include "codes/encoding.hpp"
#include "codes/recovery.hpp"
#include "core/tensor.hpp"
#include "layers/model.hpp"

namespace cdcnn {

/// A layer's output as assembled from the shards that arrived.
struct LossyOutput {
  Tensor output;
  InferenceOutcome outcome = InferenceOutcome::exact;
  int blocks_decoded = 0;  ///< data blocks rebuilt by decoding
  ShardMask zeroed;        ///< per data block: zero-filled
};

/// One linear layer of a model, split with a code, whose shards can be lost.
class ShardLoss {
 public:
  /// `layer` names a dense or conv layer of `model` (which must outlive
  /// this); the code's k() is the number of row blocks. Error naming the layer
  /// if it is not linear or has fewer than k output rows.
  ShardLoss(const Model& model, const std::string& layer, std::shared_ptr<const Code> code);

  const Model& model() const { return model_; }
  std::size_t layer_index() const { return layer_index_; }
  const LinearLayer& layer() const { return layer_; }
  const Code& code() const { return *code_; }
  /// m, the layer's output rows (channels of a conv, features of a dense).
  Index rows() const { return encoded_.rows; }
  Index rows_per_block() const { return encoded_.rows_per_block; }
  /// Output rows of data block i that are real (not padding).
  Index rows_of_block(int block) const;

  /// Every shard's result Z_j (rows_per_block × P) for `layer_input`, the
  /// input of the split layer, computed from the encoded weights.
  std::vector<Matrix> shard_outputs(const Tensor& layer_input) const;

  /// The layer's output as the master assembles it from `shards` (from
  /// shard_outputs) when the shards in `lost` (n entries) did not arrive.
  /// Error if `lost` has not n entries.
  LossyOutput assemble(const std::vector<Matrix>& shards, const ShardMask& lost, const Shape& input_shape) const;

  /// The whole model on `x` (the model's input) with the shards in `lost`
  /// of the split layer missing.
  LossyOutput forward(const Tensor& x, const ShardMask& lost) const;

  /// The data blocks whose own data shard — the first shard holding the
  /// block verbatim: shard i for a systematic code — is in `lost`: the part
  /// of the layer's output that was lost on the way (a block no shard holds
  /// verbatim counts as lost).
  ShardMask lost_blocks(const ShardMask& lost) const;
  /// The data blocks the arrived shards (the complement of `lost`) do not
  /// hold verbatim: what has to be decoded, or zero-filled when it cannot be.
  /// A subset of lost_blocks (smaller when a replica arrived).
  ShardMask missing_blocks(const ShardMask& lost) const;
  /// Real output rows of the blocks in `blocks` (k entries).
  Index rows_in(const ShardMask& blocks) const;

 private:
  void check_lost(const ShardMask& lost) const;

  const Model& model_;
  std::size_t layer_index_;
  const LinearLayer& layer_;
  std::shared_ptr<const Code> code_;
  EncodedShards encoded_;
  Matrix stacked_weights_;  ///< the n shards' W'_j one under the other
  Vector stacked_biases_;
};

/// Loss sets of `count` shards among `candidates` (each a mask of n
/// entries): every one of the C(|candidates|, count) subsets, in
/// lexicographic order, when there are at most `max_sets`; otherwise
/// `max_sets` distinct subsets drawn with a generator seeded by `seed`, in
/// lexicographic order. Error if count > |candidates| or max_sets < 1.
std::vector<ShardMask> loss_sets(int n, const std::vector<int>& candidates, int count, int max_sets,
                                 std::uint64_t seed);

/// Top-1 accuracy of a classifier under several loss patterns of one split
/// layer, image by image. For each image the model up to the split layer and
/// the shards run once; the rest of the model runs once per pattern, and once
/// on the unsplit layer (the plain inference every pattern is compared with).
class LossAccuracy {
 public:
  struct Pattern {
    ShardMask lost;                ///< n entries
    InferenceOutcome outcome = InferenceOutcome::exact;  ///< the same for every image
    Index lost_rows = 0;           ///< real rows of lost_blocks
    Index decoded_rows = 0;        ///< real rows rebuilt by decoding
    Index zeroed_rows = 0;         ///< real rows zero-filled
    Index correct = 0;             ///< images classified right
    Index agree = 0;               ///< images given the plain inference's class
    double max_rel_error = 0.0;    ///< max over images of |y − y_plain|₂ / |y_plain|₂
  };

  /// Error if a pattern has not n entries.
  LossAccuracy(const ShardLoss& loss, std::vector<ShardMask> patterns);

  /// Classifies `x` (the model's input) under every pattern; the predicted
  /// class is the argmax of the model's output. Error if `label` is not
  /// below the number of outputs.
  void add(const Tensor& x, Index label);

  Index images() const { return images_; }
  /// Images the plain (unsplit) inference classifies right.
  Index plain_correct() const { return plain_correct_; }
  const std::vector<Pattern>& patterns() const { return patterns_; }

 private:
  const ShardLoss& loss_;
  std::vector<Pattern> patterns_;
  Index images_ = 0;
  Index plain_correct_ = 0;
};

}  // namespace cdcnn
