#pragma once

#include "absl/strings/string_view.h"

namespace cable::gateway {

// The demo chat page served at "/" (gateway/static/index.html, embedded at
// build time).
absl::string_view DemoPage();

}  // namespace cable::gateway
