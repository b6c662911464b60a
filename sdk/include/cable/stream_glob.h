#pragma once
// Stream-name globs for the server API (Publisher.Channels): fnmatch(3)
// with no flags, so `*` and `?` match any character (`:` and `/`
// included), `[...]` a set or range, `\` the next character literally.

#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace cable {

inline constexpr std::size_t kMaxStreamGlobBytes = 1024;

// OK, or INVALID_ARGUMENT saying what is wrong: more than
// kMaxStreamGlobBytes, a NUL byte, a `[` never closed, or a trailing `\`
// (UTF-8 is the proto3 string's own check). The empty pattern is valid (it
// matches every name).
absl::Status ValidateStreamGlob(absl::string_view pattern);

// Whether `name` matches a valid `pattern`; the empty pattern matches
// every name but the internal ones. Internal streams (names starting with
// '$': stateful channels' "$state:…", presence events' "$presence:…")
// match only a pattern that starts with '$' too. A name holding a NUL byte
// matches only the empty pattern (fnmatch stops at it).
bool MatchesStreamGlob(absl::string_view pattern, absl::string_view name);

}  // namespace cable
