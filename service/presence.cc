#include "cable/service/presence.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cable/control_bus.h"
#include "cable/protocol.h"
#include "cable/pubsub.h"
#include "cable/service/clock.h"

namespace cable::service {
namespace {

using nlohmann::json;

std::string Dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

bool Expired(const PresenceSession& s, absl::Time now) {
  return s.expires && *s.expires <= now;
}

// Members by id (of the sessions not expired at `now`): the info of the
// id's latest join.
std::map<std::string, const PresenceSession*> MembersOf(
    const std::vector<PresenceSession>& sessions, absl::Time now) {
  std::map<std::string, const PresenceSession*> out;
  for (const PresenceSession& s : sessions) {
    if (Expired(s, now)) continue;
    auto [it, added] = out.emplace(s.id, &s);
    if (!added && it->second->since <= s.since) it->second = &s;
  }
  return out;
}

std::vector<PresenceSession>::iterator FindSid(
    std::vector<PresenceSession>& sessions, absl::string_view sid) {
  return std::find_if(sessions.begin(), sessions.end(),
                      [&](const PresenceSession& s) { return s.sid == sid; });
}

bool DropExpired(std::vector<PresenceSession>& sessions, absl::Time now) {
  return std::erase_if(sessions, [&](const PresenceSession& s) {
           return Expired(s, now);
         }) > 0;
}

}  // namespace

Presence::Presence(PresenceStore& store, PubSub& pubsub, AliveGateways alive,
                   PresenceOptions options)
    : store_(store),
      pubsub_(pubsub),
      alive_(std::move(alive)),
      options_(std::move(options)),
      sweeper_(options_.clock != nullptr ? *options_.clock : RealClock(),
               options_.sweep_interval, [this] {
                 absl::StatusOr<int> swept = Sweep();
                 if (!swept.ok()) {
                   spdlog::warn("presence sweep: {}",
                                swept.status().ToString());
                 }
               }) {}

Presence::~Presence() = default;

absl::Time Presence::Now() {
  return options_.clock != nullptr ? options_.clock->Now() : absl::Now();
}

absl::StatusOr<int> Presence::Change(absl::string_view stream,
                                     const PresenceEdit& edit) {
  absl::StatusOr<PresenceUpdate> update = store_.Update(stream, edit);
  if (!update.ok()) return update.status();
  // Sessions still stored count, expired or not: an expired one leaves
  // when it is removed (the sweep's, or a write's on the way).
  const auto before = MembersOf(update->before, absl::InfinitePast());
  const auto after = MembersOf(update->after, absl::InfinitePast());
  const std::string events = protocol::PresenceStream(stream);
  int leaves = 0;
  absl::Status published;
  for (const auto& [id, session] : before) {
    if (after.contains(id)) continue;
    ++leaves;
    published.Update(
        pubsub_.Broadcast(events, Dump({{"type", "leave"}, {"id", id}})));
  }
  for (const auto& [id, session] : after) {
    if (before.contains(id)) continue;
    json info = json::parse(session->info, nullptr, false);
    if (info.is_discarded()) info = nullptr;
    published.Update(pubsub_.Broadcast(
        events, Dump({{"type", "join"}, {"id", id}, {"info", info}})));
  }
  if (!published.ok()) {
    // The set changed; its subscribers missed the event (a later info
    // request shows the truth).
    return absl::Status(
        published.code(),
        absl::StrCat("presence events of stream \"", stream,
                     "\" not published: ", published.message()));
  }
  return leaves;
}

absl::Status Presence::Join(absl::string_view stream, absl::string_view sid,
                            absl::string_view presence) {
  json parsed = json::parse(presence.begin(), presence.end(), nullptr, false);
  if (!parsed.is_object()) {
    return absl::InvalidArgumentError("\"presence\" must be a JSON object");
  }
  auto id_field = parsed.find("id");
  std::string id;
  if (id_field != parsed.end() && id_field->is_string()) {
    id = id_field->get<std::string>();
  } else if (id_field != parsed.end() && id_field->is_number()) {
    id = Dump(*id_field);
  }
  if (id.empty() || id.size() > options_.max_id_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"presence.id\" must be a non-empty string of at most ",
                     options_.max_id_bytes, " bytes (or a number)"));
  }
  auto info_field = parsed.find("info");
  const std::string info =
      info_field == parsed.end() ? "null" : Dump(*info_field);
  if (info.size() > options_.max_info_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("\"presence.info\" is over ",
                                                   options_.max_info_bytes,
                                                   " bytes of JSON"));
  }
  const absl::Time now = Now();
  bool full = false;
  absl::StatusOr<int> changed =
      Change(stream, [&](std::vector<PresenceSession>& sessions) {
        full = false;
        DropExpired(sessions, now);
        // A connection of this id that closed without leaving is this
        // client come back (or another of the id's): the live one takes
        // over, so an explicit leave is not kept waiting for its ttl.
        std::erase_if(sessions, [&](const PresenceSession& s) {
          return s.expires && s.id == id && s.sid != sid;
        });
        auto it = FindSid(sessions, sid);
        if (it == sessions.end()) {
          if (sessions.size() >= options_.max_sessions) {
            full = true;
            return false;
          }
          sessions.push_back({std::string(sid), id, info, now, std::nullopt});
          return true;
        }
        it->id = id;
        it->info = info;
        it->since = now;
        it->expires.reset();
        return true;
      });
  if (!changed.ok()) return changed.status();
  if (full) {
    return absl::ResourceExhaustedError(
        absl::StrCat("the presence set of this stream is full (",
                     options_.max_sessions, " connections)"));
  }
  return absl::OkStatus();
}

absl::Status Presence::Leave(absl::string_view stream, absl::string_view sid) {
  return Change(stream,
                [&](std::vector<PresenceSession>& sessions) {
                  auto it = FindSid(sessions, sid);
                  if (it == sessions.end()) return false;
                  sessions.erase(it);
                  return true;
                })
      .status();
}

absl::Status Presence::Detach(absl::string_view stream, absl::string_view sid) {
  if (options_.ttl <= absl::ZeroDuration()) return Leave(stream, sid);
  const absl::Time expires = Now() + options_.ttl;
  return Change(stream,
                [&](std::vector<PresenceSession>& sessions) {
                  auto it = FindSid(sessions, sid);
                  if (it == sessions.end() || it->expires) return false;
                  it->expires = expires;
                  return true;
                })
      .status();
}

absl::StatusOr<std::vector<PresenceMember>> Presence::Members(
    absl::string_view stream) {
  absl::StatusOr<std::vector<PresenceSession>> sessions = store_.Read(stream);
  if (!sessions.ok()) return sessions.status();
  std::vector<PresenceMember> out;
  for (const auto& [id, session] : MembersOf(*sessions, Now())) {
    out.push_back({id, session->info});
  }
  return out;
}

absl::StatusOr<PresenceStats> Presence::Stats(absl::string_view stream) {
  absl::StatusOr<std::vector<PresenceSession>> sessions = store_.Read(stream);
  if (!sessions.ok()) return sessions.status();
  const absl::Time now = Now();
  PresenceStats stats;
  for (const PresenceSession& s : *sessions) {
    if (!Expired(s, now)) ++stats.num_clients;
  }
  stats.num_users =
      static_cast<std::uint32_t>(MembersOf(*sessions, now).size());
  return stats;
}

absl::StatusOr<int> Presence::Sweep() {
  absl::StatusOr<std::vector<std::string>> alive_list = alive_();
  if (!alive_list.ok()) return alive_list.status();
  const std::set<std::string> alive(alive_list->begin(), alive_list->end());
  absl::StatusOr<std::vector<std::string>> streams = store_.Streams();
  if (!streams.ok()) return streams.status();
  int leaves = 0;
  for (const std::string& stream : *streams) {
    const absl::Time now = Now();
    absl::StatusOr<int> left =
        Change(stream, [&](std::vector<PresenceSession>& sessions) {
          return std::erase_if(sessions, [&](const PresenceSession& s) {
                   if (Expired(s, now)) return true;
                   if (now - s.since < options_.gateway_grace) return false;
                   return !alive.contains(
                       std::string(control::GatewayOfSession(s.sid)));
                 }) > 0;
        });
    if (!left.ok()) {
      spdlog::warn("presence sweep of stream {}: {}", stream,
                   left.status().ToString());
      continue;
    }
    leaves += *left;
  }
  return leaves;
}

std::string Presence::InfoMessage(const std::vector<PresenceMember>& members) {
  json records = json::array();
  for (const PresenceMember& m : members) {
    json info = json::parse(m.info, nullptr, false);
    if (info.is_discarded()) info = nullptr;
    records.push_back({{"id", m.id}, {"info", std::move(info)}});
  }
  return Dump({{"type", "info"},
               {"total", members.size()},
               {"records", std::move(records)}});
}

}  // namespace cable::service
