#pragma once

#include "absl/strings/string_view.h"

namespace cable::gateway {

// The demo chat page served at "/" (gateway/static/index.html, embedded at
// build time).
absl::string_view DemoPage();
// sdk/js/cable-state.js, the stateful-channel client the page imports,
// served at "/cable-state.js".
absl::string_view CableStateScript();

}  // namespace cable::gateway
