#include "cable/stream_glob.h"

#include <fnmatch.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "cable/protocol.h"

namespace cable {
namespace {

// The index just past the `]` closing the set that opens at `open`, or
// npos. As fnmatch reads a set: a `!` or `^` first negates, a `]` first
// (after it) is a member, `\` escapes the next character.
std::size_t SetEnd(absl::string_view pattern, std::size_t open) {
  std::size_t i = open + 1;
  if (i < pattern.size() && (pattern[i] == '!' || pattern[i] == '^')) ++i;
  if (i < pattern.size() && pattern[i] == ']') ++i;
  while (i < pattern.size()) {
    if (pattern[i] == '\\') {
      i += 2;
      continue;
    }
    if (pattern[i] == ']') return i + 1;
    ++i;
  }
  return absl::string_view::npos;
}

}  // namespace

absl::Status ValidateStreamGlob(absl::string_view pattern) {
  if (pattern.size() > kMaxStreamGlobBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("pattern is ", pattern.size(), " bytes, at most ",
                     kMaxStreamGlobBytes));
  }
  if (pattern.find('\0') != absl::string_view::npos) {
    return absl::InvalidArgumentError("pattern must not hold a NUL byte");
  }
  for (std::size_t i = 0; i < pattern.size();) {
    if (pattern[i] == '\\') {
      if (i + 1 == pattern.size()) {
        return absl::InvalidArgumentError(
            "pattern ends with a lone \\ (write \\\\ for a backslash)");
      }
      i += 2;
    } else if (pattern[i] == '[') {
      const std::size_t end = SetEnd(pattern, i);
      if (end == absl::string_view::npos) {
        return absl::InvalidArgumentError(
            absl::StrCat("pattern has a [ at byte ", i,
                         " that is never closed (write \\[ for a bracket)"));
      }
      i = end;
    } else {
      ++i;
    }
  }
  return absl::OkStatus();
}

bool MatchesStreamGlob(absl::string_view pattern, absl::string_view name) {
  // Internal streams ("$state:…", "$presence:…") only when asked for.
  if (protocol::IsInternalStream(name) &&
      !protocol::IsInternalStream(pattern)) {
    return false;
  }
  if (pattern.empty()) return true;
  if (name.find('\0') != absl::string_view::npos) return false;
  const std::string p(pattern);
  const std::string n(name);
  return fnmatch(p.c_str(), n.c_str(), 0) == 0;
}

}  // namespace cable
