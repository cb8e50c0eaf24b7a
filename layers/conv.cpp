#include "layers/conv.hpp"

#include <algorithm>
#include <cstring>

#include "core/error.hpp"
#include "core/parallel.hpp"

namespace cdcnn {

namespace {

// Bytes of unrolled input forward() builds at a time: small enough to stay in
// the L2/L3 cache between im2col writing it and the GEMM reading it.
// Measured on a Zen 4 core with Eigen 3.4: 512 KiB, at least 256 columns
// (a narrower GEMM loses more to packing W than it gains in locality).
constexpr Index kBandBytes = Index{1} << 19;
constexpr Index kMinBandColumns = 256;
// The GEMM path is cut into at least this many tasks (core/parallel.hpp)
// when the layer is big enough: enough for a Pi's 4 cores to share evenly.
// A conv with fewer bands than that (a deep layer: few positions, many
// channels) is cut by output channels too, in blocks of whole 48-row units
// (the row panel of Eigen's GEMM kernel on AVX-512; a multiple of AVX2's
// and NEON's) and at least kMinTaskRows rows, each task unrolling its band
// itself (cheap next to a GEMM of that many rows).
constexpr Index kMinTasks = 8;
constexpr Index kRowUnit = 48;
constexpr Index kMinTaskRows = 96;

std::string conv_where(const std::string& name, std::size_t spatial_rank) {
  return cat("layer '", name, "' (conv", spatial_rank, "d)");
}

// W's GEMM shape, C_out × (C_in·K) for a weight of PyTorch's shape, checked.
std::pair<Index, Index> gemm_shape(const std::string& name, const Shape& weight, Index groups) {
  const std::size_t r = weight.size() >= 2 ? weight.size() - 2 : 0;
  require(r == 2 || r == 3, "layer '", name, "' (conv): weight must have 2 or 3 kernel axes, has shape ",
          to_string(weight));
  const Index out = weight[0], q_g = numel(weight) / std::max<Index>(out, 1);
  require(groups >= 1 && out % groups == 0, conv_where(name, r), ": groups (", groups, ") must divide the ", out,
          " output channels");
  return {out, q_g * groups};
}

// W as the GEMM sees it: C_out × (C_in·K), block diagonal over the groups.
Matrix block_diagonal(const std::string& name, const Tensor& weight, Index groups) {
  const auto [out, q] = gemm_shape(name, weight.shape(), groups);
  const Index cout_g = out / groups, q_g = q / groups;
  Matrix w = Matrix::Zero(out, q);
  ConstMatrixMap flat = weight.matrix(out, q_g);
  for (Index g = 0; g < groups; ++g) w.block(g * cout_g, g * q_g, cout_g, q_g) = flat.middleRows(g * cout_g, cout_g);
  return w;
}

// For each kernel column kw, the output columns [lo, hi) whose input column
// ow·stride + kw·dilation − padding lies inside the row; outside them the tap
// reads padding (zeros).
struct ColumnRange {
  Index lo, hi;
};

ColumnRange column_range(Index W, Index OW, Index kw, Index sw, Index pw, Index dw) {
  const Index off = kw * dw - pw;
  Index lo = off >= 0 ? 0 : (-off + sw - 1) / sw;
  Index hi = W - 1 - off >= 0 ? (W - 1 - off) / sw + 1 : 0;
  lo = std::min(lo, OW);
  return {lo, std::clamp(hi, lo, OW)};
}

std::vector<ColumnRange> column_ranges(Index W, Index OW, Index KW, Index sw, Index pw, Index dw) {
  std::vector<ColumnRange> ranges(static_cast<std::size_t>(KW));
  for (Index kw = 0; kw < KW; ++kw) ranges[static_cast<std::size_t>(kw)] = column_range(W, OW, kw, sw, pw, dw);
  return ranges;
}

// A Geometry's fields under the names the lowering loops (im2col,
// pack_panel) give them: input extent, output lines, then kernel, stride,
// padding and dilation per axis (depth, height, width).
struct LoweringView {
  Index D, H, W, OH, OW, KD, KH, KW, sd, sh, sw, pd, ph, pw, dd, dh, dw;
};

template <class Geometry>
LoweringView lowering_view(const Geometry& g) {
  return {g.in[0],     g.in[1],     g.in[2],     g.out[1],    g.out[2],     g.kernel[0],
          g.kernel[1], g.kernel[2], g.stride[0], g.stride[1], g.stride[2],  g.padding[0],
          g.padding[1], g.padding[2], g.dilation[0], g.dilation[1], g.dilation[2]};
}

// dst[i] = src[stride·i] for i < n, the common strides as constants.
void copy_strided(float* __restrict dst, const float* __restrict src, Index n, Index stride) {
  switch (stride) {
    case 1:
      for (Index i = 0; i < n; ++i) dst[i] = src[i];
      break;
    case 2:
      for (Index i = 0; i < n; ++i) dst[i] = src[2 * i];
      break;
    default:
      for (Index i = 0; i < n; ++i) dst[i] = src[stride * i];
  }
}

using PanelBuffer = std::vector<float, Eigen::aligned_allocator<float>>;

// The depthwise kernel's view of one 2-D input slice: the zero-padded slice
// split by rows into stride_h phase planes, plane a holding padded row
// r·stride_h + a as its row r (Hq rows, each Wr = stride_w·Wq wide, Wq the
// output columns rounded up). A kernel tap then reads, for output (oh, ow),
// plane[(oh + bh)·Wr + bw + stride_w·ow] = base[stride_w·(oh·Wq + ow)]: on an
// output Wq wide instead of OW (the extra columns are discarded), each tap is
// one multiply-add over OH·Wq floats read at a constant stride, which
// vectorises with no bounds checks and no short rows.
struct RowPhases {
  Index sh, sw, Hq, Wq, Wr;
  std::vector<float> data;  // sh planes, then a row of slack a tap may over-read

  RowPhases(Index OH, Index OW, Index KH, Index KW, Index stride_h, Index stride_w, Index dh, Index dw)
      : sh(stride_h),
        sw(stride_w),
        Hq(((OH - 1) * stride_h + (KH - 1) * dh + 1 + stride_h - 1) / stride_h),
        Wq(((OW - 1) * stride_w + (KW - 1) * dw + 1 + stride_w - 1) / stride_w),
        Wr(Wq * stride_w),
        data(static_cast<std::size_t>((sh * Hq + 1) * Wr)) {}

  float* plane(Index a) { return data.data() + a * Hq * Wr; }
  /// Where a tap (kernel offset oh_off, ow_off in padded elements) reads for output (0, 0).
  const float* tap(Index oh_off, Index ow_off) { return plane(oh_off % sh) + (oh_off / sh) * Wr + ow_off; }

  /// Fills the planes from an H×W slice padded by ph rows and pw columns before it.
  /// Every element of the planes is written once (the slack row stays zero).
  void fill(const float* slice, Index H, Index W, Index ph, Index pw) {
    const Index lo = std::min(pw, Wr), hi = lo + std::clamp<Index>(Wr - pw, 0, W);  // input columns [lo, hi)
    for (Index pr = 0; pr < sh * Hq; ++pr) {
      float* row = plane(pr % sh) + (pr / sh) * Wr;
      const Index ih = pr - ph;
      if (ih < 0 || ih >= H) {
        std::fill(row, row + Wr, 0.0f);
        continue;
      }
      std::fill(row, row + lo, 0.0f);
      std::memcpy(row + lo, slice + ih * W, static_cast<std::size_t>(hi - lo) * sizeof(float));
      std::fill(row + hi, row + Wr, 0.0f);
    }
  }
};

// dst[i] += w·src[stride·i] for i < n, with the common strides as constants
// so that the loop vectorises.
void multiply_add_strided(float* __restrict dst, const float* __restrict src, float w, Index n, Index stride) {
  switch (stride) {
    case 1:
      for (Index i = 0; i < n; ++i) dst[i] += w * src[i];
      break;
    case 2:
      for (Index i = 0; i < n; ++i) dst[i] += w * src[2 * i];
      break;
    default:
      for (Index i = 0; i < n; ++i) dst[i] += w * src[stride * i];
  }
}

}  // namespace

Conv::Conv(std::string name, const Tensor& weight, Vector bias, Window window, Index groups)
    : LinearLayer(name, block_diagonal(name, weight, groups), std::move(bias)),
      window_(std::move(window)),
      groups_(groups),
      in_channels_(weight.dim(1) * groups),
      kernel_volume_(window_.check(where()).volume()) {
  check_kernel(weight.shape());
}

Conv::Conv(std::string name, const Shape& weight_shape, Window window, Index groups)
    : LinearLayer(name, gemm_shape(name, weight_shape, groups).first, gemm_shape(name, weight_shape, groups).second),
      window_(std::move(window)),
      groups_(groups),
      in_channels_(weight_shape[1] * groups),
      kernel_volume_(window_.check(where()).volume()) {
  check_kernel(weight_shape);
}

void Conv::check_kernel(const Shape& weight_shape) const {
  const Shape kernel(weight_shape.begin() + 2, weight_shape.end());
  require(kernel == window_.kernel && window_.stride.size() == kernel.size() &&
              window_.padding.size() == kernel.size() && window_.dilation.size() == kernel.size(),
          where(), ": kernel_size ", to_string_list(window_.kernel), " does not match the weight's shape ",
          to_string(weight_shape));
  require(weight_shape[1] >= 1 && rows() >= 1, where(), ": weight has an empty dimension: ", to_string(weight_shape));
}

std::unique_ptr<Layer> Conv::from_spec(const LayerSpec& spec) {
  require(spec.kind == "conv2d" || spec.kind == "conv3d", spec.where(), ": not a convolution kind");
  const std::size_t r = spec.kind == "conv2d" ? 2 : 3;
  const Shape& w = spec.param_shape("weight");
  require(w.size() == r + 2, spec.where(), ": dataset 'weight' must be ", r + 2,
          "-D {out, in/groups", r == 3 ? ", kd" : "", ", kh, kw}, has shape ", to_string(w));
  for (Index d : w) require(d >= 1, spec.where(), ": dataset 'weight' has an empty dimension: ", to_string(w));
  const Index out = w[0];
  const Index groups = spec.int_value("groups", 1);
  require(groups >= 1, spec.where(), ": attribute 'groups' must be positive, got ", groups);
  require(out % groups == 0, spec.where(), ": attribute 'groups' (", groups, ") must divide the ", out,
          " output channels of dataset 'weight'");
  Window window = Window::from_spec(spec, r, {});
  const Shape kernel(w.begin() + 2, w.end());
  require(kernel == window.kernel, spec.where(), ": attribute 'kernel_size' ", to_string_list(window.kernel),
          " does not match dataset 'weight' of shape ", to_string(w));
  spec.check_param_shape("bias", {out});
  if (spec.is_unread("weight")) return std::make_unique<Conv>(spec.name, w, std::move(window), groups);
  Vector bias = Vector::Zero(out);
  if (spec.has_param("bias")) bias = spec.param("bias", {out}).flat();
  return std::make_unique<Conv>(spec.name, spec.params.at("weight"), std::move(bias), std::move(window), groups);
}

Shape Conv::output_shape(const Shape& in) const {
  const auto r = static_cast<std::size_t>(spatial_rank());
  require(in.size() == r + 1, where(), ": expects a ", r == 2 ? "CxHxW" : "CxDxHxW", " input, got shape ",
          to_string(in));
  require(in[0] == in_channels_, where(), ": expects ", in_channels_, " input channels, got ", in[0]);
  Shape out = window_.output_spatial(where(), Shape(in.begin() + 1, in.end()), false);
  out.insert(out.begin(), rows());
  return out;
}

std::int64_t Conv::flops(const Shape& in) const {
  const Shape out = output_shape(in);
  return flop_product({2, numel(out), in_channels_ / groups_, kernel_volume_});
}

std::int64_t Conv::parameter_count() const { return rows() * (in_channels_ / groups_) * kernel_volume_ + rows(); }

Tensor Conv::weight_tensor() const {
  Shape shape{rows(), in_channels_ / groups_};
  shape.insert(shape.end(), window_.kernel.begin(), window_.kernel.end());
  Tensor w(shape);
  const Index cout_g = rows() / groups_, q_g = (in_channels_ / groups_) * kernel_volume_;
  MatrixMap flat = w.matrix(rows(), q_g);
  for (Index g = 0; g < groups_; ++g)
    flat.middleRows(g * cout_g, cout_g) = weight().block(g * cout_g, g * q_g, cout_g, q_g);
  return w;
}

LayerSpec Conv::spec() const {
  LayerSpec s{.kind = std::string(kind()), .name = name()};
  window_.write(s);
  s.ints["groups"] = {groups_};
  s.params.emplace("weight", weight_tensor());
  s.params.emplace("bias", Tensor::from_matrix(bias().transpose(), {rows()}));
  return s;
}

Conv::Geometry Conv::geometry(const Shape& in) const {
  const Shape out = output_shape(in);
  Geometry g{};
  const std::size_t lead = spatial_rank() == 2 ? 1 : 0;  // 2-D: a unit leading axis
  for (std::size_t a = 0; a < 3; ++a) {
    if (a < lead) {
      g.in[a] = g.out[a] = g.kernel[a] = g.stride[a] = g.dilation[a] = 1;
      g.padding[a] = 0;
      continue;
    }
    const std::size_t w = a - lead;
    g.in[a] = in[w + 1];
    g.out[a] = out[w + 1];
    g.kernel[a] = window_.kernel[w];
    g.stride[a] = window_.stride[w];
    g.padding[a] = window_.padding[w];
    g.dilation[a] = window_.dilation[w];
  }
  g.channels = in[0];
  return g;
}

void Conv::im2col(const float* x, const Geometry& g, Index c0, Index c1, Index line0, Index line1, float* dst,
                  Index ld) const {
  const auto [D, H, W, OH, OW, KD, KH, KW, sd, sh, sw, pd, ph, pw, dd, dh, dw] = lowering_view(g);

  const std::vector<ColumnRange> ranges = column_ranges(W, OW, KW, sw, pw, dw);

  float* row = dst;
  for (Index c = c0; c < c1; ++c) {
    const float* xc = x + c * D * H * W;
    for (Index kd = 0; kd < KD; ++kd)
      for (Index kh = 0; kh < KH; ++kh)
        for (Index kw = 0; kw < KW; ++kw, row += ld) {
          const auto [lo, hi] = ranges[static_cast<std::size_t>(kw)];
          const Index off = kw * dw - pw;
          Index od = line0 / OH, oh = line0 % OH;
          float* out = row;
          for (Index line = line0; line < line1; ++line, out += OW) {
            const Index id = od * sd - pd + kd * dd, ih = oh * sh - ph + kh * dh;
            if (++oh == OH) oh = 0, ++od;
            if (id < 0 || id >= D || ih < 0 || ih >= H) {
              std::fill(out, out + OW, 0.0f);
              continue;
            }
            const float* src = xc + (id * H + ih) * W + off;
            std::fill(out, out + lo, 0.0f);
            if (sw == 1) {
              std::memcpy(out + lo, src + lo, static_cast<std::size_t>(hi - lo) * sizeof(float));
            } else {
              for (Index ow = lo; ow < hi; ++ow) out[ow] = src[ow * sw];
            }
            std::fill(out + hi, out + OW, 0.0f);
          }
        }
  }
}

bool Conv::is_pointwise() const {
  for (std::size_t a = 0; a < window_.rank(); ++a)
    if (window_.kernel[a] != 1 || window_.stride[a] != 1 || window_.padding[a] != 0 || window_.end_padding(a) != 0)
      return false;
  return true;
}

Matrix Conv::lower(const Tensor& x) const {
  const Geometry g = geometry(x.shape());
  Matrix lowered(in_channels_ * kernel_volume_, g.positions());
  im2col(x.data(), g, 0, in_channels_, 0, g.lines(), lowered.data(), lowered.cols());
  return lowered;
}

void Conv::accumulate(const Tensor& x, const Geometry& g, Index pieces, ConstMatrixRef w, MatrixRef y) const {
  const Index cout_g = w.rows() / pieces, q_g = w.cols() / pieces, cin_g = q_g / kernel_volume_;
  const Index P = g.positions(), OW = g.out[2];
  const bool pointwise = is_pointwise();
  // Bands of whole output lines whose unrolled input fits kBandBytes, all of
  // nearly one size. One buffer per thread, kept between calls: allocating
  // (and page-faulting) half a megabyte per call costs more than AlexNet's
  // first conv itself.
  const Index band_cols = std::max({OW, kMinBandColumns, kBandBytes / static_cast<Index>(sizeof(float)) / q_g});
  const Index band_lines = std::min(g.lines(), std::max<Index>(1, band_cols / OW));
  const EvenSplit bands(g.lines(), (g.lines() + band_lines - 1) / band_lines, 1);
  const Index units = (cout_g + kRowUnit - 1) / kRowUnit;
  const Index wanted = (kMinTasks + pieces * bands.parts() - 1) / (pieces * bands.parts());
  const EvenSplit row_units(units, std::min(wanted, cout_g / kMinTaskRows), 1);
  const Index per_piece = bands.parts() * row_units.parts();
  parallel_for(pieces * per_piece, [&](Index task) {
    const Index piece = task / per_piece, band = task % per_piece / row_units.parts(),
                block = task % row_units.parts();
    const Index line0 = bands.begin(band), line1 = bands.end(band), col0 = line0 * OW, n = (line1 - line0) * OW;
    const Index r0 = std::min(cout_g, row_units.begin(block) * kRowUnit),
                r1 = std::min(cout_g, row_units.end(block) * kRowUnit);
    const auto wb = w.block(piece * cout_g + r0, piece * q_g, r1 - r0, q_g);
    auto yb = y.block(piece * cout_g + r0, col0, r1 - r0, n);
    const Index c0 = piece * cin_g;
    if (pointwise) {  // X is the input itself
      yb.noalias() += wb * x.matrix(in_channels_, P).block(c0, col0, cin_g, n);
      return;
    }
    thread_local std::vector<float> buffer;
    if (buffer.size() < static_cast<std::size_t>(q_g * n)) buffer.resize(static_cast<std::size_t>(q_g * n));
    im2col(x.data(), g, c0, c0 + cin_g, line0, line1, buffer.data(), n);
    yb.noalias() += wb * MatrixMap(buffer.data(), q_g, n);
  });
}

std::int64_t Conv::workspace_bytes(const Shape& in) const {
  // accumulate()'s band buffer as it sizes it, for forward() (a group's
  // columns) and for multiply() (a shard's: all columns); the pointwise path
  // and the depthwise kernel's small planes unroll nothing worth counting.
  if (is_pointwise()) return 0;
  const Geometry g = geometry(in);
  std::int64_t most = 0;
  for (const Index q_g : {cols() / groups_, cols()}) {
    const Index OW = g.out[2];
    const Index band_cols = std::max({OW, kMinBandColumns, kBandBytes / static_cast<Index>(sizeof(float)) / q_g});
    const Index band_lines = std::min(g.lines(), std::max<Index>(1, band_cols / OW));
    most = std::max<std::int64_t>(most, static_cast<std::int64_t>(sizeof(float)) * q_g * band_lines * OW);
  }
  return most;
}

std::int64_t Conv::forward_retained_bytes() const {
  if (!runs_packed_kernel()) return 0;
  const Index panels = (rows() + kPanelRows - 1) / kPanelRows;
  return static_cast<std::int64_t>(sizeof(float)) * panels * kPanelRows * cols();
}

std::int64_t Conv::forward_workspace_bytes(const Shape& in) const {
  if (!runs_shifted_kernel(in)) return workspace_bytes(in);
  const Geometry g = geometry(in);
  const Index plane = (g.out[1] + (g.kernel[1] - 1) * g.dilation[1]) * (g.out[2] + (g.kernel[2] - 1) * g.dilation[2]);
  return std::max<std::int64_t>(workspace_bytes(in), static_cast<std::int64_t>(sizeof(float)) * g.channels * plane);
}

void Conv::pack_panel(const float* x, const Geometry& g, Index p0, float* dst) const {
  const auto [D, H, W, OH, OW, KD, KH, KW, sd, sh, sw, pd, ph, pw, dd, dh, dw] = lowering_view(g);
  const Index NR = panel_columns(), p1 = std::min(g.positions(), p0 + NR);
  // The panel's positions as runs along output lines (a line of OW positions
  // at fixed d, h): each run reads one input row per kernel tap.
  struct Run {
    Index column, od, oh, ow, length;
  };
  thread_local std::vector<Run> runs;
  runs.clear();
  for (Index p = p0; p < p1;) {
    const Index line = p / OW, ow = p % OW, length = std::min(OW - ow, p1 - p);
    runs.push_back({p - p0, line / OH, line % OH, ow, length});
    p += length;
  }
  float* row = dst;
  for (Index c = 0; c < g.channels; ++c) {
    const float* xc = x + c * D * H * W;
    for (Index kd = 0; kd < KD; ++kd)
      for (Index kh = 0; kh < KH; ++kh)
        for (Index kw = 0; kw < KW; ++kw, row += NR) {
          const auto [lo, hi] = column_range(W, OW, kw, sw, pw, dw);
          const Index off = kw * dw - pw;
          for (const Run& run : runs) {
            float* out = row + run.column - run.ow;  // out[ow] is output column ow of the run's line
            const Index end = run.ow + run.length;
            const Index id = run.od * sd - pd + kd * dd, ih = run.oh * sh - ph + kh * dh;
            if (id < 0 || id >= D || ih < 0 || ih >= H) {
              std::fill(out + run.ow, out + end, 0.0f);
              continue;
            }
            const Index a = std::clamp(lo, run.ow, end), b = std::clamp(hi, a, end);
            std::fill(out + run.ow, out + a, 0.0f);
            copy_strided(out + a, xc + (id * H + ih) * W + off + a * sw, b - a, sw);
            std::fill(out + b, out + end, 0.0f);
          }
          std::fill(row + (p1 - p0), row + NR, 0.0f);
        }
  }
}

const PackedRows& Conv::packed_weight() const {
  std::call_once(packed_once_, [this] { packed_ = PackedRows(weight()); });
  return packed_;
}

bool Conv::shifted_fits(const Geometry& g) const {
  if (spatial_rank() != 2 || groups_ != 1 || g.stride[1] != 1 || g.stride[2] != 1) return false;
  // The padded copy against the input and output (a padding of 2^31 would make it huge).
  const double padded = static_cast<double>(g.out[1] + (g.kernel[1] - 1) * g.dilation[1]) *
                        static_cast<double>(g.out[2] + (g.kernel[2] - 1) * g.dilation[2]);
  return padded <= 4.0 * static_cast<double>(g.in[1] * g.in[2] + g.out[1] * g.out[2]) + 4096.0;
}

void Conv::shifted_gemm(const float* x, const Geometry& g, float* y) const {
  const PackedRows& w = packed_weight();
  const Index C = g.channels, H = g.in[1], W = g.in[2], OH = g.out[1], OW = g.out[2];
  const Index KH = g.kernel[1], KW = g.kernel[2], dh = g.dilation[1], dw = g.dilation[2];
  const Index ph = g.padding[1], pw = g.padding[2];
  const Index Hp = OH + (KH - 1) * dh, Wp = OW + (KW - 1) * dw, plane = Hp * Wp, P = OH * OW;
  const Index NR = panel_columns(), columns = OH * Wp, panels = (columns + NR - 1) / NR;
  // The zero-padded input, with room for the last panel's over-read.
  thread_local PanelBuffer padded;
  padded.resize(static_cast<std::size_t>(C * plane + (KW - 1) * dw + NR));
  float* xp = padded.data();
  std::fill(xp + C * plane, xp + padded.size(), 0.0f);
  const Index iw0 = 0, iw1 = std::min(W, Wp - pw);
  parallel_ranges(C, std::max<Index>(1, kMinElementwiseRange / plane), [&](Index c0, Index c1) {
    for (Index c = c0; c < c1; ++c) {
      float* dst = xp + c * plane;
      std::fill(dst, dst + plane, 0.0f);
      for (Index ih = 0; ih < H && ih + ph < Hp; ++ih)
        std::copy(x + (c * H + ih) * W + iw0, x + (c * H + ih) * W + iw1, dst + (ih + ph) * Wp + pw + iw0);
    }
  });
  thread_local std::vector<Index> offsets;
  offsets.resize(static_cast<std::size_t>(cols()));
  for (Index c = 0, k = 0; c < C; ++c)
    for (Index kh = 0; kh < KH; ++kh)
      for (Index kw = 0; kw < KW; ++kw) offsets[static_cast<std::size_t>(k++)] = c * plane + kh * dh * Wp + kw * dw;
  const Index* offset = offsets.data();  // the tasks on other threads see this thread's vector through it
  // Bands of panels as packed_gemm's; with few of them, blocks of W's rows too.
  const Index band_panels = std::max<Index>(1, kBandBytes / static_cast<Index>(sizeof(float)) / (cols() * NR));
  const EvenSplit bands(panels, (panels + band_panels - 1) / band_panels, 1);
  const EvenSplit row_blocks(w.panels(), (kMinTasks + bands.parts() - 1) / bands.parts(), 1);
  parallel_for(bands.parts() * row_blocks.parts(), [&](Index task) {
    const Index band = task / row_blocks.parts(), block = task % row_blocks.parts();
    const Index v0 = bands.begin(band) * NR, v1 = std::min(columns, bands.end(band) * NR), n = v1 - v0;
    const Index i0 = row_blocks.begin(block), i1 = row_blocks.end(block);
    const Index r0 = i0 * kPanelRows, r1 = std::min(rows(), i1 * kPanelRows);
    thread_local PanelBuffer sums;  // the band's outputs, Wp wide
    sums.assign(static_cast<std::size_t>((r1 - r0) * n), 0.0f);
    multiply_shifted(w, i0, i1, xp + v0, offset, n, sums.data(), n);
    // Add the columns ow < OW of each output line to y.
    for (Index v = v0; v < v1;) {
      const Index oh = v / Wp, ow = v % Wp, length = std::min(Wp - ow, v1 - v), valid = std::clamp<Index>(OW - ow, 0, length);
      for (Index r = r0; r < r1; ++r) {
        float* out = y + r * P + oh * OW + ow;
        const float* in = sums.data() + (r - r0) * n + (v - v0);
        for (Index t = 0; t < valid; ++t) out[t] += in[t];
      }
      v += length;
    }
  });
}

void Conv::packed_gemm(const float* x, const Geometry& g, float* y) const {
  packed_weight();
  const Index P = g.positions(), NR = panel_columns(), panel_floats = cols() * NR;
  const Index panels = (P + NR - 1) / NR, row_panels = packed_.panels();
  // Bands of panels whose packed input fits kBandBytes, as for the GEMM path.
  const Index band_panels = std::max<Index>(1, kBandBytes / static_cast<Index>(sizeof(float)) / panel_floats);
  const Index bands = (panels + band_panels - 1) / band_panels;
  if (bands >= kMinTasks) {  // enough bands to share: each task packs its own
    const EvenSplit split(panels, bands, 1);
    parallel_for(split.parts(), [&](Index band) {
      const Index j0 = split.begin(band), j1 = split.end(band);
      thread_local PanelBuffer buffer;
      buffer.resize(static_cast<std::size_t>((j1 - j0) * panel_floats));
      for (Index j = j0; j < j1; ++j) pack_panel(x, g, j * NR, buffer.data() + (j - j0) * panel_floats);
      const Index c0 = j0 * NR;
      multiply_packed(packed_, 0, row_panels, buffer.data(), std::min(P, j1 * NR) - c0, y + c0, P);
    });
    return;
  }
  // Few positions: the input is packed whole, once, then the rows of W are cut.
  thread_local PanelBuffer whole;
  whole.resize(static_cast<std::size_t>(panels * panel_floats));
  float* packed = whole.data();
  const EvenSplit pack_tasks(panels, kMinTasks, min_items_per_task(panel_floats));
  parallel_for(pack_tasks.parts(), [&](Index task) {
    for (Index j = pack_tasks.begin(task); j < pack_tasks.end(task); ++j) pack_panel(x, g, j * NR, packed + j * panel_floats);
  });
  const EvenSplit row_blocks(row_panels, kMinTasks, min_items_per_task(panel_floats * kPanelRows, panels));
  parallel_for(row_blocks.parts(), [&](Index block) {
    const Index i0 = row_blocks.begin(block), i1 = row_blocks.end(block);
    multiply_packed(packed_, i0, i1, packed, P, y + i0 * kPanelRows * P, P);
  });
}

Tensor Conv::bias_tensor(const Shape& out_shape, Index positions, Tensor storage) const {
  // Every element is written below: storage's old values need no zeroing.
  Tensor y = storage.numel() == numel(out_shape) ? std::move(storage).reshaped(out_shape) : Tensor(out_shape);
  float* out = y.data();
  parallel_ranges(rows(), std::max<Index>(1, kMinElementwiseRange / positions), [&](Index begin, Index end) {
    for (Index o = begin; o < end; ++o) std::fill(out + o * positions, out + (o + 1) * positions, bias()[o]);
  });
  return y;
}

void Conv::grouped_gemm(const Tensor& x, const Geometry& g, MatrixMap y) const {
  // One GEMM per group on W's diagonal blocks: the zero blocks are never multiplied.
  accumulate(x, g, groups_, weight(), y);
}

bool Conv::depthwise_fits(const Geometry& g) const {
  // The padded extent the windows span, against the input and output (the
  // planes hold about the padded input; a padding of 2^31 would make them huge).
  const auto extent = [&](std::size_t a) { return (g.out[a] - 1) * g.stride[a] + (g.kernel[a] - 1) * g.dilation[a] + 1; };
  // RowPhases holds about (extent + stride) per axis: the stride rounds each
  // axis up to whole phases.
  const double planes =
      static_cast<double>(extent(1) + g.stride[1]) * static_cast<double>(extent(2) + g.stride[2]);
  return planes <= 4.0 * static_cast<double>(g.in[1] * g.in[2] + g.out[1] * g.out[2]) + 4096.0;
}

void Conv::depthwise(const float* x, const Geometry& g, float* y) const {
  const Index D = g.in[0], H = g.in[1], W = g.in[2], OD = g.out[0], OH = g.out[1], OW = g.out[2];
  const Index KD = g.kernel[0], KH = g.kernel[1], KW = g.kernel[2], multiplier = rows() / groups_;
  // Channels are independent: blocks of them are the compute threads' tasks.
  const EvenSplit channels(groups_, kMinTasks, min_items_per_task(g.positions() * multiplier, kernel_volume_));
  parallel_for(channels.parts(), [&](Index task) {
    thread_local RowPhases planes(1, 1, 1, 1, 1, 1, 1, 1);
    planes = RowPhases(OH, OW, KH, KW, g.stride[1], g.stride[2], g.dilation[1], g.dilation[2]);
    const Index Wq = planes.Wq, n = OH * Wq;
    thread_local std::vector<float> acc;
    acc.resize(static_cast<std::size_t>(n));
    for (Index c = channels.begin(task); c < channels.end(task); ++c)
      for (Index od = 0; od < OD; ++od)
        for (Index j = 0; j < multiplier; ++j) {
          const Index o = c * multiplier + j;
          // Row o of W is zero but for its channel's kernel_volume taps.
          const float* taps = weight().row(o).data() + c * kernel_volume_;
          std::fill(acc.begin(), acc.end(), 0.0f);
          for (Index kd = 0; kd < KD; ++kd) {
            const Index id = od * g.stride[0] - g.padding[0] + kd * g.dilation[0];
            if (id < 0 || id >= D) continue;
            if (j == 0 || KD > 1) planes.fill(x + (c * D + id) * H * W, H, W, g.padding[1], g.padding[2]);
            for (Index kh = 0; kh < KH; ++kh)
              for (Index kw = 0; kw < KW; ++kw)
                multiply_add_strided(acc.data(), planes.tap(kh * g.dilation[1], kw * g.dilation[2]),
                                     taps[(kd * KH + kh) * KW + kw], n, g.stride[2]);
          }
          float* out = y + (o * OD + od) * OH * OW;
          for (Index oh = 0; oh < OH; ++oh)
            for (Index ow = 0; ow < OW; ++ow) out[oh * OW + ow] += acc[static_cast<std::size_t>(oh * Wq + ow)];
        }
  });
}

Tensor Conv::forward_impl(const Tensor& x, const Shape& out_shape) const { return run(x, out_shape, Tensor()); }

Tensor Conv::forward_reusing_impl(const Tensor& x, const Shape& out_shape, Tensor& spare) const {
  if (spare.numel() != numel(out_shape)) return run(x, out_shape, Tensor());
  return run(x, out_shape, std::move(spare));
}

Tensor Conv::run(const Tensor& x, const Shape& out_shape, Tensor storage) const {
  const Geometry g = geometry(x.shape());
  // The output starts as the bias, written in one pass; the kernels accumulate onto it.
  Tensor y = bias_tensor(out_shape, g.positions(), std::move(storage));
  if (runs_depthwise_kernel(x.shape())) {
    depthwise(x.data(), g, y.data());
  } else if (runs_packed_kernel() && shifted_fits(g)) {
    shifted_gemm(x.data(), g, y.data());
  } else if (runs_packed_kernel()) {
    packed_gemm(x.data(), g, y.data());
  } else {
    grouped_gemm(x, g, y.matrix(rows(), g.positions()));
  }
  return y;
}

Tensor Conv::forward_gemm(const Tensor& x) const {
  const Shape out_shape = output_shape(x.shape());
  const Geometry g = geometry(x.shape());
  Tensor y = bias_tensor(out_shape, g.positions());
  grouped_gemm(x, g, y.matrix(rows(), g.positions()));
  return y;
}

Matrix Conv::multiply(const Tensor& x, const Eigen::Ref<const Matrix>& w, const Eigen::Ref<const Vector>& b) const {
  require(w.cols() == cols() && b.size() == w.rows(), where(), ": cannot multiply a ", w.rows(), "x", w.cols(),
          " weight block with ", b.size(), " biases by inputs of ", cols(), " rows");
  const Geometry g = geometry(x.shape());
  Matrix y = b.replicate(1, g.positions());
  accumulate(x, g, 1, w, y);
  return y;
}

}  // namespace cdcnn
