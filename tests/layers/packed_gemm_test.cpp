#include "layers/packed_gemm.hpp"

#include <gtest/gtest.h>

#include "layer_test_util.hpp"

namespace cdcnn {
namespace {

// X (q×n) in panels of panel_columns() columns, k-major, zeros past n.
std::vector<float> pack_columns(const Matrix& x) {
  const Index nr = panel_columns(), panels = (x.cols() + nr - 1) / nr;
  std::vector<float> packed(static_cast<std::size_t>(panels * x.rows() * nr), 0.0f);
  for (Index j = 0; j < panels; ++j)
    for (Index k = 0; k < x.rows(); ++k)
      for (Index c = 0; c < nr && j * nr + c < x.cols(); ++c)
        packed[static_cast<std::size_t>((j * x.rows() + k) * nr + c)] = x(k, j * nr + c);
  return packed;
}

// y += W·X by direct loops in double, for the rows of W's panels [panel0, panel1).
TEST(PackedGemm, AddsTheProductOfAnyRunOfRowPanelsToY) {
  const Index nr = panel_columns();
  for (const auto& [m, q, n] : std::vector<std::array<Index, 3>>{{8, 1, 1}, {13, 7, 49}, {24, 30, 2 * nr}, {5, 3, nr + 1}}) {
    SCOPED_TRACE(to_string(Shape{m, q, n}));
    const Matrix w = testing::random_tensor({m, q}, 1).matrix(m, q), x = testing::random_tensor({q, n}, 2).matrix(q, n);
    const Matrix y0 = testing::random_tensor({m, n}, 3).matrix(m, n);
    const PackedRows packed(w);
    EXPECT_EQ(packed.panels(), (m + kPanelRows - 1) / kPanelRows);
    const std::vector<float> xp = pack_columns(x);
    for (Index p0 = 0; p0 < packed.panels(); ++p0) {
      const Index p1 = packed.panels();
      Matrix y = y0;
      multiply_packed(packed, p0, p1, xp.data(), n, y.data() + p0 * kPanelRows * n, n);
      for (Index r = 0; r < m; ++r)
        for (Index c = 0; c < n; ++c) {
          double expected = y0(r, c);
          if (r >= p0 * kPanelRows)
            for (Index k = 0; k < q; ++k) expected += static_cast<double>(w(r, k)) * x(k, c);
          EXPECT_NEAR(y(r, c), expected, 1e-4 * (1 + std::abs(expected))) << "row " << r << " column " << c;
        }
    }
  }
}

}  // namespace
}  // namespace cdcnn
