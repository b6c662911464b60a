#pragma once

#include <functional>
#include <string_view>

namespace cable::gateway {

// A file the gateway serves over HTTP (GET), e.g. a page and its scripts.
struct StaticFile {
  std::string_view path;  // e.g. "/cable-client/index.js"
  std::string_view content_type;
  std::string_view body;
};

// The file served at a request path, or nullptr. The shipped binaries
// serve the demo page and the JavaScript client (gateway/demo); an app's
// gateway may serve its own files or none.
using StaticFiles = std::function<const StaticFile*(std::string_view path)>;

}  // namespace cable::gateway
