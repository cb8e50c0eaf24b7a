#include "codes/replication.hpp"

#include "code_test_util.hpp"
#include "codes/registry.hpp"

namespace cdcnn {
namespace {

TEST(ReplicationCode, StacksIdentitiesAndSurvivesAnyNMinusOneLosses) {
  for (int copies : {1, 2, 3})
    for (int k = 1; k <= 8; ++k) {
      ReplicationCode code(k, copies);
      EXPECT_EQ(code.n(), copies * k);
      EXPECT_EQ(code.tolerance(), copies - 1);
      for (int j = 0; j < code.n(); ++j) EXPECT_EQ(code.generator()(j, j % k), 1.0);
      test::check_every_loss_pattern(code);
    }
}

TEST(ReplicationCode, DecodesLayerShapedBlocksFromAReplica) {
  for (int k : {1, 4, 8}) test::check_layer_shaped_blocks(ReplicationCode(k, 2));
}

TEST(ReplicationCode, EchoesItsCopiesAndDefaultsToTwo) {
  EXPECT_EQ(code_registry().make("replication", 4)->spec(), "replication:n=2");
  EXPECT_EQ(code_registry().make("replication:n=3", 4)->n(), 12);
}

TEST(ReplicationCode, RejectsBadCopyCounts) {
  EXPECT_THROW(code_registry().make("replication:n=0", 4), Error);
  EXPECT_THROW(code_registry().make("replication:n=two", 4), Error);
  EXPECT_THROW(code_registry().make("replication:n=9", 8), Error);  // 72 shards > 64
}

}  // namespace
}  // namespace cdcnn
