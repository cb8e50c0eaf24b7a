#include "io/inputs.hpp"

#include <stb/stb_image.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

#include "core/error.hpp"
#include "io/files.hpp"

namespace cdcnn {

namespace {

void normalise_channels(Tensor& t, const InputNormalisation& norm) {
  if (norm.empty()) return;
  const Index c = t.dim(0), plane = t.numel() / c;
  require(static_cast<Index>(norm.mean.size()) == c, "input normalisation has ", norm.mean.size(),
          " channels, the input ", c);
  for (Index ch = 0; ch < c; ++ch)
    for (Index i = 0; i < plane; ++i)
      t[ch * plane + i] = static_cast<float>((t[ch * plane + i] - norm.mean[ch]) / norm.std[ch]);
}

/// Bilinear sample of channel `ch` at (y, x) in pixel-centre coordinates.
float bilinear(const unsigned char* img, int w, int h, int channels, int ch, double y, double x) {
  y = std::clamp(y, 0.0, h - 1.0);
  x = std::clamp(x, 0.0, w - 1.0);
  const int y0 = static_cast<int>(y), x0 = static_cast<int>(x);
  const int y1 = std::min(y0 + 1, h - 1), x1 = std::min(x0 + 1, w - 1);
  const double fy = y - y0, fx = x - x0;
  auto at = [&](int yy, int xx) { return static_cast<double>(img[(yy * w + xx) * channels + ch]); };
  return static_cast<float>((1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x1)) +
                            fy * ((1 - fx) * at(y1, x0) + fx * at(y1, x1)));
}

}  // namespace

Tensor load_input(const std::string& path, const Shape& shape, const InputNormalisation& norm) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".npy" ? load_npy(path, shape) : load_image(path, shape, norm);
}

Tensor load_image(const std::string& path, const Shape& shape, const InputNormalisation& norm) {
  require(shape.size() == 3 && (shape[0] == 1 || shape[0] == 3), path,
          ": images can only feed a model whose input is {1 or 3, H, W}, this one takes ", to_string(shape));
  require_exists(path);
  const int channels = static_cast<int>(shape[0]);
  int w = 0, h = 0, file_channels = 0;
  std::unique_ptr<unsigned char, void (*)(void*)> img(stbi_load(path.c_str(), &w, &h, &file_channels, channels),
                                                       stbi_image_free);
  require(img != nullptr, path, ": cannot read image (", stbi_failure_reason(), ")");
  const Index out_h = shape[1], out_w = shape[2];
  // torchvision: Resize(256) then CenterCrop(224), scaled to this input size.
  const double short_side = std::round(static_cast<double>(std::min(out_h, out_w)) * 256.0 / 224.0);
  const double scale = short_side / std::min(w, h);
  const double rw = w * scale, rh = h * scale;
  const double top = (rh - out_h) / 2.0, left = (rw - out_w) / 2.0;
  Tensor t({channels, out_h, out_w});
  for (int ch = 0; ch < channels; ++ch)
    for (Index y = 0; y < out_h; ++y)
      for (Index x = 0; x < out_w; ++x) {
        const double sy = (y + top + 0.5) / scale - 0.5, sx = (x + left + 0.5) / scale - 0.5;
        t[(ch * out_h + y) * out_w + x] = bilinear(img.get(), w, h, channels, ch, sy, sx) / 255.0f;
      }
  normalise_channels(t, norm);
  return t;
}

namespace {

struct NpyHeader {
  std::string descr;
  bool fortran = false;
  Shape shape;
};

NpyHeader parse_npy_header(const std::string& path, const std::string& h) {
  NpyHeader out;
  auto value_of = [&](const std::string& key) {
    auto k = h.find("'" + key + "'");
    require(k != std::string::npos, path, ": .npy header has no '", key, "'");
    auto colon = h.find(':', k);
    require(colon != std::string::npos, path, ": malformed .npy header");
    return colon + 1;
  };
  auto d = value_of("descr");
  auto q1 = h.find('\'', d), q2 = q1 == std::string::npos ? q1 : h.find('\'', q1 + 1);
  require(q2 != std::string::npos, path, ": malformed .npy header (descr)");
  out.descr = h.substr(q1 + 1, q2 - q1 - 1);
  const auto fortran = h.find_first_not_of(' ', value_of("fortran_order"));
  require(fortran != std::string::npos, path, ": malformed .npy header (fortran_order has no value)");
  out.fortran = h.compare(fortran, 4, "True") == 0;
  auto s = value_of("shape");
  auto open = h.find('(', s), close = open == std::string::npos ? open : h.find(')', open);
  require(open != std::string::npos && close != std::string::npos, path, ": malformed .npy header (shape)");
  std::string dims = h.substr(open + 1, close - open - 1);
  std::size_t pos = 0;
  while (pos < dims.size()) {
    auto comma = dims.find(',', pos);
    std::string tok = dims.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    tok.erase(std::remove(tok.begin(), tok.end(), ' '), tok.end());
    if (!tok.empty()) {
      // A dimension is all digits: std::stoll alone would read "2x" as 2 or "-1" as -1.
      require(tok.size() <= 18 && tok.find_first_not_of("0123456789") == std::string::npos, path,
              ": malformed .npy shape '", dims, "' (each dimension must be a non-negative integer below 10^18)");
      out.shape.push_back(std::stoll(tok));
    }
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
}

}  // namespace

Tensor load_npy(const std::string& path, const Shape& expected) {
  std::ifstream in(path, std::ios::binary);
  require(in.good(), path, ": no such file");
  char magic[8] = {};
  in.read(magic, 8);
  require(in.gcount() == 8 && std::memcmp(magic, "\x93NUMPY", 6) == 0, path, ": not a .npy file");
  std::uint32_t header_len = 0;
  if (magic[6] == 1) {
    unsigned char b[2];
    in.read(reinterpret_cast<char*>(b), 2);
    header_len = b[0] | (b[1] << 8);
  } else {
    unsigned char b[4];
    in.read(reinterpret_cast<char*>(b), 4);
    header_len = b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<std::uint32_t>(b[3]) << 24);
  }
  require(in.good() && header_len < (1u << 20), path, ": truncated .npy header");
  std::string header(header_len, '\0');
  in.read(header.data(), header_len);
  require(in.good(), path, ": truncated .npy header");
  NpyHeader h = parse_npy_header(path, header);
  require(!h.fortran, path, ": Fortran-order arrays are not supported (save with np.ascontiguousarray)");
  require(h.descr == "<f4" || h.descr == "<f8", path, ": dtype '", h.descr, "' is not float32 or float64");
  Shape shape = h.shape;
  if (shape.size() == expected.size() + 1 && shape[0] == 1) shape.erase(shape.begin());
  require(shape == expected, path, ": array of shape ", to_string(h.shape), " does not fit input shape ",
          to_string(expected));
  const Index n = numel(shape);
  std::vector<float> values(static_cast<std::size_t>(n));
  if (h.descr == "<f4") {
    in.read(reinterpret_cast<char*>(values.data()), n * 4);
  } else {
    std::vector<double> d(static_cast<std::size_t>(n));
    in.read(reinterpret_cast<char*>(d.data()), n * 8);
    std::copy(d.begin(), d.end(), values.begin());
  }
  require(in.good(), path, ": truncated .npy data");
  for (float v : values) require(std::isfinite(v), path, ": holds NaN or Inf");
  return Tensor(std::move(shape), std::move(values));
}

void save_npy(const std::string& path, const Tensor& t) {
  std::string dims;
  for (Index d : t.shape()) dims += std::to_string(d) + ",";
  if (t.rank() > 1) dims.pop_back();
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
  header.append(64 - (10 + header.size() + 1) % 64, ' ');
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  require(out.good(), path, ": cannot create file");
  out.write("\x93NUMPY\x01\x00", 8);
  const std::uint16_t len = static_cast<std::uint16_t>(header.size());
  out.put(static_cast<char>(len & 0xff)).put(static_cast<char>(len >> 8));
  out << header;
  out.write(reinterpret_cast<const char*>(t.data()), t.numel() * 4);
  require(out.good(), path, ": write failed");
}

namespace {

/// Reads a whole IDX file (gzip-compressed or not: gzread handles both).
std::vector<std::uint8_t> read_idx(const std::string& path, std::uint8_t rank, std::vector<Index>& dims) {
  require_exists(path);
  std::unique_ptr<gzFile_s, int (*)(gzFile)> f(gzopen(path.c_str(), "rb"), gzclose);
  require(f != nullptr, path, ": cannot open");
  unsigned char magic[4];
  require(gzread(f.get(), magic, 4) == 4, path, ": truncated IDX header");
  require(magic[0] == 0 && magic[1] == 0 && magic[2] == 0x08 && magic[3] == rank, path,
          ": not an unsigned-byte IDX file of rank ", int(rank));
  dims.assign(rank, 0);
  for (auto& d : dims) {
    unsigned char b[4];
    require(gzread(f.get(), b, 4) == 4, path, ": truncated IDX header");
    d = (Index(b[0]) << 24) | (Index(b[1]) << 16) | (Index(b[2]) << 8) | Index(b[3]);
  }
  const auto total = checked_numel(dims);
  require(total.has_value() && *total > 0, path, ": implausible IDX dimensions ", to_string(dims),
          " (must be positive, at most 2^31 bytes in all)");
  std::vector<std::uint8_t> data(static_cast<std::size_t>(*total));
  // gzread takes an unsigned count and returns an int: read in pieces below 2^31.
  constexpr Index kPiece = Index{1} << 30;
  for (Index done = 0; done < *total;) {
    const auto want = static_cast<unsigned>(std::min(kPiece, *total - done));
    require(gzread(f.get(), data.data() + done, want) == static_cast<int>(want), path, ": truncated IDX data");
    done += want;
  }
  return data;
}

std::string find_idx(const std::string& dir, const std::string& stem) {
  for (const auto& candidate : {dir + "/" + stem + ".gz", dir + "/" + stem})
    if (is_regular_file(candidate)) return candidate;
  throw Error(cat(dir, ": no ", stem, " (or ", stem, ".gz) in this dataset directory"));
}

}  // namespace

Tensor LabelledImages::image(Index i, const InputNormalisation& norm) const {
  Tensor t({1, rows, cols});
  const std::uint8_t* p = pixels.data() + i * rows * cols;
  for (Index j = 0; j < rows * cols; ++j) t[j] = p[j] / 255.0f;
  normalise_channels(t, norm);
  return t;
}

LabelledImages load_idx_dataset(const std::string& dir, const std::string& split) {
  LabelledImages set;
  std::vector<Index> idims, ldims;
  set.pixels = read_idx(find_idx(dir, split + "-images-idx3-ubyte"), 3, idims);
  set.labels = read_idx(find_idx(dir, split + "-labels-idx1-ubyte"), 1, ldims);
  require(idims[0] == ldims[0], dir, ": ", idims[0], " images but ", ldims[0], " labels");
  set.count = idims[0];
  set.rows = idims[1];
  set.cols = idims[2];
  return set;
}

}  // namespace cdcnn
