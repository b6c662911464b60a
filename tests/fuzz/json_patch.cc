// Fuzzes JSON patch application as stateful channels use it: the service
// diffs a channel's state before and after a commit (json::diff in
// service/state_channels.cc) and sends the patch in "event_patch"; the C++
// client applies what it receives with patch_inplace, catching
// json::exception to fetch the state again (sdk/client/channel_record.cc).
//
// Input: byte 0 picks the mode; the rest is two JSON texts split by a NUL
// (which JSON text cannot contain):
//   even: a state before and after: the diff applied to the first gives
//         the second;
//   odd:  a state and a patch from the wire: applying it either works or
//         throws a json::exception (nothing else: anything else would
//         escape the client's catch), and patch() and patch_inplace()
//         agree.

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "fuzz_support.h"

using nlohmann::json;

namespace {

std::optional<json> Parse(absl::string_view text) {
  json j = json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  cable::fuzz::Input in(data, size);
  const bool apply_wire_patch = (in.Byte() & 1) != 0;
  std::optional<json> first = Parse(in.Until('\0'));
  std::optional<json> second = Parse(in.rest());
  if (!first || !second) return 0;

  if (!apply_wire_patch) {
    const json patch = json::diff(*first, *second);
    FUZZ_CHECK(patch.is_array(), "a diff is not an array");
    for (const json& op : patch) {
      FUZZ_CHECK(op.is_object() && op.contains("op") && op.contains("path"),
                 "a diff operation without op or path");
    }
    // Sent as text, as the service does.
    const json received = json::parse(patch.dump());
    json state = *first;
    state.patch_inplace(received);
    // (Compared as values: diff takes 0 and 0.0 for the same number, as
    // JSON does.)
    FUZZ_CHECK(state == *second,
               "the diff applied to the first state is not the second");
    return 0;
  }

  std::optional<json> copied;
  try {
    copied = first->patch(*second);
  } catch (const json::exception&) {
  }
  json state = *first;
  bool applied = true;
  try {
    state.patch_inplace(*second);
  } catch (const json::exception&) {
    applied = false;
  }
  FUZZ_CHECK(applied == copied.has_value(),
             "patch() and patch_inplace() disagree on success");
  if (applied) {
    FUZZ_CHECK(state == *copied, "patch() and patch_inplace() disagree");
    (void)state.dump();
  }
  return 0;
}
