#pragma once
// The release this build is: CMake's project(VERSION), one constant for
// every binary built from this tree (the server API's Info reports it).

#include "absl/strings/string_view.h"

namespace cable {

absl::string_view Version();

}  // namespace cable
