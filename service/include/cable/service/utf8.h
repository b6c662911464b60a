#pragma once

// UTF-8 validation for what reaches a proto3 string field: the gateway
// parses every answer, and a string that is not UTF-8 makes the whole
// message unparsable, so the service checks before it answers.

#include "absl/strings/string_view.h"

namespace cable::service {

// Whether `text` is well-formed UTF-8 (no overlong forms, surrogates or
// code points above U+10FFFF).
bool IsUtf8(absl::string_view text);

}  // namespace cable::service
