#include "layers/broadcast.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace cdcnn {

Shape broadcast_shape(const std::vector<Shape>& shapes, const std::string& where) {
  std::size_t rank = 0;
  for (const Shape& s : shapes) rank = std::max(rank, s.size());
  Shape out(rank, 1);
  for (const Shape& s : shapes) {
    const std::size_t offset = rank - s.size();
    for (std::size_t d = 0; d < s.size(); ++d) {
      Index& o = out[offset + d];
      if (s[d] == o || s[d] == 1) continue;
      if (o == 1) {
        o = s[d];
        continue;
      }
      std::string all;
      for (const Shape& t : shapes) all += (all.empty() ? "" : ", ") + to_string(t);
      throw Error(cat(where, ": input shapes ", all,
                      " do not broadcast (aligned on the last dimension, sizes must be equal or 1)"));
    }
  }
  return out;
}

namespace detail {

std::vector<Index> broadcast_strides(const Shape& in, const Shape& out) {
  std::vector<Index> strides(out.size(), 0);
  const std::size_t offset = out.size() - in.size();
  Index stride = 1;
  for (std::size_t d = in.size(); d-- > 0;) {
    strides[offset + d] = in[d] == 1 ? 0 : stride;
    stride *= in[d];
  }
  return strides;
}

}  // namespace detail
}  // namespace cdcnn
