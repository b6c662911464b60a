#pragma once
// Lenient readers for fields of server frames: a missing or mistyped field
// reads as absent, as the JS client treats it.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace cable::client_internal {

// The string member `key` of `object`, "" when absent or not a string.
std::string StringField(const nlohmann::json& object, const char* key);

// The non-negative integer member `key` (a number, or a string of digits as
// the protocol allows for ids); nullopt otherwise (absent, null, negative).
std::optional<std::uint64_t> U64Field(const nlohmann::json& object,
                                      const char* key);

// An `error` value as text: a string as is, anything else as JSON.
std::string ErrorText(const nlohmann::json& error);

}  // namespace cable::client_internal
