#pragma once
// Seeded, reproducible randomness. Every random thing in cdcnn (zoo weights,
// injected faults, sampled loss patterns) comes from an Rng derived from one
// user-visible seed, so the same seed gives the same run for every code.

#include <cstdint>
#include <random>

namespace cdcnn {

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : seed_(mix(seed)), engine_(seed_) {}

  /// An independent stream for a named purpose (a rank, a layer): the same
  /// for the same (seed, stream) whatever else was drawn before.
  Rng fork(std::uint64_t stream) const { return Rng(seed_ ^ mix(stream + 0x632be59bd9b4e019ULL)); }

  double uniform(double lo = 0.0, double hi = 1.0) { return std::uniform_real_distribution<double>(lo, hi)(engine_); }
  double normal(double mean = 0.0, double stddev = 1.0) {
    return std::normal_distribution<double>(mean, stddev)(engine_);
  }
  std::uint64_t next() { return engine_(); }
  std::mt19937_64& engine() { return engine_; }

  /// SplitMix64 finaliser: spreads nearby seeds (0, 1, 2, ...) far apart.
  static std::uint64_t mix(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
  }

 private:
  std::uint64_t seed_;
  std::mt19937_64 engine_;
};

}  // namespace cdcnn
