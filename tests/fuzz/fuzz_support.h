#pragma once
// What every fuzz target shares: splitting the fuzzer's bytes into the
// pieces a target needs, and checking an invariant (a failed check aborts,
// which libFuzzer reports as a crash and the corpus replayer as a failed
// test).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"

// Aborts with `what` and where when `cond` is false.
#define FUZZ_CHECK(cond, what)                                             \
  do {                                                                     \
    if (!(cond)) {                                                         \
      std::fprintf(stderr, "%s:%d: invariant failed: %s (%s)\n", __FILE__, \
                   __LINE__, what, #cond);                                 \
      std::abort();                                                        \
    }                                                                      \
  } while (0)

namespace cable::fuzz {

// Whether `s` is UTF-8 (RFC 3629: no overlong forms, no surrogates,
// nothing above U+10FFFF).
inline bool IsUtf8(absl::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;  // cut short
    for (std::size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

// The fuzzer's bytes, taken from the front.
class Input final {
 public:
  Input(const std::uint8_t* data, std::size_t size)
      : rest_(reinterpret_cast<const char*>(data), size) {}

  bool empty() const { return rest_.empty(); }
  std::size_t size() const { return rest_.size(); }

  // One byte, 0 when none is left.
  std::uint8_t Byte() {
    if (rest_.empty()) return 0;
    const auto b = static_cast<std::uint8_t>(rest_[0]);
    rest_.remove_prefix(1);
    return b;
  }

  // The bytes up to the first `separator` (all that is left when there is
  // none); the separator is consumed.
  absl::string_view Until(char separator) {
    const std::size_t at = rest_.find(separator);
    absl::string_view piece = rest_.substr(0, at);
    rest_.remove_prefix(at == absl::string_view::npos ? rest_.size() : at + 1);
    return piece;
  }

  // Everything that is left.
  absl::string_view rest() {
    absl::string_view all = rest_;
    rest_ = {};
    return all;
  }

 private:
  absl::string_view rest_;
};

}  // namespace cable::fuzz
