#pragma once
// What a plan costs on this device, measured (cdcnn profile): the time of
// every layer, of one shard of every linear layer for each candidate k, the
// bytes of every message the runtime would send for it, and (measured under
// mpirun) the latency and bandwidth of every link between ranks. The planner
// predicts from these; docs/commands.md ("cdcnn profile") documents the file.

#include <cstdint>
#include <string>
#include <vector>

#include "layers/model.hpp"

namespace cdcnn {

/// The runtime's message header (runtime/protocol.hpp's Header, which
/// asserts it), counted in every message's bytes. A number, not an include:
/// plan/ knows nothing of MPI.
inline constexpr std::int64_t kMessageHeaderBytes = 64;

/// One shard of a linear layer split k ways (rows_per_block rows of W).
struct ShardProfile {
  int k = 0;
  Index rows_per_block = 0;
  double ms = 0;                   ///< median time of W_j·X + b_j on this device
  std::int64_t result_bytes = 0;   ///< the result message: header + rows_per_block × P floats
  std::int64_t weight_bytes = 0;   ///< the shard's weights and biases (start-up message, memory)
};

struct LayerProfile {
  std::string name, kind;
  double ms = 0;                   ///< median time of the whole layer on this device
  std::int64_t input_bytes = 0;    ///< the layer's input message to a shard holder: header + input floats
  std::int64_t output_bytes = 0;   ///< its output tensor
  std::int64_t parameter_bytes = 0;
  bool linear = false;
  Index rows = 0, cols = 0, positions = 0;  ///< the GEMM view m × q × P (linear layers)
  std::vector<ShardProfile> shards;          ///< one per candidate k (linear layers)
  /// The shard profiled for split width `k`. Error "<where>: the profile has
  /// no shard time for k=K (profile it with --k K)", `where` being
  /// "layer '<name>'" unless given (a plan line).
  const ShardProfile& shard(int k, const std::string& where = "") const;
};

/// A link between two ranks, measured by ping-pong.
struct LinkProfile {
  int from = 0, to = 0;
  std::string from_host, to_host;
  double latency_ms = 0;      ///< half the median round trip of a small message
  double bandwidth_MBps = 0;  ///< a large message's bytes over (its half round trip − latency)
};

struct Profile {
  std::string model;
  std::string host;
  int repeats = 0;
  std::vector<LayerProfile> layers;
  std::vector<LinkProfile> links;  ///< empty unless measured under mpirun (--network)
};

struct ProfileOptions {
  std::vector<int> ks = {2, 3, 4, 6, 8};  ///< candidate split widths (those above a layer's rows are skipped)
  int repeats = 5;                        ///< timed runs per measurement (the median is kept)
  std::uint64_t seed = 0;                 ///< the random input
};

/// Times every layer of `model` on a random input, and one shard of every
/// linear layer for each candidate k. Error naming the option if ks or
/// repeats are not positive.
Profile profile_compute(const Model& model, const ProfileOptions& options);

}  // namespace cdcnn
