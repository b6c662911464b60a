#include "cable/gateway/jetstream_session_store.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cable/nats_connection.h"
#include "cable/stream_subject.h"

namespace cable::gateway {
namespace {

constexpr std::size_t kMaxStreamName = 32;

bool ValidStreamName(absl::string_view name) {
  if (name.empty() || name.size() > kMaxStreamName) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' ||
           c == '-';
  });
}

std::string Encode(const SessionSnapshot& snapshot) {
  return nlohmann::json(snapshot).dump();
}

absl::StatusOr<SessionSnapshot> Decode(absl::string_view data) {
  const nlohmann::json parsed =
      nlohmann::json::parse(data, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_array()) {
    return absl::InternalError("session snapshot is not a JSON array");
  }
  SessionSnapshot out;
  for (const auto& item : parsed) {
    if (!item.is_string()) {
      return absl::InternalError("session snapshot holds a non-string");
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<JetStreamSessionStore>>
JetStreamSessionStore::Create(std::unique_ptr<JetStreamClient> client,
                              JetStreamSessionStoreOptions options) {
  if (client == nullptr) {
    return absl::InvalidArgumentError("JetStream session store: no client");
  }
  if (!ValidStreamName(options.stream_name)) {
    return absl::InvalidArgumentError(
        absl::StrCat("JetStream session stream name \"", options.stream_name,
                     "\": 1 to ", kMaxStreamName, " of [A-Za-z0-9_-]"));
  }
  if (absl::Status s = ValidateSubjectPrefix(options.subject_prefix); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("JetStream session subject prefix: ", s.message()));
  }
  if (options.ttl <= std::chrono::milliseconds::zero() ||
      options.max_batch < 1 || options.replicas < 1) {
    return absl::InvalidArgumentError(
        "JetStream session store: ttl must be positive, max_batch and "
        "replicas at least 1");
  }
  std::unique_ptr<JetStreamSessionStore> store(
      new JetStreamSessionStore(std::move(client), std::move(options)));
  if (absl::Status s = store->EnsureStream(); !s.ok()) return s;
  store->worker_ = std::thread([s = store.get()] { s->Work(); });
  return store;
}

JetStreamSessionStore::JetStreamSessionStore(
    std::unique_ptr<JetStreamClient> client,
    JetStreamSessionStoreOptions options)
    : client_(std::move(client)), options_(std::move(options)) {}

JetStreamSessionStore::~JetStreamSessionStore() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (worker_.joinable()) worker_.join();
}

std::string JetStreamSessionStore::Subject(absl::string_view sid) const {
  return StreamSubject(options_.subject_prefix, sid);
}

absl::Status JetStreamSessionStore::EnsureStream() {
  const std::string subjects = absl::StrCat(options_.subject_prefix, ".>");
  const char* subject_ptr = subjects.c_str();
  jsStreamConfig config;
  jsStreamConfig_Init(&config);
  config.Name = options_.stream_name.c_str();
  config.Subjects = &subject_ptr;
  config.SubjectsLen = 1;
  // KV-style: a session's last save is all that counts, and it goes TTL
  // after it was written.
  config.MaxMsgsPerSubject = 1;
  config.MaxAge = absl::ToInt64Nanoseconds(absl::FromChrono(options_.ttl));
  config.Storage = options_.memory_storage ? js_MemoryStorage : js_FileStorage;
  config.Replicas = options_.replicas;
  config.AllowDirect = true;
  // (Another gateway made it with another TTL: the last started wins.)
  return client_->EnsureStream(
      config, /*update_existing=*/true,
      absl::StrCat("JetStream session stream ", options_.stream_name));
}

void JetStreamSessionStore::Save(absl::string_view sid,
                                 SessionSnapshot snapshot) {
  absl::MutexLock lock(&mu_);
  auto it = saves_.find(sid);
  if (it != saves_.end()) {
    it->second = std::move(snapshot);  // not written yet: the latest wins
    return;
  }
  if (save_order_.size() >= options_.max_queued) {
    spdlog::warn("session store: {} saves queued, session {} not saved",
                 save_order_.size(), std::string(sid));
    return;
  }
  saves_.emplace(std::string(sid), std::move(snapshot));
  save_order_.emplace_back(sid);
}

void JetStreamSessionStore::Load(absl::string_view sid, SessionLoadDone done) {
  absl::StatusOr<std::optional<SessionSnapshot>> answer;
  {
    absl::MutexLock lock(&mu_);
    if (auto it = saves_.find(sid); it != saves_.end()) {
      // Saved and not written yet: that is the latest.
      answer = std::optional<SessionSnapshot>(it->second);
    } else if (stopping_) {
      answer = absl::CancelledError("session store closed");
    } else if (loads_.size() >= options_.max_queued) {
      answer = absl::ResourceExhaustedError(
          absl::StrCat("session store: ", loads_.size(), " lookups queued"));
    } else {
      loads_.push_back({std::string(sid), std::move(done)});
      return;
    }
  }
  std::move(done)(std::move(answer));
}

void JetStreamSessionStore::Work() {
  for (;;) {
    std::vector<std::pair<std::string, SessionSnapshot>> saves;
    std::vector<PendingLoad> loads;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || !save_order_.empty() || !loads_.empty();
      };
      mu_.Await(absl::Condition(&ready));
      if (stopping_ && save_order_.empty() && loads_.empty()) return;
      while (!save_order_.empty() &&
             saves.size() + loads.size() < options_.max_batch) {
        auto node = saves_.extract(save_order_.front());
        save_order_.pop_front();
        saves.emplace_back(std::move(node.key()), std::move(node.mapped()));
      }
      while (!loads_.empty() &&
             saves.size() + loads.size() < options_.max_batch) {
        if (stopping_) break;  // failed below, outside the lock
        loads.push_back(std::move(loads_.front()));
        loads_.pop_front();
      }
    }
    Run(std::move(saves), std::move(loads));
    std::deque<PendingLoad> cancelled;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) cancelled.swap(loads_);
    }
    for (PendingLoad& load : cancelled) {
      std::move(load.done)(absl::CancelledError("session store closed"));
    }
  }
}

void JetStreamSessionStore::Run(
    std::vector<std::pair<std::string, SessionSnapshot>> saves,
    std::vector<PendingLoad> loads) {
  if (saves.empty() && loads.empty()) return;
  std::vector<JsRequest> requests;
  requests.reserve(saves.size() + loads.size());
  for (const auto& [sid, snapshot] : saves) {
    requests.push_back(
        JetStreamClient::Publish(Subject(sid), Encode(snapshot)));
  }
  for (const PendingLoad& load : loads) {
    requests.push_back(
        JetStreamClient::GetLast(options_.stream_name, Subject(load.sid)));
  }
  absl::StatusOr<std::vector<NatsMsgPtr>> replies = client_->Batch(requests);
  if (!replies.ok()) {
    spdlog::warn("session store: {} saves and {} lookups failed: {}",
                 saves.size(), loads.size(), replies.status().ToString());
    for (PendingLoad& load : loads) std::move(load.done)(replies.status());
    return;
  }
  for (std::size_t i = 0; i < saves.size(); ++i) {
    absl::StatusOr<std::uint64_t> ack = JetStreamClient::PubAck((*replies)[i]);
    if (!ack.ok()) {
      spdlog::warn("session store: session {} not saved: {}", saves[i].first,
                   ack.status().ToString());
    }
  }
  const absl::Time now = absl::Now();
  for (std::size_t i = 0; i < loads.size(); ++i) {
    absl::StatusOr<std::optional<StoredMsg>> got =
        JetStreamClient::Got(std::move((*replies)[saves.size() + i]));
    absl::StatusOr<std::optional<SessionSnapshot>> answer;
    if (!got.ok()) {
      answer = got.status();
    } else if (!got->has_value() ||
               (*got)->time + absl::FromChrono(options_.ttl) <= now) {
      // (The server expires old messages now and then, not at once.)
      answer = std::optional<SessionSnapshot>();
    } else if (absl::StatusOr<SessionSnapshot> snapshot =
                   Decode((*got)->data());
               snapshot.ok()) {
      answer = std::optional<SessionSnapshot>(*std::move(snapshot));
    } else {
      answer = snapshot.status();
    }
    std::move(loads[i].done)(std::move(answer));
  }
}

}  // namespace cable::gateway
