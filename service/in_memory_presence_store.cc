#include <nlohmann/json.hpp>

#include "cable/service/presence_store.h"

namespace cable::service {

absl::StatusOr<PresenceUpdate> InMemoryPresenceStore::Update(
    absl::string_view stream, const PresenceEdit& edit) {
  absl::MutexLock lock(&mu_);
  auto it = sets_.find(stream);
  PresenceUpdate update;
  if (it != sets_.end()) update.before = it->second;
  update.after = update.before;
  if (!edit(update.after)) {
    update.after = update.before;
    return update;
  }
  if (update.after.empty()) {
    if (it != sets_.end()) sets_.erase(it);
  } else {
    sets_[stream] = update.after;
  }
  return update;
}

absl::StatusOr<std::vector<PresenceSession>> InMemoryPresenceStore::Read(
    absl::string_view stream) {
  absl::MutexLock lock(&mu_);
  auto it = sets_.find(stream);
  if (it == sets_.end()) return std::vector<PresenceSession>();
  return it->second;
}

absl::StatusOr<std::vector<std::string>> InMemoryPresenceStore::Streams() {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> out;
  out.reserve(sets_.size());
  for (const auto& [stream, set] : sets_) out.push_back(stream);
  return out;
}

namespace {

std::int64_t Millis(absl::Time t) { return absl::ToUnixMillis(t); }

}  // namespace

std::string EncodePresenceSet(const std::vector<PresenceSession>& sessions) {
  nlohmann::json out = nlohmann::json::array();
  for (const PresenceSession& s : sessions) {
    nlohmann::json one = {{"sid", s.sid},
                          {"id", s.id},
                          {"info", s.info},
                          {"since", Millis(s.since)}};
    if (s.expires) one["expires"] = Millis(*s.expires);
    out.push_back(std::move(one));
  }
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

absl::StatusOr<std::vector<PresenceSession>> DecodePresenceSet(
    absl::string_view text) {
  if (text.empty()) return std::vector<PresenceSession>();
  nlohmann::json parsed =
      nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (!parsed.is_array()) {
    return absl::DataLossError("a stored presence set is not a JSON array");
  }
  std::vector<PresenceSession> out;
  for (const auto& one : parsed) {
    auto sid = one.find("sid");
    auto id = one.find("id");
    auto info = one.find("info");
    auto since = one.find("since");
    if (!one.is_object() || sid == one.end() || !sid->is_string() ||
        id == one.end() || !id->is_string() || info == one.end() ||
        !info->is_string() || since == one.end() ||
        !since->is_number_integer()) {
      return absl::DataLossError("a stored presence session is malformed");
    }
    PresenceSession s;
    s.sid = sid->get<std::string>();
    s.id = id->get<std::string>();
    s.info = info->get<std::string>();
    s.since = absl::FromUnixMillis(since->get<std::int64_t>());
    auto expires = one.find("expires");
    if (expires != one.end() && expires->is_number_integer()) {
      s.expires = absl::FromUnixMillis(expires->get<std::int64_t>());
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace cable::service
