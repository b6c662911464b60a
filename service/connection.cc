#include "cable/service/connection.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cable/service/utf8.h"

namespace cable::service {
namespace {

// Decodes %XX escapes and '+' (form encoding). Malformed escapes are kept
// as they are.
std::string PercentDecode(absl::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < in.size()) {
      int value = 0;
      if (absl::SimpleHexAtoi(in.substr(i + 1, 2), &value)) {
        out.push_back(static_cast<char>(value));
        i += 2;
      } else {
        out.push_back(c);
      }
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::optional<std::string> Find(const StringMap& map, absl::string_view key) {
  auto it = map.find(std::string(key));
  if (it == map.end()) return std::nullopt;
  return it->second;
}

}  // namespace

std::optional<std::string> ConnectionEnv::query_param(
    absl::string_view name) const {
  absl::string_view target = url;
  const auto question = target.find('?');
  if (question == absl::string_view::npos) return std::nullopt;
  absl::string_view query = target.substr(question + 1);
  query = query.substr(0, query.find('#'));
  for (absl::string_view pair : absl::StrSplit(query, '&')) {
    if (pair.empty()) continue;
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(pair, absl::MaxSplits('=', 1));
    if (PercentDecode(kv.first) != name) continue;
    // A value that is not UTF-8 could not travel in a proto3 string (an
    // identifier, say): it is treated as absent.
    std::string value = PercentDecode(kv.second);
    if (!IsUtf8(value)) return std::nullopt;
    return value;
  }
  return std::nullopt;
}

std::optional<std::string> ConnectionEnv::header(absl::string_view name) const {
  return Find(headers, absl::AsciiStrToLower(name));
}

std::optional<std::string> ConnectionEnv::cookie(absl::string_view name) const {
  return Find(cookies, name);
}

void Connection::set_identifier(absl::string_view name,
                                absl::string_view value) {
  state_.identifiers[std::string(name)] = std::string(value);
}

absl::StatusOr<std::string> Connection::identifier(
    absl::string_view name) const {
  const bool declared =
      declared_identifiers_ != nullptr &&
      std::find(declared_identifiers_->begin(), declared_identifiers_->end(),
                name) != declared_identifiers_->end();
  if (!declared) {
    return absl::InvalidArgumentError(absl::StrCat(
        "identifier \"", name, "\" is not declared with identified_by"));
  }
  auto value = Find(state_.identifiers, name);
  if (!value) {
    return absl::NotFoundError(
        absl::StrCat("identifier \"", name, "\" is not set"));
  }
  return *std::move(value);
}

ConnectionClass::ConnectionClass()
    : factory_([] { return std::make_unique<Connection>(); }) {}

ConnectionClass::ConnectionClass(Factory factory)
    : factory_(std::move(factory)) {}

ConnectionClass& ConnectionClass::identified_by(
    const std::vector<std::string>& names) {
  for (const auto& name : names) {
    if (std::find(declared_identifiers_.begin(), declared_identifiers_.end(),
                  name) == declared_identifiers_.end()) {
      declared_identifiers_.push_back(name);
    }
  }
  return *this;
}

std::unique_ptr<Connection> ConnectionClass::Create(
    ConnectionState state) const {
  std::unique_ptr<Connection> connection =
      factory_ ? factory_() : std::make_unique<Connection>();
  if (!connection) connection = std::make_unique<Connection>();
  connection->state_ = std::move(state);
  connection->declared_identifiers_ = &declared_identifiers_;
  return connection;
}

}  // namespace cable::service
