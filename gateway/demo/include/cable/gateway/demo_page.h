#pragma once

#include <string_view>

#include "cable/gateway/static_files.h"

namespace cable::gateway {

// The files of the shipped binaries' demo, embedded at build time from the
// list in gateway/demo/CMakeLists.txt: "/" and "/index.html" are the demo
// page (gateway/demo/index.html); "/cable-client/<file>" are the browser
// files of the JavaScript client (sdk/js), which the page imports;
// "/cable-state.js" re-exports "/cable-client/cable-state.js" for pages that
// load the stateful-channel client from its old place. nullptr otherwise.
const StaticFile* FindDemoFile(std::string_view path);

}  // namespace cable::gateway
