#include "codes/code.hpp"

#include <Eigen/LU>
#include <Eigen/QR>
#include <algorithm>
#include <cmath>
#include <cstring>

#include "codes/combinations.hpp"
#include "core/error.hpp"
#include "core/parallel.hpp"

namespace cdcnn {

namespace {

std::uint64_t mask_bits(const ShardMask& mask) {
  std::uint64_t bits = 0;
  for (std::size_t j = 0; j < mask.size(); ++j)
    if (mask[j]) bits |= std::uint64_t{1} << j;
  return bits;
}

std::string describe(const Code& code) { return cat("code '", code.spec(), "' (n=", code.n(), ", k=", code.k(), ")"); }

// `require` evaluates its message eagerly; on the decode path the message is
// only built when the check fails.
#define CDCNN_CODE_CHECK(condition, ...) \
  do {                                   \
    if (!(condition)) throw Error(cat(describe(*this), __VA_ARGS__)); \
  } while (false)

}  // namespace

Code::Code(Eigen::MatrixXd generator) : generator_(std::move(generator)) {
  const auto n = generator_.rows(), k = generator_.cols();
  require(k >= 1, "a code needs k >= 1 data blocks, got ", k);
  require(n >= k && n <= kMaxShards, "a code needs k <= n <= ", kMaxShards, " shards, got n=", n, " for k=", k);
  require(generator_.allFinite(), "a code's generator matrix must be finite");
  verbatim_.assign(static_cast<std::size_t>(n), -1);
  for (Eigen::Index j = 0; j < n; ++j) {
    Eigen::Index at = 0;
    const bool unit = generator_.row(j).cwiseAbs().maxCoeff(&at) == 1.0 && generator_(j, at) == 1.0 &&
                      (generator_.row(j).array() != 0.0).count() == 1;
    if (unit) verbatim_[static_cast<std::size_t>(j)] = static_cast<int>(at);
  }
}

bool Code::systematic() const {
  return generator_.topRows(k()) == Eigen::MatrixXd::Identity(k(), k());
}

void Code::check_mask(const ShardMask& arrived, const char* what) const {
  CDCNN_CODE_CHECK(static_cast<int>(arrived.size()) == n(), ": ", what, " mask has ", arrived.size(),
          " entries, expected n=", n());
}

int Code::tolerance() const {
  CDCNN_CODE_CHECK(n() <= 24, ": no closed-form tolerance and n > 24 is too many loss sets to try");
  for (int t = 1; t <= n(); ++t) {
    // Every mask with exactly t shards lost.
    const bool all_decodable = for_each_combination(n(), t, [&](std::span<const int> lost) {
      ShardMask arrived(static_cast<std::size_t>(n()), true);
      for (int j : lost) arrived[static_cast<std::size_t>(j)] = false;
      return decodable(arrived);
    });
    if (!all_decodable) return t - 1;
  }
  return n();
}

int generator_rank(const Eigen::MatrixXd& generator, const ShardMask& rows) {
  std::vector<Eigen::Index> picked;
  for (std::size_t j = 0; j < rows.size(); ++j)
    if (rows[j]) picked.push_back(static_cast<Eigen::Index>(j));
  if (picked.empty()) return 0;
  Eigen::MatrixXd sub = generator(picked, Eigen::all);
  Eigen::FullPivLU<Eigen::MatrixXd> lu(sub);
  lu.setThreshold(1e-10);
  return static_cast<int>(lu.rank());
}

bool Code::decodable(const ShardMask& arrived) const {
  check_mask(arrived, "arrived");
  return generator_rank(generator_, arrived) == k();
}

ShardMask Code::recoverable_blocks(const ShardMask& arrived) const {
  check_mask(arrived, "arrived");
  ShardMask blocks(static_cast<std::size_t>(k()), false);
  std::vector<Eigen::Index> picked;
  for (int j = 0; j < n(); ++j)
    if (arrived[static_cast<std::size_t>(j)]) picked.push_back(j);
  if (picked.empty()) return blocks;
  Eigen::MatrixXd rows = generator_(picked, Eigen::all);
  auto rank_of = [](const Eigen::MatrixXd& m) {
    Eigen::FullPivLU<Eigen::MatrixXd> lu(m);
    lu.setThreshold(1e-10);
    return lu.rank();
  };
  const auto base = rank_of(rows);
  Eigen::MatrixXd extended(rows.rows() + 1, k());
  extended.topRows(rows.rows()) = rows;
  for (int i = 0; i < k(); ++i) {
    extended.bottomRows(1).setZero();
    extended(rows.rows(), i) = 1.0;
    blocks[static_cast<std::size_t>(i)] = rank_of(extended) == base;
  }
  return blocks;
}

std::optional<std::vector<int>> Code::minimum_to_decode(const ShardMask& wanted, const ShardMask& available) const {
  check_mask(available, "available");
  CDCNN_CODE_CHECK(static_cast<int>(wanted.size()) == k(), ": wanted mask has ", wanted.size(),
          " entries, expected k=", k());
  // The shard holding each block verbatim, preferring the systematic one.
  std::vector<int> direct(static_cast<std::size_t>(k()), -1);
  for (int j = n() - 1; j >= 0; --j)
    if (available[static_cast<std::size_t>(j)] && verbatim_block(j) >= 0)
      direct[static_cast<std::size_t>(verbatim_block(j))] = j;
  std::vector<int> missing;
  for (int i = 0; i < k(); ++i)
    if (direct[static_cast<std::size_t>(i)] < 0) missing.push_back(i);
  std::vector<bool> use(static_cast<std::size_t>(n()), false);
  bool need_recipe = false;
  for (int i = 0; i < k(); ++i)
    if (wanted[static_cast<std::size_t>(i)]) {
      if (direct[static_cast<std::size_t>(i)] >= 0)
        use[static_cast<std::size_t>(direct[static_cast<std::size_t>(i)])] = true;
      else
        need_recipe = true;
    }
  if (need_recipe) {
    if (!decodable(available)) return std::nullopt;
    const Recipe recipe = make_recipe(available, missing);
    for (std::size_t a = 0; a < recipe.missing.size(); ++a) {
      if (!wanted[static_cast<std::size_t>(recipe.missing[a])]) continue;
      for (const Term& t : recipe.terms[a])
        use[static_cast<std::size_t>(t.from_shard ? t.index : direct[static_cast<std::size_t>(t.index)])] = true;
    }
  }
  std::vector<int> shards;
  for (int j = 0; j < n(); ++j)
    if (use[static_cast<std::size_t>(j)]) shards.push_back(j);
  return shards;
}

Code::Recipe Code::make_recipe(const ShardMask& arrived, const std::vector<int>& missing) const {
  Recipe recipe;
  recipe.missing = missing;
  std::vector<bool> is_missing(static_cast<std::size_t>(k()), false);
  for (int i : missing) is_missing[static_cast<std::size_t>(i)] = true;
  std::vector<Eigen::Index> known, cols(missing.begin(), missing.end()), candidates;
  for (int i = 0; i < k(); ++i)
    if (!is_missing[static_cast<std::size_t>(i)]) known.push_back(i);
  for (int j = 0; j < n(); ++j)
    if (arrived[static_cast<std::size_t>(j)] && verbatim_block(j) < 0 &&
        generator_(j, cols).cwiseAbs().maxCoeff() > 0.0)
      candidates.push_back(j);
  const auto m = static_cast<Eigen::Index>(missing.size());
  // The m candidate rows best conditioned on the missing columns.
  const Eigen::MatrixXd a_t = generator_(candidates, cols).transpose();
  Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(a_t);
  require(static_cast<Eigen::Index>(candidates.size()) >= m && qr.rank() == m, describe(*this),
          ": internal error, decodable pattern ", format_mask(arrived), " has no full-rank parity system");
  std::vector<Eigen::Index> rows;
  for (Eigen::Index p = 0; p < m; ++p) rows.push_back(candidates[static_cast<std::size_t>(qr.colsPermutation().indices()(p))]);
  std::sort(rows.begin(), rows.end());
  const Eigen::MatrixXd inverse = Eigen::MatrixXd(generator_(rows, cols)).fullPivLu().inverse();
  Eigen::MatrixXd known_coeff;
  if (!known.empty()) known_coeff = -inverse * generator_(rows, known);
  for (Eigen::Index a = 0; a < m; ++a) {
    std::vector<Term> terms;
    double scale = inverse.row(a).cwiseAbs().maxCoeff();
    if (!known.empty()) scale = std::max(scale, known_coeff.row(a).cwiseAbs().maxCoeff());
    const double drop = 1e-12 * scale;
    for (Eigen::Index b = 0; b < m; ++b)
      if (std::abs(inverse(a, b)) > drop)
        terms.push_back({true, static_cast<int>(rows[static_cast<std::size_t>(b)]), static_cast<float>(inverse(a, b))});
    for (std::size_t b = 0; b < known.size(); ++b)
      if (std::abs(known_coeff(a, static_cast<Eigen::Index>(b))) > drop)
        terms.push_back({false, static_cast<int>(known[b]), static_cast<float>(known_coeff(a, static_cast<Eigen::Index>(b)))});
    recipe.terms.push_back(std::move(terms));
  }
  return recipe;
}

void Code::decode_impl(const ShardMask& arrived, const std::vector<int>& missing,
                       std::span<const std::span<const float>> shards,
                       std::span<const std::span<float>> data_blocks) const {
  const std::uint64_t key = mask_bits(arrived);
  const Recipe* recipe = nullptr;
  {
    std::lock_guard lock(cache_mutex_);
    auto it = recipes_.find(key);
    if (it == recipes_.end()) it = recipes_.emplace(key, make_recipe(arrived, missing)).first;
    recipe = &it->second;  // entries are never erased; unordered_map keeps references stable
  }
  std::vector<const float*> sources;
  std::vector<float> coefficients;
  for (std::size_t a = 0; a < recipe->missing.size(); ++a) {
    sources.clear();
    coefficients.clear();
    for (const Term& t : recipe->terms[a]) {
      sources.push_back(t.from_shard ? shards[static_cast<std::size_t>(t.index)].data()
                                     : data_blocks[static_cast<std::size_t>(t.index)].data());
      coefficients.push_back(t.coefficient);
    }
    combine(data_blocks[static_cast<std::size_t>(recipe->missing[a])], sources, coefficients);
  }
}

void Code::combine(std::span<float> out, std::span<const float* const> sources, std::span<const float> coefficients) {
  using Array = Eigen::Map<Eigen::ArrayXf>;
  using ConstArray = Eigen::Map<const Eigen::ArrayXf>;
  constexpr std::size_t kChunk = kCombineChunk;
  for (std::size_t begin = 0; begin < out.size(); begin += kChunk) {
    const auto len = static_cast<Eigen::Index>(std::min(kChunk, out.size() - begin));
    Array o(out.data() + begin, len);
    if (sources.empty()) {
      o.setZero();
      continue;
    }
    for (std::size_t t = 0; t < sources.size(); ++t) {
      ConstArray in(sources[t] + begin, len);
      const float c = coefficients[t];
      if (t == 0 && c == 1.0f)
        o = in;
      else if (t == 0)
        o = c * in;
      else if (c == 1.0f)
        o += in;
      else if (c == -1.0f)
        o -= in;
      else
        o += c * in;
    }
  }
}

int Code::verbatim_source(int block, const ShardMask& arrived) const {
  // Shard i itself first (it may already be data_blocks[i]'s buffer), then any replica.
  if (block < n() && arrived[static_cast<std::size_t>(block)] && verbatim_block(block) == block) return block;
  for (int j = 0; j < n(); ++j)
    if (arrived[static_cast<std::size_t>(j)] && verbatim_block(j) == block) return j;
  return -1;
}

void Code::decode(std::span<const std::span<const float>> shards, std::span<const std::span<float>> data_blocks) const {
  CDCNN_CODE_CHECK(static_cast<int>(shards.size()) == n(), ": decode got ", shards.size(),
          " shard buffers, expected n=", n());
  CDCNN_CODE_CHECK(static_cast<int>(data_blocks.size()) == k(), ": decode got ", data_blocks.size(),
          " data-block buffers, expected k=", k());
  const ShardMask arrived = arrived_shards(shards);
  std::size_t size = 0;
  for (int j = 0; j < n(); ++j) {
    const auto& s = shards[static_cast<std::size_t>(j)];
    if (s.empty()) continue;
    if (size == 0) size = s.size();
    CDCNN_CODE_CHECK(s.size() == size, ": shard ", j, " has ", s.size(), " values, other shards have ", size);
  }
  CDCNN_CODE_CHECK(decodable(arrived), ": shards ", format_mask(arrived),
          " arrived, which do not determine all data blocks; refusing to decode");
  for (int i = 0; i < k(); ++i)
    CDCNN_CODE_CHECK(data_blocks[static_cast<std::size_t>(i)].size() == size, ": data block ", i, " has room for ",
            data_blocks[static_cast<std::size_t>(i)].size(), " values, shards have ", size);

  std::vector<int> missing;
  for (int i = 0; i < k(); ++i) {
    const int source = verbatim_source(i, arrived);
    if (source < 0) {
      missing.push_back(i);
      continue;
    }
    const auto& from = shards[static_cast<std::size_t>(source)];
    const auto& to = data_blocks[static_cast<std::size_t>(i)];
    if (from.data() != to.data()) std::memcpy(to.data(), from.data(), size * sizeof(float));
  }
  if (missing.empty()) return;
  // Decoding is element-wise: chunks of positions are the compute threads'
  // tasks (core/parallel.hpp). Chunks start at multiples of combine()'s own
  // chunk, so every element is computed exactly as in one whole call.
  constexpr std::size_t kUnit = kCombineChunk;
  const EvenSplit chunks(static_cast<Index>((size + kUnit - 1) / kUnit), 8, 8);
  if (chunks.parts() == 1) return decode_impl(arrived, missing, shards, data_blocks);
  parallel_for(chunks.parts(), [&](Index chunk) {
    const std::size_t begin = static_cast<std::size_t>(chunks.begin(chunk)) * kUnit,
                      end = std::min(size, static_cast<std::size_t>(chunks.end(chunk)) * kUnit);
    std::vector<std::span<const float>> in(shards.size());
    for (std::size_t j = 0; j < shards.size(); ++j)
      if (!shards[j].empty()) in[j] = shards[j].subspan(begin, end - begin);
    std::vector<std::span<float>> out(data_blocks.size());
    for (std::size_t i = 0; i < data_blocks.size(); ++i) out[i] = data_blocks[i].subspan(begin, end - begin);
    decode_impl(arrived, missing, in, out);
  });
}

std::vector<Matrix> Code::decode(const std::vector<std::optional<Matrix>>& shards) const {
  CDCNN_CODE_CHECK(static_cast<int>(shards.size()) == n(), ": decode got ", shards.size(),
          " shard results, expected n=", n());
  Index rows = -1, cols = -1;
  std::vector<std::span<const float>> in(shards.size());
  for (std::size_t j = 0; j < shards.size(); ++j) {
    if (!shards[j]) continue;
    if (rows < 0) rows = shards[j]->rows(), cols = shards[j]->cols();
    CDCNN_CODE_CHECK(shards[j]->rows() == rows && shards[j]->cols() == cols, ": shard ", j, " is ",
            shards[j]->rows(), "x", shards[j]->cols(), ", other shards are ", rows, "x", cols);
    in[j] = std::span<const float>(shards[j]->data(), static_cast<std::size_t>(shards[j]->size()));
  }
  std::vector<Matrix> blocks(static_cast<std::size_t>(k()), Matrix(std::max<Index>(rows, 0), std::max<Index>(cols, 0)));
  std::vector<std::span<float>> out;
  for (auto& b : blocks) out.emplace_back(b.data(), static_cast<std::size_t>(b.size()));
  decode(in, out);
  return blocks;
}

ShardMask arrived_shards(std::span<const std::span<const float>> shards) {
  ShardMask arrived(shards.size());
  for (std::size_t j = 0; j < shards.size(); ++j) arrived[j] = !shards[j].empty();
  return arrived;
}

std::string format_mask(const ShardMask& mask) {
  std::string s = "{";
  for (std::size_t j = 0; j < mask.size(); ++j)
    if (mask[j]) s += (s.size() > 1 ? "," : "") + std::to_string(j);
  return s + "}";
}

}  // namespace cdcnn
