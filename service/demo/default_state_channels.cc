#include "cable/service/demo/default_state_channels.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "cable/service/app_connection.h"

namespace cable::service {
namespace {

using nlohmann::json;

const ChannelPath& BoardPath() {
  static const ChannelPath* const path =
      new ChannelPath({"board", Pattern(R"(^[A-Za-z0-9_-]{1,64}$)")});
  return *path;
}

constexpr int kCells = 9;

// Who a client is on the board: its user, or its connection when anonymous.
std::string Who(const StateClient& client) {
  std::string user =
      client.identifier(std::string(AppConnection::kCurrentUser));
  return user.empty() ? client.sid() : user;
}

absl::StatusOr<std::int64_t> Amount(const json& payload, const char* key,
                                    std::int64_t fallback) {
  if (payload.is_null()) return fallback;
  if (!payload.is_object()) {
    return absl::InvalidArgumentError("payload must be an object");
  }
  auto it = payload.find(key);
  if (it == payload.end()) return fallback;
  if (!it->is_number_integer()) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", key, "\" must be an integer"));
  }
  return it->get<std::int64_t>();
}

std::int64_t Count(const json& state) {
  auto it = state.find("count");
  return it != state.end() && it->is_number_integer() ? it->get<std::int64_t>()
                                                      : 0;
}

// Adds `by` to the count; the event says who did it.
absl::StatusOr<Change> Increment(json& state, std::int64_t by,
                                 const std::string& who) {
  state["count"] = Count(state) + by;
  return Change{.events = {{{"increment", by}, {"by", who}}}};
}

// present[who][worker] += delta, dropping what reaches zero.
void Present(json& state, const std::string& who, const std::string& worker,
             int delta) {
  json& present = state["present"];
  if (!present.is_object()) present = json::object();
  json& mine = present[who];
  if (!mine.is_object()) mine = json::object();
  const std::int64_t n = mine.value(worker, std::int64_t{0}) + delta;
  if (n > 0) {
    mine[worker] = n;
  } else {
    mine.erase(worker);
  }
  if (mine.empty()) present.erase(who);
}

}  // namespace

absl::Status RegisterDefaultStateChannels(StateChannels& channels) {
  StateChannels* bs = &channels;
  channels.OnJoin(BoardPath(),
                  [](const std::string& name, const StateClient& c,
                     const JoinAttrs& attrs) -> JoinResult {
                    // Presence, guarded: if this client's gateway dies,
                    // OnCleanup takes it off the board.
                    absl::Status st = c.LockState(
                        name, [&](json& state) -> absl::StatusOr<Change> {
                          Present(state, Who(c), c.worker_uuid(), +1);
                          return Change{.events = {}, .guard = 1};
                        });
                    if (!st.ok()) return st;
                    Join join;
                    if (attrs.is_reconnect) {
                      join.limit = std::nullopt;  // everything missed
                    } else {
                      join.limit = 20;
                    }
                    return std::optional<Join>(join);
                  });
  channels.OnLeave(
      BoardPath(), [](const std::string& name, const StateClient& c) {
        (void)c.LockState(name, [&](json& state) -> absl::StatusOr<Change> {
          Present(state, Who(c), c.worker_uuid(), -1);
          return Change{.events = {}, .guard = -1};
        });
      });
  channels.OnCleanup(
      BoardPath(),
      [](const std::string& name, Txn& txn,
         const std::set<std::string>& alive) -> absl::Status {
        return txn.LockState(name, [&](json& state) -> absl::StatusOr<Change> {
          json& present = state["present"];
          if (!present.is_object()) return Change{};
          for (auto who = present.begin(); who != present.end();) {
            json& workers = who.value();
            for (auto w = workers.begin(); w != workers.end();) {
              w = alive.contains(w.key()) ? std::next(w) : workers.erase(w);
            }
            who = workers.empty() ? present.erase(who) : std::next(who);
          }
          return Change{};
        });
      });
  channels.OnAction(
      BoardPath(), "set",
      [](const std::string& name, const StateClient& c,
         const json& payload) -> absl::Status {
        if (!payload.is_object() || !payload.contains("cell") ||
            !payload["cell"].is_number_integer()) {
          return absl::InvalidArgumentError("set needs an integer \"cell\"");
        }
        const std::int64_t cell = payload["cell"].get<std::int64_t>();
        if (cell < 0 || cell >= kCells) {
          return absl::OutOfRangeError(
              absl::StrCat("cell must be 0..", kCells - 1));
        }
        json value = payload.value("value", json());
        return c.LockState(name, [&](json& state) -> absl::StatusOr<Change> {
          json& cells = state["cells"];
          if (!cells.is_array()) cells = json::array();
          while (cells.size() < kCells) cells.push_back(nullptr);
          cells[cell] = value;
          return Change{
              .events = {{{"set", cell}, {"value", value}, {"by", Who(c)}}}};
        });
      });
  channels.OnAction(
      BoardPath(), "increment",
      [](const std::string& name, const StateClient& c,
         const json& payload) -> absl::Status {
        absl::StatusOr<std::int64_t> by = Amount(payload, "by", 1);
        if (!by.ok()) return by.status();
        return c.LockState(
            name, [&](json& state) { return Increment(state, *by, Who(c)); });
      });
  channels.OnRequest(
      BoardPath(), "increment",
      SyncRequestHandler([](const std::string& name, const StateClient& c,
                            const json& payload) -> absl::StatusOr<json> {
        absl::StatusOr<std::int64_t> by = Amount(payload, "by", 1);
        if (!by.ok()) return by.status();
        std::int64_t now = 0;
        absl::Status st = c.LockState(name, [&](json& state) {
          auto change = Increment(state, *by, Who(c));
          now = Count(state);
          return change;
        });
        if (!st.ok()) return st;
        return json(now);
      }));
  channels.OnRequest(
      BoardPath(), "take",
      SyncRequestHandler([](const std::string& name, const StateClient& c,
                            const json& payload) -> absl::StatusOr<json> {
        absl::StatusOr<std::int64_t> amount = Amount(payload, "amount", 1);
        if (!amount.ok()) return amount.status();
        std::int64_t now = 0;
        absl::Status st =
            c.LockState(name, [&](json& state) -> absl::StatusOr<Change> {
              if (Count(state) < *amount) {
                return absl::FailedPreconditionError(absl::StrCat(
                    "only ", Count(state), " left, cannot take ", *amount));
              }
              auto change = Increment(state, -*amount, Who(c));
              now = Count(state);
              return change;
            });
        if (!st.ok()) return st;
        return json(now);
      }));
  channels.OnRequest(
      BoardPath(), "transfer",
      SyncRequestHandler([](const std::string& name, const StateClient& c,
                            const json& payload) -> absl::StatusOr<json> {
        absl::StatusOr<std::int64_t> amount = Amount(payload, "amount", 1);
        if (!amount.ok()) return amount.status();
        if (!payload.is_object() || !payload.contains("to") ||
            !payload["to"].is_string()) {
          return absl::InvalidArgumentError(
              "transfer needs \"to\": a board channel name");
        }
        const std::string to = payload["to"].get<std::string>();
        if (!BoardPath().Matches(to) || to == name) {
          return absl::InvalidArgumentError(
              absl::StrCat("cannot transfer to \"", to, "\""));
        }
        absl::Status st =
            c.LockState(std::vector<std::string>{name, to},
                        [&](std::vector<json>& states)
                            -> absl::StatusOr<std::vector<Change>> {
                          if (Count(states[0]) < *amount) {
                            return absl::FailedPreconditionError(absl::StrCat(
                                "only ", Count(states[0]), " left"));
                          }
                          auto out = Increment(states[0], -*amount, Who(c));
                          auto in = Increment(states[1], *amount, Who(c));
                          return std::vector<Change>{*out, *in};
                        });
        if (!st.ok()) return st;
        return json(true);
      }));
  json demo = {
      {"count", 0}, {"cells", json::array()}, {"present", json::object()}};
  for (int i = 0; i < kCells; ++i) demo["cells"].push_back(nullptr);
  absl::StatusOr<bool> created =
      bs->CreateChannel("board:demo", demo, {.type = "board"});
  return created.status();
}

}  // namespace cable::service
