#include "cable/service/utf8.h"

#include <simdjson.h>

namespace cable::service {

bool IsUtf8(absl::string_view text) {
  return simdjson::validate_utf8(text.data(), text.size());
}

}  // namespace cable::service
