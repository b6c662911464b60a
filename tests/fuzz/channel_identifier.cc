// Fuzzes identifier handling in the service (service/identifier.h): the
// subscription identifier a client chose, parsed to find the channel and
// its params.
//
// Input: the identifier string (as it arrives in a CommandRequest).
//
// Invariants:
// - accepted: a string channel and an object of params without "channel";
//   putting the channel back gives the object the client sent (so nothing
//   is lost or invented), and the dumped form parses to the same channel
//   and params again, whatever the key order;
// - refused: InvalidArgument, never another code or an exception.

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "cable/service/identifier.h"
#include "fuzz_support.h"

using nlohmann::json;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  const absl::string_view identifier(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<cable::service::ChannelIdentifier> parsed =
      cable::service::ParseChannelIdentifier(identifier);
  const json original =
      json::parse(identifier.begin(), identifier.end(), nullptr, false);
  if (!parsed.ok()) {
    FUZZ_CHECK(parsed.status().code() == absl::StatusCode::kInvalidArgument,
               "a bad identifier is not InvalidArgument");
    FUZZ_CHECK(!original.is_object() || !original.contains("channel") ||
                   !original["channel"].is_string(),
               "an object with a string channel refused");
    return 0;
  }
  FUZZ_CHECK(parsed->params.is_object(), "params are not an object");
  FUZZ_CHECK(!parsed->params.contains("channel"), "params keep \"channel\"");

  json whole = parsed->params;
  whole["channel"] = parsed->channel;
  FUZZ_CHECK(whole == original, "channel and params differ from the identifier");

  // Key order and spacing do not matter: the canonical dump parses the
  // same.
  absl::StatusOr<cable::service::ChannelIdentifier> again =
      cable::service::ParseChannelIdentifier(whole.dump());
  // (Compared as dumps: a number too large for a double is infinite,
  // which dumps as null.)
  FUZZ_CHECK(again.ok() && again->channel == parsed->channel &&
                 again->params.dump() == parsed->params.dump(),
             "the identifier's canonical form parses differently");
  return 0;
}
