#include "cable/version.h"

// CABLE_VERSION is defined for this file alone (sdk/CMakeLists.txt), so a
// new version recompiles one file.
namespace cable {

absl::string_view Version() { return CABLE_VERSION; }

}  // namespace cable
