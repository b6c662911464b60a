#include "cable/env_flags.h"

#include <cstdlib>
#include <string>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace cable {

absl::Status ApplyEnvironmentToFlags(absl::string_view prefix) {
  for (auto& [name, flag] : absl::GetAllFlags()) {
    const std::string var = absl::StrCat(prefix, absl::AsciiStrToUpper(name));
    const char* value = std::getenv(var.c_str());
    if (value == nullptr) continue;
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      return absl::InvalidArgumentError(
          absl::StrCat("environment variable ", var, ": ", error));
    }
  }
  return absl::OkStatus();
}

}  // namespace cable
