#pragma once
// The wire protocol between ranks (docs/runtime.md). Inference uses
// point-to-point messages only; every message starts with a Header that
// names (frame, layer, shard), so a late or duplicate message is recognised
// and dropped, never mixed into a newer frame. A value is named by the layer
// that made it (-1: the model's input).
//
//   maker → needer   tag value   Header{frame, layer, shard=-1, outcome...} + the value (a tensor): the
//                                model's input, or a layer's output, sent from where it was made to
//                                every rank that reads it (for a split layer's input: the dispatch)
//   holder → decoder tag result  Header{frame, layer, shard} + Z_j (rows_per_block × P)
//   maker → decoder  tag notice  Header{frame, layer}: split layer `layer`'s input went out now (the
//                                decoder's deadline clock starts), sent when the decoder did not send it
//   decoder → 0      tag report  Header{frame, layer} + the layer's trace rows, from a decoder that is not rank 0
//   any → 0          tag failed  Header{frame, layer}: the frame failed at `layer` here (policy fail)
//   0 → every rank   tag stop    Header only: finish sending, acknowledge, exit
//   rank → 0         tag stop    Header only: the acknowledgement (nothing more will come), with
//                                the rank's peak resident memory and its count of late messages
//   0 → every rank   tag stop    Header{shard = kByeFinalize or kByeExit}: goodbye, after the
//                                acknowledgements; kByeExit when some rank never answered
//   0 → holder       tag weights Header{layer, shard} + W'_j then b'_j (start-up, --weights-from master)

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "core/error.hpp"
#include "plan/profile.hpp"

namespace cdcnn::runtime {

enum Tag : int { kValue = 11, kResult = 12, kStop = 13, kWeights = 14, kNotice = 15, kReport = 16, kFailed = 17 };

/// The goodbye's verdict: call MPI_Finalize, or leave without it because a
/// process is dead and the finalize fence could wait for it forever.
constexpr std::int32_t kByeFinalize = 1, kByeExit = 0;

struct Header {
  std::int64_t inference = -1;
  std::int32_t layer = -1;
  std::int32_t shard = -1;
  std::int64_t floats = 0;       ///< payload floats after the header
  double compute_ms = 0.0;       ///< worker: time to compute Z_j
  double injected_delay_ms = 0;  ///< worker: delay injected before sending
  double peak_rss_mb = 0;        ///< stop acknowledgement: the rank's peak resident memory (0: unknown)
  /// A value: what the frame's outcome, blocks decoded and check were on
  /// the way to it (InferenceOutcome, CheckResult). An acknowledgement:
  /// `late` messages the rank dropped.
  std::int32_t outcome = 0, blocks_decoded = 0, check = 0, late = 0;
};
static_assert(sizeof(Header) % sizeof(float) == 0, "the payload follows the header float-aligned");
static_assert(sizeof(Header) == kMessageHeaderBytes, "cdcnn profile counts this header in every message");

/// Payload offset in floats.
constexpr std::int64_t kHeaderFloats = sizeof(Header) / sizeof(float);

/// Floats of a message carrying `payload_floats` after its header.
constexpr std::size_t message_floats(std::size_t payload_floats) {
  return static_cast<std::size_t>(kHeaderFloats) + payload_floats;
}

/// Writes a message into `message` (message_floats(payload + more) floats):
/// `h`, then `payload`, then `more` (the one place a header is packed;
/// h.floats is the caller's to set). The runtime packs into buffers it
/// reuses (runtime/buffer_pool.hpp).
inline void pack_message_into(std::span<float> message, const Header& h, std::span<const float> payload,
                              std::span<const float> more = {}) {
  require(message.size() == message_floats(payload.size() + more.size()), "protocol: a message of ", payload.size(),
          " + ", more.size(), " floats does not fit a buffer of ", message.size());
  std::memcpy(message.data(), &h, sizeof h);
  auto end = std::copy(payload.begin(), payload.end(), message.begin() + kHeaderFloats);
  std::copy(more.begin(), more.end(), end);
}

/// The same into a new vector.
inline std::vector<float> pack_message(const Header& h, std::span<const float> payload,
                                       std::span<const float> more = {}) {
  std::vector<float> message(message_floats(payload.size() + more.size()));
  pack_message_into(message, h, payload, more);
  return message;
}

/// A message's payload: the floats after its header (h.floats of them);
/// Error if the message is shorter than its header says.
inline std::span<float> message_payload(std::span<float> message, const Header& h) {
  require(h.floats >= 0 && message_floats(static_cast<std::size_t>(h.floats)) <= message.size(), "protocol: header says ",
          h.floats, " floats, the message holds ", message.size() - std::min<std::size_t>(message.size(), kHeaderFloats));
  return message.subspan(static_cast<std::size_t>(kHeaderFloats), static_cast<std::size_t>(h.floats));
}

/// The header a received message starts with (the one place one is unpacked).
inline Header unpack_header(std::span<const float> message) {
  Header h;
  std::memcpy(static_cast<void*>(&h), message.data(), sizeof h);
  return h;
}

}  // namespace cdcnn::runtime
