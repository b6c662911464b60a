#include "cable/history.h"

#include <string>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cable/protocol.h"

namespace cable {
namespace {

// 0xFF never occurs in UTF-8, and broadcast data is always UTF-8.
constexpr char kEnvelopeMarker = '\xFF';
// ASCII's unit separator: never in an epoch (alphanumeric) nor a decimal.
constexpr char kEnvelopeSeparator = '\x1F';

bool IsDigits(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// A count made of digits alone: absl::SimpleAtoi would also take a sign and
// surrounding whitespace, which a flag should not silently accept.
bool ParseCount(absl::string_view text, std::size_t* out) {
  std::uint64_t value = 0;
  if (!IsDigits(text) || !absl::SimpleAtoi(text, &value)) return false;
  *out = static_cast<std::size_t>(value);
  return static_cast<std::uint64_t>(*out) == value;
}

// Unbounded ages would let one-off streams accumulate forever.
bool TtlBounds(absl::Duration ttl) {
  return ttl > absl::ZeroDuration() && ttl < absl::InfiniteDuration();
}

absl::Status BadOverride(absl::string_view item, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("history override \"", item, "\": ", why,
                   " (expected pattern=limit or pattern=limit/ttl, e.g. "
                   "\"chat:*=1000/1h\")"));
}

absl::StatusOr<HistoryPolicy::Override> ParseOverride(absl::string_view item,
                                                      absl::Duration ttl) {
  // The last '=': stream names (so patterns) may hold '=', limits never.
  const std::size_t eq = item.rfind('=');
  if (eq == absl::string_view::npos) return BadOverride(item, "no '='");
  HistoryPolicy::Override out;
  out.pattern = std::string(absl::StripAsciiWhitespace(item.substr(0, eq)));
  if (out.pattern.empty()) return BadOverride(item, "empty pattern");
  if (protocol::IsInternalStream(out.pattern)) {
    return BadOverride(item,
                       "streams starting with '$' are internal and never "
                       "keep history");
  }
  const absl::string_view value =
      absl::StripAsciiWhitespace(item.substr(eq + 1));
  const std::size_t slash = value.find('/');
  const absl::string_view count =
      absl::StripAsciiWhitespace(value.substr(0, slash));
  if (!ParseCount(count, &out.limits.limit)) {
    return BadOverride(
        item, absl::StrCat("limit \"", count, "\" is not a count of messages"));
  }
  out.limits.ttl = ttl;
  if (slash != absl::string_view::npos) {
    const absl::string_view text =
        absl::StripAsciiWhitespace(value.substr(slash + 1));
    if (!absl::ParseDuration(text, &out.limits.ttl)) {
      return BadOverride(item, absl::StrCat("ttl \"", text,
                                            "\" is not a duration like 30s, "
                                            "5m or 1h"));
    }
    if (!TtlBounds(out.limits.ttl)) {
      return BadOverride(item, "the ttl must be positive and finite");
    }
  } else if (out.limits.limit > 0 && !TtlBounds(ttl)) {
    return BadOverride(item, absl::StrCat("needs a ttl: the default ttl is ",
                                          absl::FormatDuration(ttl)));
  }
  return out;
}

}  // namespace

HistoryLimits HistoryPolicy::For(absl::string_view stream) const {
  const std::optional<std::size_t> entry = EntryOf(stream);
  if (!entry) return HistoryLimits{0, ttl};
  return EntryLimits(*entry);
}

std::optional<std::size_t> HistoryPolicy::EntryOf(
    absl::string_view stream) const {
  if (protocol::IsInternalStream(stream)) return std::nullopt;
  for (std::size_t i = 0; i < overrides.size(); ++i) {
    if (GlobMatch(overrides[i].pattern, stream)) return i + 1;
  }
  return 0;
}

HistoryLimits HistoryPolicy::EntryLimits(std::size_t entry) const {
  if (entry == 0) return HistoryLimits{limit, ttl};
  if (entry <= overrides.size()) return overrides[entry - 1].limits;
  return HistoryLimits{0, ttl};
}

absl::StatusOr<HistoryPolicy> ParseHistoryPolicy(std::size_t limit,
                                                 absl::Duration ttl,
                                                 absl::string_view overrides) {
  HistoryPolicy policy;
  policy.limit = limit;
  policy.ttl = ttl;
  if (limit > 0 && !TtlBounds(ttl)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "history: a limit of ", limit, " needs a positive, finite ttl, not ",
        absl::FormatDuration(ttl)));
  }
  absl::flat_hash_set<std::string> seen;
  for (absl::string_view item : absl::StrSplit(overrides, ';')) {
    item = absl::StripAsciiWhitespace(item);
    if (item.empty()) continue;  // "a=1;;b=2;" is fine
    absl::StatusOr<HistoryPolicy::Override> o = ParseOverride(item, ttl);
    if (!o.ok()) return o.status();
    // A later duplicate could never match: surely a mistake.
    if (!seen.insert(o->pattern).second) {
      return BadOverride(item, "pattern given twice");
    }
    policy.overrides.push_back(*std::move(o));
  }
  return policy;
}

bool GlobMatch(absl::string_view pattern, absl::string_view name) {
  // Greedy with backtracking to the last '*': O(pattern * name) at worst,
  // linear for the usual "prefix:*".
  std::size_t p = 0;
  std::size_t n = 0;
  std::size_t star = absl::string_view::npos;
  std::size_t resume = 0;
  while (n < name.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = n;
    } else if (p < pattern.size() && pattern[p] == name[n]) {
      ++p;
      ++n;
    } else if (star != absl::string_view::npos) {
      p = star + 1;
      n = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::string EncodeStreamMessage(const StreamPosition& pos,
                                absl::string_view data) {
  return absl::StrCat(absl::string_view(&kEnvelopeMarker, 1), pos.epoch,
                      absl::string_view(&kEnvelopeSeparator, 1), pos.offset,
                      absl::string_view(&kEnvelopeSeparator, 1), data);
}

bool DecodeStreamMessage(absl::string_view message, StreamPosition* pos,
                         absl::string_view* data) {
  if (message.empty() || message[0] != kEnvelopeMarker) return false;
  absl::string_view rest = message.substr(1);
  const std::size_t epoch_end = rest.find(kEnvelopeSeparator);
  if (epoch_end == 0 || epoch_end == absl::string_view::npos) return false;
  const absl::string_view epoch = rest.substr(0, epoch_end);
  rest.remove_prefix(epoch_end + 1);
  const std::size_t offset_end = rest.find(kEnvelopeSeparator);
  if (offset_end == absl::string_view::npos) return false;
  const absl::string_view digits = rest.substr(0, offset_end);
  // Only what the encoder writes: offsets from 1, no leading zero, no sign,
  // no overflow (SimpleAtoi reports it).
  std::uint64_t offset = 0;
  if (!IsDigits(digits) || digits[0] == '0' ||
      !absl::SimpleAtoi(digits, &offset)) {
    return false;
  }
  pos->epoch = std::string(epoch);
  pos->offset = offset;
  *data = rest.substr(offset_end + 1);
  return true;
}

}  // namespace cable
