#pragma once

// Typed reads of fields in JSON that came over the network (JetStream
// replies, the state store's records). nlohmann's value()/get<T>() throw on
// a type mismatch and, worse, convert a float such as 1e300 to an integer
// with a cast whose result is undefined; these accept only the JSON type
// asked for and say "absent" otherwise, so a malformed reply is an error
// the caller names, never a crash.

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace cable::json_fields {

inline const nlohmann::json* Field(const nlohmann::json& object,
                                   std::string_view key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

// A non-negative integer (JSON 12, not 12.0 or "12").
inline std::optional<std::uint64_t> Unsigned(const nlohmann::json& object,
                                             std::string_view key) {
  const nlohmann::json* f = Field(object, key);
  if (f == nullptr || !f->is_number_unsigned()) return std::nullopt;
  return f->get<std::uint64_t>();
}

// An integer that fits an int (JetStream's error codes).
inline std::optional<int> Int(const nlohmann::json& object,
                              std::string_view key) {
  const nlohmann::json* f = Field(object, key);
  if (f == nullptr || !f->is_number_integer()) return std::nullopt;
  if (f->is_number_unsigned()) {
    const auto v = f->get<std::uint64_t>();
    if (v > static_cast<std::uint64_t>(std::numeric_limits<int>::max()))
      return std::nullopt;
    return static_cast<int>(v);
  }
  const auto v = f->get<std::int64_t>();
  if (v < std::numeric_limits<int>::min() ||
      v > std::numeric_limits<int>::max())
    return std::nullopt;
  return static_cast<int>(v);
}

inline std::optional<std::string> String(const nlohmann::json& object,
                                         std::string_view key) {
  const nlohmann::json* f = Field(object, key);
  if (f == nullptr || !f->is_string()) return std::nullopt;
  return f->get<std::string>();
}

inline std::optional<bool> Bool(const nlohmann::json& object,
                                std::string_view key) {
  const nlohmann::json* f = Field(object, key);
  if (f == nullptr || !f->is_boolean()) return std::nullopt;
  return f->get<bool>();
}

}  // namespace cable::json_fields
