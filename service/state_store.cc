#include "cable/service/state_store.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "simdjson.h"

namespace cable::service {
namespace {

// Number of code points if `s` is well-formed UTF-8 (no overlong forms,
// surrogates or values above U+10FFFF), else nullopt.
std::optional<std::size_t> Utf8Length(absl::string_view s) {
  std::size_t count = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n;
    char32_t cp;
    if (c < 0x80) {
      n = 1;
      cp = c;
    } else if ((c & 0xE0) == 0xC0) {
      n = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 4;
      cp = c & 0x07;
    } else {
      return std::nullopt;
    }
    if (i + n > s.size()) return std::nullopt;
    for (std::size_t k = 1; k < n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return std::nullopt;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return std::nullopt;
    }
    i += n;
    ++count;
  }
  return count;
}

// simdjson validates (structure and UTF-8) at GB/s; nlohmann's accept is
// ~60 MB/s, which a large state would pay on every commit.
bool IsJson(absl::string_view text) {
  constexpr std::size_t kReusedParserBytes = 64 * 1024;
  auto valid = [&](simdjson::dom::parser& parser) {
    return parser.parse(text.data(), text.size()).error() == simdjson::SUCCESS;
  };
  if (text.size() > kReusedParserBytes) {
    // A parser keeps buffers the size of the largest document it parsed.
    simdjson::dom::parser parser;
    return valid(parser);
  }
  thread_local simdjson::dom::parser parser;
  return valid(parser);
}

}  // namespace

absl::Status ValidateChannelName(absl::string_view name) {
  if (name.empty()) return absl::InvalidArgumentError("channel name is empty");
  if (name.size() > kMaxChannelNameBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("channel name is ", name.size(), " bytes, the limit is ",
                     kMaxChannelNameBytes));
  }
  if (!Utf8Length(name)) {
    return absl::InvalidArgumentError("channel name is not valid UTF-8");
  }
  return absl::OkStatus();
}

absl::Status ValidateChannelSpec(const ChannelSpec& spec) {
  if (absl::Status s = ValidateChannelName(spec.name); !s.ok()) return s;
  const std::optional<std::size_t> type_chars = Utf8Length(spec.type);
  if (!type_chars) {
    return absl::InvalidArgumentError("channel type is not valid UTF-8");
  }
  if (*type_chars > kMaxChannelTypeChars) {
    return absl::InvalidArgumentError(
        absl::StrCat("channel type has ", *type_chars,
                     " characters, the limit is ", kMaxChannelTypeChars));
  }
  if (!IsJson(spec.state)) {
    return absl::InvalidArgumentError(
        absl::StrCat("state of channel \"", spec.name, "\" is not JSON"));
  }
  return absl::OkStatus();
}

absl::Status ValidateOwner(absl::string_view owner) {
  if (owner.empty()) return absl::InvalidArgumentError("lock owner is empty");
  if (owner.size() > kMaxOwnerBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("lock owner is ", owner.size(), " bytes, the limit is ",
                     kMaxOwnerBytes));
  }
  return absl::OkStatus();
}

absl::Status ValidateWorkerName(absl::string_view worker) {
  if (worker.empty()) return absl::InvalidArgumentError("worker name is empty");
  if (worker.size() > kMaxWorkerNameBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("worker name is ", worker.size(), " bytes, the limit is ",
                     kMaxWorkerNameBytes));
  }
  if (!Utf8Length(worker)) {
    return absl::InvalidArgumentError("worker name is not valid UTF-8");
  }
  return absl::OkStatus();
}

absl::Status ValidateCommit(absl::string_view owner,
                            absl::Span<const ChannelWrite> writes) {
  if (absl::Status s = ValidateOwner(owner); !s.ok()) return s;
  absl::flat_hash_set<absl::string_view> seen;
  for (const ChannelWrite& w : writes) {
    if (absl::Status s = ValidateChannelName(w.name); !s.ok()) return s;
    if (!seen.insert(w.name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("channel \"", w.name, "\" is written twice"));
    }
    if (w.state && !IsJson(*w.state)) {
      return absl::InvalidArgumentError(
          absl::StrCat("new state of channel \"", w.name, "\" is not JSON"));
    }
    for (std::size_t i = 0; i < w.events.size(); ++i) {
      if (!IsJson(w.events[i])) {
        return absl::InvalidArgumentError(absl::StrCat(
            "event ", i, " for channel \"", w.name, "\" is not JSON"));
      }
    }
    if (w.guard_delta != 0) {
      if (absl::Status s = ValidateWorkerName(w.worker); !s.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "guard_delta for channel \"", w.name, "\": ", s.message()));
      }
    }
    for (const std::string& worker : w.clear_guards_of) {
      if (absl::Status s = ValidateWorkerName(worker); !s.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "clear_guards_of for channel \"", w.name, "\": ", s.message()));
      }
    }
  }
  return absl::OkStatus();
}

EventIdRange EventsToReturn(std::uint64_t after_id,
                            std::optional<std::uint64_t> limit,
                            std::uint64_t first_stored, std::uint64_t last) {
  EventIdRange range;
  if (first_stored > last || after_id >= last) return range;
  if (limit && *limit == 0) return range;
  range.from = std::max(after_id + 1, first_stored);
  range.to = last;
  if (limit && *limit <= last)
    range.from = std::max(range.from, last - *limit + 1);
  return range;
}

}  // namespace cable::service
