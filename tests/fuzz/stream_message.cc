// Fuzzes the envelope of positioned broadcasts (sdk/include/cable/history.h):
// every message a subscriber of a HistoryPubSub receives goes through
// DecodeStreamMessage, and NATS delivers whatever any publisher sent. Also
// the history policy's pattern matching and parser, on the same bytes.
//
// Input: the whole input is a message to decode; then, read again from the
// front, an epoch up to '\n', an 8-byte little-endian offset, and the data
// of a message to encode.
//
// Invariants:
// - decoding accepts only what the encoder writes: a message that decodes
//   encodes back to itself, with an offset from 1 and a non-empty epoch;
// - a plain message is never taken for an envelope: none that is UTF-8 or
//   does not start with 0xFF decodes;
// - an envelope is never UTF-8; one of a valid position (non-empty epoch
//   without 0x1F, offset from 1) decodes back to that position and data
//   (an invalid one may decode as something else: that is the encoder's
//   documented precondition, not the decoder's concern);
// - a glob matches itself, and "*" matches anything.

#include <cstddef>
#include <cstdint>
#include <string>

#include "cable/history.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  cable::fuzz::Input in(data, size);
  const absl::string_view raw(reinterpret_cast<const char*>(data), size);

  // As a delivered message.
  cable::StreamPosition pos;
  absl::string_view payload;
  if (cable::DecodeStreamMessage(raw, &pos, &payload)) {
    FUZZ_CHECK(cable::EncodeStreamMessage(pos, payload) == raw,
               "a decoded envelope does not encode back to itself");
    FUZZ_CHECK(pos.offset >= 1 && !pos.epoch.empty(),
               "a decoded position is not one the encoder writes");
    FUZZ_CHECK(!cable::fuzz::IsUtf8(raw), "a UTF-8 message decoded");
    FUZZ_CHECK(raw[0] == '\xFF', "a message without the marker decoded");
  }

  // As a position and data to encode.
  cable::StreamPosition given;
  given.epoch = std::string(in.Until('\n'));
  for (int i = 0; i < 8; ++i) {
    given.offset |= std::uint64_t{in.Byte()} << (8 * i);
  }
  const absl::string_view body = in.rest();
  const std::string message = cable::EncodeStreamMessage(given, body);
  FUZZ_CHECK(!cable::fuzz::IsUtf8(message), "an envelope is UTF-8");
  const bool valid = !given.epoch.empty() &&
                     given.epoch.find('\x1F') == std::string::npos &&
                     given.offset >= 1;
  cable::StreamPosition back;
  absl::string_view back_body;
  if (valid) {
    FUZZ_CHECK(cable::DecodeStreamMessage(message, &back, &back_body) &&
                   back == given && back_body == body,
               "an envelope does not decode back to what was encoded");
  }

  // As a glob and a policy flag.
  FUZZ_CHECK(cable::GlobMatch(raw, raw), "a glob does not match itself");
  FUZZ_CHECK(cable::GlobMatch("*", raw), "\"*\" does not match everything");
  absl::StatusOr<cable::HistoryPolicy> policy =
      cable::ParseHistoryPolicy(10, absl::Minutes(1), raw);
  if (policy.ok()) {
    for (const cable::HistoryPolicy::Override& o : policy->overrides) {
      FUZZ_CHECK(!o.pattern.empty() && o.pattern[0] != '$',
                 "the parser accepted an empty or internal pattern");
      FUZZ_CHECK(o.limits.limit == 0 || o.limits.ttl > absl::ZeroDuration(),
                 "the parser accepted history without a positive ttl");
    }
    (void)policy->For(raw);
  }
  return 0;
}
