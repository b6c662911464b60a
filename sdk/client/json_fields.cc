#include "json_fields.h"

#include "absl/strings/numbers.h"

namespace cable::client_internal {

std::string StringField(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

std::optional<std::uint64_t> U64Field(const nlohmann::json& object,
                                      const char* key) {
  if (!object.is_object()) return std::nullopt;
  auto it = object.find(key);
  if (it == object.end()) return std::nullopt;
  if (it->is_number_unsigned()) return it->get<std::uint64_t>();
  if (it->is_number_integer()) {
    const std::int64_t value = it->get<std::int64_t>();
    if (value >= 0) return static_cast<std::uint64_t>(value);
    return std::nullopt;
  }
  if (it->is_string()) {
    const std::string& text = it->get_ref<const std::string&>();
    std::uint64_t value = 0;
    if (!text.empty() && text.find_first_not_of("0123456789") == text.npos &&
        absl::SimpleAtoi(text, &value)) {
      return value;
    }
  }
  return std::nullopt;
}

std::string ErrorText(const nlohmann::json& error) {
  return error.is_string() ? error.get<std::string>() : error.dump();
}

}  // namespace cable::client_internal
