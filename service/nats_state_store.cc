#include "cable/service/nats_state_store.h"

#include <nats/nats.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "cable/service/jetstream_client.h"
#include "cable/stream_subject.h"
#include "json_fields.h"
#include "nlohmann/json.hpp"

namespace cable::service {
namespace {

using Json = nlohmann::json;

// Room left in a message for headers and the protocol line.
constexpr std::size_t kHeaderRoom = 8 * 1024;
constexpr std::size_t kMinChunkBytes = 1024;
constexpr std::size_t kMaxPrefixBytes = 32;
// Channels known to exist (they are never deleted) spare Lock a check.
constexpr std::size_t kMaxKnownChannels = 100000;
// Reads that find a value's chunks gone (replaced meanwhile) start over.
constexpr int kReadAttempts = 5;
constexpr absl::Duration kMinBackoff = absl::Milliseconds(1);
constexpr absl::Duration kMaxBackoff = absl::Milliseconds(32);
// Events: above this many ids, ask for the first stored one first.
constexpr std::uint64_t kProbeFirstAbove = 256;
// JetStream: "stream name already in use".
constexpr int kStreamNameInUse = 10058;
constexpr char kTypeHeader[] = "Cable-Type";
constexpr char kBlobHeader[] = "Cable-Blob";
constexpr char kChunksHeader[] = "Cable-Chunks";
constexpr char kIntentMagic[] = "cable-intent-2";

// A fresh id for blobs and intents: 128 random bits, base 62.
std::string UniqueId() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kDigits[] =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string id;
  for (int half = 0; half < 2; ++half) {
    std::uint64_t v = rng();
    for (int i = 0; i < 11; ++i) {
      id.push_back(kDigits[v % 62]);
      v /= 62;
    }
  }
  return id;
}

std::chrono::nanoseconds Jittered(absl::Duration d) {
  thread_local std::mt19937 rng{std::random_device{}()};
  const std::int64_t ns = absl::ToInt64Nanoseconds(d);
  std::uniform_int_distribution<std::int64_t> dist(ns / 2, ns);
  return std::chrono::nanoseconds(dist(rng));
}

// Length-prefixed fields ("<size>:<bytes>") for intents: any bytes, no
// escaping.
void AppendField(std::string* out, absl::string_view value) {
  absl::StrAppend(out, value.size(), ":", value);
}

bool ReadField(absl::string_view* in, absl::string_view* value) {
  const std::size_t colon = in->find(':');
  std::size_t size = 0;
  if (colon == absl::string_view::npos ||
      !absl::SimpleAtoi(in->substr(0, colon), &size) ||
      in->size() - colon - 1 < size) {
    return false;
  }
  *value = in->substr(colon + 1, size);
  in->remove_prefix(colon + 1 + size);
  return true;
}

bool ReadNumber(absl::string_view* in, std::uint64_t* value) {
  absl::string_view field;
  return ReadField(in, &field) && absl::SimpleAtoi(field, value);
}

absl::Status NoSuchChannel(absl::string_view name) {
  return absl::NotFoundError(absl::StrCat("no channel \"", name, "\""));
}

absl::Status NotHeld(absl::string_view owner, absl::string_view name) {
  return absl::FailedPreconditionError(
      absl::StrCat("\"", owner, "\" does not hold the lock of channel \"", name,
                   "\" (never taken, released, or its lease ran out)"));
}

// The text after the last '.' of a subject.
absl::string_view LastToken(absl::string_view subject) {
  const std::size_t dot = subject.rfind('.');
  return dot == absl::string_view::npos ? subject : subject.substr(dot + 1);
}

// Runs `f`, turning an escaped exception into Internal: nothing throws out
// of the store.
template <typename F>
auto NoThrow(absl::string_view what, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception& e) {
    return absl::InternalError(
        absl::StrCat("state store ", what, ": ", e.what()));
  }
}

// A channel's head record as stored in P_channels.
struct Head {
  std::uint64_t revision = 0;
  std::uint64_t last_event_id = 0;
  std::string type;
  bool keep_events = true;
  // A chunked state: its blob id and number of chunks; else inline.
  std::string blob;
  std::uint64_t chunks = 0;
  std::string inline_state;
  // The multi-key commit that wrote this head, if any.
  std::string txn;
  // Stream sequence of the message this was read from.
  std::uint64_t seq = 0;
};

std::string HeaderLine(const Head& h) {
  Json j = {{"rev", h.revision},
            {"last", h.last_event_id},
            {"type", h.type},
            {"keep", h.keep_events}};
  if (!h.blob.empty()) {
    j["blob"] = h.blob;
    j["chunks"] = h.chunks;
  }
  if (!h.txn.empty()) j["txn"] = h.txn;
  return j.dump();
}

std::string EncodeHead(const Head& h) {
  std::string out = HeaderLine(h);
  out.push_back('\n');
  if (h.blob.empty()) out.append(h.inline_state);
  return out;
}

absl::StatusOr<Head> DecodeHead(absl::string_view data, std::uint64_t seq) {
  const std::size_t newline = data.find('\n');
  const Json j =
      newline == absl::string_view::npos
          ? Json(nullptr)
          : Json::parse(data.begin(), data.begin() + newline, nullptr, false);
  if (!j.is_object()) {
    return absl::DataLossError("channel record without a valid header");
  }
  Head h;
  const std::optional<std::uint64_t> revision = json_fields::Unsigned(j, "rev");
  const std::optional<std::uint64_t> last = json_fields::Unsigned(j, "last");
  std::optional<std::string> type = json_fields::String(j, "type");
  const std::optional<bool> keep = json_fields::Bool(j, "keep");
  if (!revision || !last || !type || !keep) {
    return absl::DataLossError(
        "channel record header: rev, last, type or keep missing or mistyped");
  }
  h.revision = *revision;
  h.last_event_id = *last;
  h.type = *std::move(type);
  h.keep_events = *keep;
  // Optional; present with another type is as corrupt as missing above.
  const bool blob_ok =
      !json_fields::Field(j, "blob") || json_fields::String(j, "blob");
  const bool chunks_ok =
      !json_fields::Field(j, "chunks") || json_fields::Unsigned(j, "chunks");
  const bool txn_ok =
      !json_fields::Field(j, "txn") || json_fields::String(j, "txn");
  if (!blob_ok || !chunks_ok || !txn_ok) {
    return absl::DataLossError(
        "channel record header: blob, chunks or txn mistyped");
  }
  h.blob = json_fields::String(j, "blob").value_or("");
  h.chunks = json_fields::Unsigned(j, "chunks").value_or(0);
  h.txn = json_fields::String(j, "txn").value_or("");
  if (h.blob.empty()) h.inline_state = std::string(data.substr(newline + 1));
  h.seq = seq;
  return h;
}

// A guard count change, fenced by the sequence the writer read: a put
// expects it, a removal purges nothing newer. So a writer that lost its
// lease never overwrites a later holder's count.
struct GuardOp {
  // <ch>.<worker>
  std::string key;
  // nullopt: remove.
  std::optional<std::int64_t> count;
  // The key's sequence when read (0: none).
  std::uint64_t seen = 0;
};

// One channel's part of an intent.
struct IntentPart {
  std::string name;
  std::string enc;
  // Head sequence the new head replaces.
  std::uint64_t expected = 0;
  // The new head (EncodeHead).
  std::string head;
  // Blob of the replaced state, purged once the new head is in.
  std::string old_blob;
  std::vector<GuardOp> guards;
};

struct Intent {
  std::string id;
  std::string owner;
  std::vector<IntentPart> parts;
  // The body's blob when it did not fit a message.
  std::string blob;
};

std::string EncodeIntent(const Intent& intent) {
  std::string out;
  AppendField(&out, kIntentMagic);
  AppendField(&out, intent.owner);
  AppendField(&out, absl::StrCat(intent.parts.size()));
  for (const IntentPart& p : intent.parts) {
    AppendField(&out, p.name);
    AppendField(&out, absl::StrCat(p.expected));
    AppendField(&out, p.head);
    AppendField(&out, p.old_blob);
    AppendField(&out, absl::StrCat(p.guards.size()));
    for (const GuardOp& g : p.guards) {
      AppendField(&out, g.key);
      AppendField(&out, g.count ? absl::StrCat(*g.count) : "");
      AppendField(&out, absl::StrCat(g.seen));
    }
  }
  return out;
}

absl::StatusOr<Intent> DecodeIntent(absl::string_view in) {
  Intent intent;
  absl::string_view field;
  std::uint64_t parts = 0;
  if (!ReadField(&in, &field) || field != kIntentMagic ||
      !ReadField(&in, &field)) {
    return absl::DataLossError("intent: bad header");
  }
  intent.owner = std::string(field);
  if (!ReadNumber(&in, &parts)) return absl::DataLossError("intent: parts");
  for (std::uint64_t i = 0; i < parts; ++i) {
    IntentPart p;
    std::uint64_t guards = 0;
    if (!ReadField(&in, &field)) return absl::DataLossError("intent: name");
    p.name = std::string(field);
    p.enc = EncodeStreamToken(p.name);
    if (!ReadNumber(&in, &p.expected) || !ReadField(&in, &field)) {
      return absl::DataLossError("intent: head");
    }
    p.head = std::string(field);
    if (!ReadField(&in, &field) || !ReadNumber(&in, &guards)) {
      return absl::DataLossError("intent: guards");
    }
    p.old_blob = std::string(field);
    for (std::uint64_t g = 0; g < guards; ++g) {
      absl::string_view key;
      absl::string_view count;
      GuardOp op;
      std::int64_t value = 0;
      if (!ReadField(&in, &key) || !ReadField(&in, &count) ||
          (!count.empty() && !absl::SimpleAtoi(count, &value)) ||
          !ReadNumber(&in, &op.seen)) {
        return absl::DataLossError("intent: guard");
      }
      op.key = std::string(key);
      if (!count.empty()) op.count = value;
      p.guards.push_back(std::move(op));
    }
    intent.parts.push_back(std::move(p));
  }
  return intent;
}

absl::Status Acked(const NatsMsgPtr& reply, absl::string_view what) {
  absl::StatusOr<std::uint64_t> seq = JetStreamClient::PubAck(reply);
  if (seq.ok()) return absl::OkStatus();
  return absl::Status(seq.status().code(),
                      absl::StrCat(what, ": ", seq.status().message()));
}

}  // namespace

struct NatsStateStore::Impl {
  struct LocalLock {
    std::string owner;
    // Sequence of the owner's entry in P_locks; 0 while being acquired.
    std::uint64_t seq = 0;
    // When the lease was last (re)started, by this process's clock, before
    // the request that started it.
    absl::Time renewed;
  };

  std::unique_ptr<JetStreamClient> client;
  NatsStateStoreOptions options;
  absl::Duration lease;
  std::size_t chunk_bytes = 0;
  std::string prefix;
  std::string channels_stream, locks_stream, guards_stream, workers_stream;
  std::string events_stream, chunks_stream, intents_stream;

  absl::Mutex mu;
  absl::CondVar released;
  // This process's view of the locks: who holds or is taking each one.
  absl::flat_hash_map<std::string, LocalLock> locks ABSL_GUARDED_BY(mu);
  absl::flat_hash_set<std::string> known ABSL_GUARDED_BY(mu);

  // --- Names ---------------------------------------------------------------

  std::string HeadSubject(absl::string_view enc) const {
    return absl::StrCat("$KV.", prefix, "_channels.", enc);
  }
  std::string LockSubject(absl::string_view enc) const {
    return absl::StrCat("$KV.", prefix, "_locks.", enc);
  }
  std::string GuardSubject(absl::string_view key) const {
    return absl::StrCat("$KV.", prefix, "_guards.", key);
  }
  std::string WorkerSubject(absl::string_view enc) const {
    return absl::StrCat("$KV.", prefix, "_workers.", enc);
  }
  std::string EventSubject(absl::string_view enc, std::uint64_t id) const {
    return absl::StrCat(prefix, ".ev.", enc, ".", id);
  }
  std::string EventChunkSubject(absl::string_view enc, std::uint64_t id,
                                std::uint64_t n) const {
    return absl::StrCat(prefix, ".evc.", enc, ".", id, ".", n);
  }
  std::string ChunkSubject(absl::string_view blob, std::uint64_t n) const {
    return absl::StrCat(prefix, ".ch.", blob, ".", n);
  }
  std::string IntentSubject(absl::string_view id) const {
    return absl::StrCat(prefix, ".tx.", id);
  }
  static std::string GuardKey(absl::string_view channel,
                              absl::string_view worker) {
    return absl::StrCat(EncodeStreamToken(channel), ".",
                        EncodeStreamToken(worker));
  }

  // --- Small helpers -------------------------------------------------------

  absl::StatusOr<std::vector<NatsMsgPtr>> Run(
      const std::vector<JsRequest>& requests) {
    if (requests.empty()) return std::vector<NatsMsgPtr>();
    return client->Batch(requests);
  }

  // Runs publishes and checks every ack.
  absl::Status RunPublishes(const std::vector<JsRequest>& requests,
                            absl::string_view what) {
    absl::StatusOr<std::vector<NatsMsgPtr>> replies = Run(requests);
    if (!replies.ok()) return replies.status();
    for (const NatsMsgPtr& r : *replies) {
      if (absl::Status s = Acked(r, what); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  std::uint64_t ChunkCount(std::size_t size) const {
    return std::max<std::uint64_t>(1, (size + chunk_bytes - 1) / chunk_bytes);
  }

  // Publishes of `data` as chunks of blob `id`.
  void AppendBlob(const std::string& id, absl::string_view data,
                  std::vector<JsRequest>* out) const {
    const std::uint64_t n = ChunkCount(data.size());
    for (std::uint64_t i = 0; i < n; ++i) {
      out->push_back(JetStreamClient::Publish(
          ChunkSubject(id, i),
          std::string(data.substr(i * chunk_bytes, chunk_bytes))));
    }
  }

  // The blob's bytes; nullopt if a chunk is gone (purged meanwhile).
  absl::StatusOr<std::optional<std::string>> ReadBlob(const std::string& id,
                                                      std::uint64_t chunks) {
    std::vector<JsRequest> requests;
    for (std::uint64_t i = 0; i < chunks; ++i) {
      requests.push_back(
          JetStreamClient::GetLast(chunks_stream, ChunkSubject(id, i)));
    }
    absl::StatusOr<std::vector<NatsMsgPtr>> replies = Run(requests);
    if (!replies.ok()) return replies.status();
    std::string out;
    for (NatsMsgPtr& r : *replies) {
      absl::StatusOr<std::optional<StoredMsg>> got =
          JetStreamClient::Got(std::move(r));
      if (!got.ok()) return got.status();
      if (!*got) return std::nullopt;
      const absl::string_view chunk = (*got)->data();
      out.append(chunk.data(), chunk.size());
    }
    return std::optional<std::string>(std::move(out));
  }

  absl::StatusOr<std::optional<Head>> ReadHead(absl::string_view enc) {
    absl::StatusOr<std::vector<NatsMsgPtr>> replies =
        Run({JetStreamClient::GetLast(channels_stream, HeadSubject(enc))});
    if (!replies.ok()) return replies.status();
    absl::StatusOr<std::optional<StoredMsg>> got =
        JetStreamClient::Got(std::move((*replies)[0]));
    if (!got.ok()) return got.status();
    if (!*got) return std::optional<Head>();
    absl::StatusOr<Head> head = DecodeHead((*got)->data(), (*got)->seq);
    if (!head.ok()) return head.status();
    return std::optional<Head>(*std::move(head));
  }

  JsRequest PublishHead(absl::string_view enc, const Head& head,
                        std::uint64_t expected) const {
    JsRequest r =
        JetStreamClient::Publish(HeadSubject(enc), EncodeHead(head), expected);
    r.headers.emplace_back(kTypeHeader, EncodeStreamToken(head.type));
    return r;
  }

  JsRequest PurgeLock(absl::string_view enc, std::uint64_t seq) const {
    return JetStreamClient::Purge(locks_stream, LockSubject(enc), seq + 1);
  }

  // The first intent at or after `seq`.
  JsRequest FirstIntentRequest(std::uint64_t seq) const {
    return JetStreamClient::GetNext(intents_stream,
                                    absl::StrCat(prefix, ".tx.*"), seq);
  }

  JsRequest ExistsRequest(absl::string_view enc) const {
    return JsRequest{absl::StrCat("$JS.API.STREAM.INFO.", channels_stream),
                     Json{{"subjects_filter", HeadSubject(enc)}}.dump(),
                     {}};
  }

  absl::StatusOr<bool> Exists(const NatsMsgPtr& reply, absl::string_view enc) {
    const char* data = natsMsg_GetData(reply.get());
    const Json info = Json::parse(
        data, data + natsMsg_GetDataLength(reply.get()), nullptr, false);
    if (!info.is_object() || info.contains("error")) {
      return absl::UnavailableError(absl::StrCat(
          "JetStream stream info of ", channels_stream, ": ",
          info.is_object() ? info["error"].dump() : "no JSON reply"));
    }
    const Json* subjects = nullptr;
    if (auto s = info.find("state"); s != info.end() && s->is_object()) {
      if (auto sub = s->find("subjects"); sub != s->end()) subjects = &*sub;
    }
    return subjects != nullptr && subjects->is_object() &&
           subjects->contains(HeadSubject(enc));
  }

  bool HoldsLocally(absl::string_view owner, const std::string& name) {
    absl::MutexLock lock(&mu);
    auto it = locks.find(name);
    return it != locks.end() && it->second.owner == owner &&
           it->second.seq != 0;
  }

  // --- Locks ---------------------------------------------------------------

  enum class LocalResult { kReserved, kAlreadyHeld };

  // Waits until this process has no other owner on `name`, then reserves
  // it for `owner`.
  absl::StatusOr<LocalResult> ReserveLocally(absl::string_view owner,
                                             const std::string& name,
                                             absl::Time deadline,
                                             absl::Duration timeout) {
    absl::MutexLock lock(&mu);
    for (;;) {
      const absl::Time now = absl::Now();
      auto it = locks.find(name);
      if (it == locks.end()) {
        locks.emplace(name, LocalLock{std::string(owner), 0, now});
        return LocalResult::kReserved;
      }
      LocalLock& held = it->second;
      // A lease that ran out by our clock is gone in NATS, or about to be.
      const bool stale = held.seq != 0 && held.renewed + lease <= now;
      if (held.owner == owner && held.seq != 0 && !stale) {
        return LocalResult::kAlreadyHeld;
      }
      if (stale) {
        held = LocalLock{std::string(owner), 0, now};
        return LocalResult::kReserved;
      }
      if (now >= deadline) {
        return absl::DeadlineExceededError(
            absl::StrCat("timed out after ", absl::FormatDuration(timeout),
                         " waiting for the lock of channel \"", name, "\""));
      }
      released.WaitWithDeadline(
          &mu,
          held.seq != 0 ? std::min(deadline, held.renewed + lease) : deadline);
    }
  }

  void DropLocal(const std::string& name, absl::string_view owner) {
    absl::MutexLock lock(&mu);
    auto it = locks.find(name);
    if (it != locks.end() && it->second.owner == owner) locks.erase(it);
    released.SignalAll();
  }

  // Releases locks this process holds for `owner`: in NATS first, so that
  // the local waiters woken afterwards find them free.
  void Release(absl::string_view owner, absl::Span<const std::string> names) {
    std::vector<std::string> held;
    std::vector<JsRequest> purges;
    {
      absl::MutexLock lock(&mu);
      for (const std::string& name : names) {
        auto it = locks.find(name);
        if (it == locks.end() || it->second.owner != owner) continue;
        held.push_back(name);
        if (it->second.seq != 0) {
          purges.push_back(PurgeLock(EncodeStreamToken(name), it->second.seq));
        }
      }
    }
    if (held.empty()) return;
    absl::StatusOr<std::vector<NatsMsgPtr>> replies = Run(purges);
    if (!replies.ok()) {
      spdlog::warn("state store: releasing locks: {}",
                   std::string(replies.status().message()));
    } else {
      for (const NatsMsgPtr& r : *replies) {
        if (absl::Status s = JetStreamClient::Purged(r); !s.ok()) {
          spdlog::warn("state store: releasing a lock: {}",
                       std::string(s.message()));
        }
      }
    }
    absl::MutexLock lock(&mu);
    for (const std::string& name : held) {
      auto it = locks.find(name);
      // Unless taken over meanwhile (the entry had gone stale).
      if (it != locks.end() && it->second.owner == owner) locks.erase(it);
    }
    released.SignalAll();
  }

  // Takes `name`'s lock in NATS for `owner` (reserved locally already).
  // Returns the entry's sequence.
  // With `intents`, each attempt also looks for the first intent, and the
  // reply of the successful one is left there (see RecoverIntents).
  absl::StatusOr<std::uint64_t> AcquireRemote(absl::string_view owner,
                                              const std::string& name,
                                              absl::Time deadline,
                                              absl::Duration timeout,
                                              NatsMsgPtr* intents) {
    const std::string enc = EncodeStreamToken(name);
    bool known_channel;
    {
      absl::MutexLock lock(&mu);
      known_channel = known.contains(name);
    }
    bool checked_owner = false;
    absl::Duration backoff = kMinBackoff;
    for (;;) {
      std::vector<JsRequest> requests = {
          JetStreamClient::Publish(LockSubject(enc), std::string(owner), 0)};
      // Checked in the same round trip as the first attempt.
      if (!known_channel) requests.push_back(ExistsRequest(enc));
      if (intents != nullptr) requests.push_back(FirstIntentRequest(0));
      absl::StatusOr<std::vector<NatsMsgPtr>> replies = Run(requests);
      if (!replies.ok()) return replies.status();
      if (intents != nullptr) *intents = std::move(replies->back());
      absl::StatusOr<std::uint64_t> seq =
          JetStreamClient::PubAck((*replies)[0]);
      if (!known_channel) {
        absl::StatusOr<bool> exists = Exists((*replies)[1], enc);
        if (!exists.ok() || !*exists) {
          if (seq.ok()) (void)Run({PurgeLock(enc, *seq)});
          if (!exists.ok()) return exists.status();
          return NoSuchChannel(name);
        }
        known_channel = true;
        absl::MutexLock lock(&mu);
        if (known.size() >= kMaxKnownChannels) known.clear();
        known.insert(name);
      }
      if (seq.ok()) return *seq;
      if (!absl::IsAborted(seq.status())) return seq.status();
      if (!checked_owner) {
        // Taken through another store instance with the same owner?
        checked_owner = true;
        absl::StatusOr<std::vector<NatsMsgPtr>> entry =
            Run({JetStreamClient::GetLast(locks_stream, LockSubject(enc))});
        if (!entry.ok()) return entry.status();
        absl::StatusOr<std::optional<StoredMsg>> got =
            JetStreamClient::Got(std::move((*entry)[0]));
        if (!got.ok()) return got.status();
        if (*got && (*got)->data() == owner) return (*got)->seq;
      }
      const absl::Time now = absl::Now();
      if (now >= deadline) {
        return absl::DeadlineExceededError(
            absl::StrCat("timed out after ", absl::FormatDuration(timeout),
                         " waiting for the lock of channel \"", name,
                         "\" (held by another replica)"));
      }
      std::this_thread::sleep_for(std::min(
          Jittered(backoff), absl::ToChronoNanoseconds(deadline - now)));
      backoff = std::min(backoff * 2, kMaxBackoff);
    }
  }

  absl::Status Lock(absl::string_view owner,
                    absl::Span<const std::string> names,
                    absl::Duration timeout) {
    if (absl::Status s = ValidateOwner(owner); !s.ok()) return s;
    const absl::Time deadline = absl::Now() + timeout;
    std::vector<std::string> sorted(names.begin(), names.end());
    std::sort(sorted.begin(), sorted.end());
    sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
    for (const std::string& name : sorted) {
      if (absl::Status s = ValidateChannelName(name); !s.ok()) {
        return absl::NotFoundError(
            absl::StrCat("no channel \"", name, "\": ", s.message()));
      }
    }
    std::vector<std::string> taken;
    NatsMsgPtr intents;
    for (const std::string& name : sorted) {
      absl::StatusOr<LocalResult> local =
          ReserveLocally(owner, name, deadline, timeout);
      if (!local.ok()) {
        Release(owner, taken);
        return local.status();
      }
      if (*local == LocalResult::kAlreadyHeld) continue;
      const absl::Time start = absl::Now();
      // The last lock taken also looks for intents in its round trip: a
      // dead writer's intent was written while its lease was still valid,
      // long before this lock could be taken.
      absl::StatusOr<std::uint64_t> seq =
          AcquireRemote(owner, name, deadline, timeout,
                        name == sorted.back() ? &intents : nullptr);
      if (!seq.ok()) {
        DropLocal(name, owner);
        Release(owner, taken);
        return seq.status();
      }
      {
        absl::MutexLock lock(&mu);
        locks[name] = LocalLock{std::string(owner), *seq, start};
      }
      taken.push_back(name);
    }
    if (!taken.empty()) {
      if (absl::Status s = RecoverIntents(owner, taken, std::move(intents));
          !s.ok()) {
        Release(owner, taken);
        return s;
      }
    }
    return absl::OkStatus();
  }

  void Unlock(absl::string_view owner, absl::Span<const std::string> names) {
    std::vector<std::string> unknown;
    {
      absl::MutexLock lock(&mu);
      for (const std::string& name : names) {
        if (!locks.contains(name) && ValidateChannelName(name).ok()) {
          unknown.push_back(name);
        }
      }
    }
    Release(owner, names);
    if (unknown.empty()) return;
    // Locks this process does not know: maybe taken through another store
    // instance with the same owner.
    std::vector<JsRequest> gets;
    for (const std::string& name : unknown) {
      gets.push_back(JetStreamClient::GetLast(
          locks_stream, LockSubject(EncodeStreamToken(name))));
    }
    absl::StatusOr<std::vector<NatsMsgPtr>> replies = Run(gets);
    if (!replies.ok()) {
      spdlog::warn("state store: unlock: {}",
                   std::string(replies.status().message()));
      return;
    }
    std::vector<JsRequest> purges;
    for (std::size_t i = 0; i < unknown.size(); ++i) {
      absl::StatusOr<std::optional<StoredMsg>> got =
          JetStreamClient::Got(std::move((*replies)[i]));
      if (got.ok() && *got && (*got)->data() == owner) {
        purges.push_back(PurgeLock(EncodeStreamToken(unknown[i]), (*got)->seq));
      }
    }
    if (!purges.empty()) client->Send(purges);
  }

  // --- Intents -------------------------------------------------------------

  // Rolls forward every intent that touches a channel in `taken`: their
  // writers lost those locks, so they will not finish them.
  // `first` is the reply to FirstIntentRequest(0) if Lock already has it.
  absl::Status RecoverIntents(absl::string_view owner,
                              const std::vector<std::string>& taken,
                              NatsMsgPtr first) {
    const absl::flat_hash_set<std::string> mine(taken.begin(), taken.end());
    std::uint64_t cursor = 0;
    NatsMsgPtr reply = std::move(first);
    for (;;) {
      if (reply == nullptr) {
        absl::StatusOr<std::vector<NatsMsgPtr>> replies =
            Run({FirstIntentRequest(cursor)});
        if (!replies.ok()) return replies.status();
        reply = std::move((*replies)[0]);
      }
      absl::StatusOr<std::optional<StoredMsg>> got =
          JetStreamClient::Got(std::move(reply));
      reply = nullptr;
      if (!got.ok()) return got.status();
      if (!*got) return absl::OkStatus();
      cursor = (*got)->seq + 1;
      absl::StatusOr<std::optional<Intent>> intent = ReadIntent(**got);
      if (!intent.ok()) return intent.status();
      if (!*intent) continue;
      const bool touches = std::any_of(
          (*intent)->parts.begin(), (*intent)->parts.end(),
          [&](const IntentPart& p) { return mine.contains(p.name); });
      if (!touches) continue;
      if (absl::Status s = RollForward(owner, **intent); !s.ok()) return s;
    }
  }

  // nullopt: deleted meanwhile.
  absl::StatusOr<std::optional<Intent>> ReadIntent(const StoredMsg& msg) {
    std::string body(msg.data());
    std::string blob;
    if (std::optional<absl::string_view> b = msg.header(kBlobHeader)) {
      blob = std::string(*b);
      std::uint64_t chunks = 0;
      if (!absl::SimpleAtoi(msg.header(kChunksHeader).value_or(""), &chunks)) {
        return absl::DataLossError("intent without its chunk count");
      }
      absl::StatusOr<std::optional<std::string>> data = ReadBlob(blob, chunks);
      if (!data.ok()) return data.status();
      if (!*data) return std::optional<Intent>();
      body = **data;
    }
    absl::StatusOr<Intent> intent = DecodeIntent(body);
    if (!intent.ok()) return intent.status();
    intent->id = std::string(LastToken(msg.subject));
    intent->blob = blob;
    return std::optional<Intent>(*std::move(intent));
  }

  absl::Status RollForward(absl::string_view owner, const Intent& intent) {
    bool all_done = true;
    const std::string recovery_owner =
        absl::StrCat("recovery:", UniqueId(), ":", owner)
            .substr(0, kMaxOwnerBytes);
    for (const IntentPart& part : intent.parts) {
      absl::StatusOr<std::optional<Head>> head = ReadHead(part.enc);
      if (!head.ok()) return head.status();
      if (!*head || (*head)->seq != part.expected) continue;  // Done.
      // Writing needs the channel's lock: ours, or taken just for this.
      std::optional<std::uint64_t> temporary;
      if (!HoldsLocally(owner, part.name)) {
        absl::StatusOr<std::vector<NatsMsgPtr>> r =
            Run({JetStreamClient::Publish(LockSubject(part.enc), recovery_owner,
                                          0)});
        if (!r.ok()) return r.status();
        absl::StatusOr<std::uint64_t> seq = JetStreamClient::PubAck((*r)[0]);
        if (!seq.ok()) {
          // Its holder rolled it forward when it took the lock.
          all_done = false;
          continue;
        }
        temporary = *seq;
        // Its last holder may have finished it between our read and our
        // lock: read again under the lock.
        head = ReadHead(part.enc);
        if (!head.ok() || !*head || (*head)->seq != part.expected) {
          (void)Run({PurgeLock(part.enc, *temporary)});
          if (!head.ok()) return head.status();
          continue;
        }
      }
      spdlog::warn(
          "state store: rolling forward commit {} of \"{}\" on channel "
          "\"{}\": its lease ran out before it finished",
          intent.id, intent.owner, part.name);
      absl::Status s = ApplyPart(part);
      if (temporary) (void)Run({PurgeLock(part.enc, *temporary)});
      if (!s.ok()) return s;
    }
    if (all_done) {
      std::vector<JsRequest> cleanup = {
          JetStreamClient::Purge(intents_stream, IntentSubject(intent.id))};
      if (!intent.blob.empty()) {
        cleanup.push_back(JetStreamClient::Purge(
            chunks_stream, absl::StrCat(prefix, ".ch.", intent.blob, ".>")));
      }
      client->Send(cleanup);
    }
    return absl::OkStatus();
  }

  // Writes one channel's guards, then its head (if still at `expected`).
  absl::Status ApplyPart(const IntentPart& part) {
    if (absl::Status s = WriteGuards(part.guards, /*strict=*/false); !s.ok()) {
      return s;
    }
    absl::StatusOr<Head> head = DecodeHead(part.head, 0);
    if (!head.ok()) return head.status();
    absl::StatusOr<std::vector<NatsMsgPtr>> r =
        Run({PublishHead(part.enc, *head, part.expected)});
    if (!r.ok()) return r.status();
    absl::StatusOr<std::uint64_t> seq = JetStreamClient::PubAck((*r)[0]);
    if (seq.ok()) {
      if (!part.old_blob.empty()) PurgeBlob(part.old_blob);
      return absl::OkStatus();
    }
    // Aborted: applied by someone else meanwhile.
    return absl::IsAborted(seq.status()) ? absl::OkStatus() : seq.status();
  }

  // Writes guard changes, fenced (see GuardOp). A put that finds another
  // sequence is fine if the count is already what it would write (the
  // commit's own writer got there first); otherwise the lease was lost:
  // with `strict` that is FailedPrecondition, else it is left alone.
  absl::Status WriteGuards(const std::vector<GuardOp>& guards, bool strict) {
    std::vector<JsRequest> requests;
    std::vector<const GuardOp*> ops;
    for (const GuardOp& g : guards) {
      if (g.count) {
        requests.push_back(JetStreamClient::Publish(
            GuardSubject(g.key), absl::StrCat(*g.count), g.seen));
      } else if (g.seen != 0) {
        requests.push_back(JetStreamClient::Purge(
            guards_stream, GuardSubject(g.key), g.seen + 1));
      } else {
        continue;
      }
      ops.push_back(&g);
    }
    absl::StatusOr<std::vector<NatsMsgPtr>> replies = Run(requests);
    if (!replies.ok()) return replies.status();
    for (std::size_t i = 0; i < ops.size(); ++i) {
      if (!ops[i]->count) {
        if (absl::Status s = JetStreamClient::Purged((*replies)[i]); !s.ok()) {
          return s;
        }
        continue;
      }
      absl::StatusOr<std::uint64_t> seq =
          JetStreamClient::PubAck((*replies)[i]);
      if (seq.ok()) continue;
      if (!absl::IsAborted(seq.status())) return seq.status();
      absl::StatusOr<std::vector<NatsMsgPtr>> now = Run(
          {JetStreamClient::GetLast(guards_stream, GuardSubject(ops[i]->key))});
      if (!now.ok()) return now.status();
      absl::StatusOr<std::optional<StoredMsg>> got =
          JetStreamClient::Got(std::move((*now)[0]));
      if (!got.ok()) return got.status();
      if (*got && (*got)->data() == absl::StrCat(*ops[i]->count)) continue;
      if (strict) {
        return absl::FailedPreconditionError(absl::StrCat(
            "guard ", ops[i]->key,
            " was changed by another writer during the commit: the lease ran "
            "out"));
      }
      spdlog::warn("state store: guard {} moved on; not rolled forward",
                   ops[i]->key);
    }
    return absl::OkStatus();
  }

  void PurgeBlob(const std::string& blob) {
    client->Send({JetStreamClient::Purge(
        chunks_stream, absl::StrCat(prefix, ".ch.", blob, ".>"))});
  }

  // --- Commit --------------------------------------------------------------

  absl::StatusOr<std::vector<CommitResult>> Commit(
      absl::string_view owner, absl::Span<const ChannelWrite> writes);

  // --- Events --------------------------------------------------------------

  // The first stored event's id and sequence, if any.
  absl::StatusOr<std::optional<std::pair<std::uint64_t, std::uint64_t>>>
  FirstEvent(absl::string_view enc) {
    absl::StatusOr<std::vector<NatsMsgPtr>> r = Run({JetStreamClient::GetNext(
        events_stream, absl::StrCat(prefix, ".ev.", enc, ".*"), 0)});
    if (!r.ok()) return r.status();
    absl::StatusOr<std::optional<StoredMsg>> got =
        JetStreamClient::Got(std::move((*r)[0]));
    if (!got.ok()) return got.status();
    std::uint64_t id = 0;
    if (!*got || !absl::SimpleAtoi(LastToken((*got)->subject), &id)) {
      return std::optional<std::pair<std::uint64_t, std::uint64_t>>();
    }
    return std::optional<std::pair<std::uint64_t, std::uint64_t>>(
        std::make_pair(id, (*got)->seq));
  }

  // The events with ids in [from, to] that are stored (and whole).
  absl::StatusOr<std::vector<StoredEvent>> ReadEvents(absl::string_view enc,
                                                      std::uint64_t from,
                                                      std::uint64_t to) {
    std::vector<StoredEvent> out;
    std::vector<JsRequest> gets;
    for (std::uint64_t id = from; id <= to; ++id) {
      gets.push_back(
          JetStreamClient::GetLast(events_stream, EventSubject(enc, id)));
    }
    absl::StatusOr<std::vector<NatsMsgPtr>> replies = Run(gets);
    if (!replies.ok()) return replies.status();
    // Chunked events, read in a second batch.
    struct Pending {
      std::size_t index;
      std::string blob;
      std::uint64_t first_request;
      std::uint64_t chunks;
    };
    std::vector<Pending> pending;
    std::vector<JsRequest> chunk_gets;
    for (std::uint64_t i = 0; i < replies->size(); ++i) {
      absl::StatusOr<std::optional<StoredMsg>> got =
          JetStreamClient::Got(std::move((*replies)[i]));
      if (!got.ok()) return got.status();
      if (!*got) continue;  // Deleted.
      StoredEvent e{from + i, std::string((*got)->data()), (*got)->time};
      if (std::optional<absl::string_view> blob = (*got)->header(kBlobHeader)) {
        std::uint64_t chunks = 0;
        if (!absl::SimpleAtoi((*got)->header(kChunksHeader).value_or(""),
                              &chunks)) {
          return absl::DataLossError(
              absl::StrCat("event ", e.id, " without its chunk count"));
        }
        pending.push_back(
            Pending{out.size(), std::string(*blob), chunk_gets.size(), chunks});
        for (std::uint64_t n = 0; n < chunks; ++n) {
          chunk_gets.push_back(JetStreamClient::GetLast(
              events_stream, EventChunkSubject(enc, e.id, n)));
        }
      }
      out.push_back(std::move(e));
    }
    if (pending.empty()) return out;
    absl::StatusOr<std::vector<NatsMsgPtr>> chunks = Run(chunk_gets);
    if (!chunks.ok()) return chunks.status();
    std::vector<bool> gone(out.size(), false);
    for (const Pending& p : pending) {
      std::string data;
      for (std::uint64_t n = 0; n < p.chunks && !gone[p.index]; ++n) {
        absl::StatusOr<std::optional<StoredMsg>> got =
            JetStreamClient::Got(std::move((*chunks)[p.first_request + n]));
        if (!got.ok()) return got.status();
        // Gone, or left by a writer that crashed before its commit.
        if (!*got || (*got)->header(kBlobHeader) != p.blob) {
          gone[p.index] = true;
        } else {
          const absl::string_view chunk = (*got)->data();
          data.append(chunk.data(), chunk.size());
        }
      }
      out[p.index].data = std::move(data);
    }
    std::vector<StoredEvent> whole;
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (!gone[i]) whole.push_back(std::move(out[i]));
    }
    return whole;
  }

  absl::StatusOr<std::vector<StoredEvent>> Events(
      absl::string_view name, std::uint64_t after_id,
      std::optional<std::uint64_t> limit) {
    if (!ValidateChannelName(name).ok()) return NoSuchChannel(name);
    const std::string enc = EncodeStreamToken(name);
    absl::StatusOr<std::optional<Head>> head = ReadHead(enc);
    if (!head.ok()) return head.status();
    if (!*head) return NoSuchChannel(name);
    if (!(*head)->keep_events) return std::vector<StoredEvent>();
    const std::uint64_t last = (*head)->last_event_id;
    EventIdRange range = EventsToReturn(after_id, limit, 1, last);
    if (range.empty()) return std::vector<StoredEvent>();
    if (range.to - range.from >= kProbeFirstAbove) {
      absl::StatusOr<std::optional<std::pair<std::uint64_t, std::uint64_t>>>
          first = FirstEvent(enc);
      if (!first.ok()) return first.status();
      if (!*first || (*first)->first > last) return std::vector<StoredEvent>();
      range = EventsToReturn(after_id, limit, (*first)->first, last);
      if (range.empty()) return std::vector<StoredEvent>();
    }
    return ReadEvents(enc, range.from, range.to);
  }

  absl::StatusOr<std::uint64_t> DeleteEvents(
      absl::string_view name, std::optional<std::uint64_t> keep_num,
      std::optional<absl::Duration> keep_duration);
};

absl::StatusOr<std::vector<CommitResult>> NatsStateStore::Impl::Commit(
    absl::string_view owner, absl::Span<const ChannelWrite> writes) {
  if (absl::Status s = ValidateCommit(owner, writes); !s.ok()) return s;
  if (writes.empty()) return std::vector<CommitResult>();
  struct Part {
    const ChannelWrite* w;
    std::string enc;
    std::uint64_t lock_seq = 0;
    Head head;
    // Guards of the workers this write touches (clear_guards_of, then the
    // guard_delta worker): their counts and sequences, as read.
    std::vector<std::string> guard_workers;
    std::vector<std::int64_t> guard_counts;
    std::vector<std::uint64_t> guard_seqs;
    bool write_head = false;
    Head next;
    std::string old_blob;
    std::vector<GuardOp> guards;
  };
  std::vector<Part> parts(writes.size());
  std::vector<std::size_t> unknown;
  {
    absl::MutexLock lock(&mu);
    for (std::size_t i = 0; i < writes.size(); ++i) {
      parts[i].w = &writes[i];
      parts[i].enc = EncodeStreamToken(writes[i].name);
      auto it = locks.find(writes[i].name);
      if (it != locks.end() && it->second.owner == owner &&
          it->second.seq != 0) {
        parts[i].lock_seq = it->second.seq;
      } else if (it == locks.end()) {
        unknown.push_back(i);
      } else {
        return NotHeld(owner, writes[i].name);
      }
    }
  }
  if (!unknown.empty()) {
    // Maybe locked through another store instance with the same owner.
    std::vector<JsRequest> gets;
    for (std::size_t i : unknown) {
      gets.push_back(
          JetStreamClient::GetLast(locks_stream, LockSubject(parts[i].enc)));
    }
    absl::StatusOr<std::vector<NatsMsgPtr>> replies = Run(gets);
    if (!replies.ok()) return replies.status();
    for (std::size_t k = 0; k < unknown.size(); ++k) {
      absl::StatusOr<std::optional<StoredMsg>> got =
          JetStreamClient::Got(std::move((*replies)[k]));
      if (!got.ok()) return got.status();
      if (!*got || (*got)->data() != owner) {
        return NotHeld(owner, writes[unknown[k]].name);
      }
      parts[unknown[k]].lock_seq = (*got)->seq;
    }
  }

  // Round trip 1: renew every lock, read every head and the guard counts
  // the write touches.
  const absl::Time start = absl::Now();
  std::vector<JsRequest> round1;
  for (Part& p : parts) {
    const ChannelWrite& w = *p.w;
    round1.push_back(JetStreamClient::Publish(LockSubject(p.enc),
                                              std::string(owner), p.lock_seq));
    round1.push_back(
        JetStreamClient::GetLast(channels_stream, HeadSubject(p.enc)));
    p.guard_workers = w.clear_guards_of;
    if (w.guard_delta != 0) p.guard_workers.push_back(w.worker);
    for (const std::string& worker : p.guard_workers) {
      round1.push_back(JetStreamClient::GetLast(
          guards_stream, GuardSubject(GuardKey(w.name, worker))));
    }
  }
  absl::StatusOr<std::vector<NatsMsgPtr>> replies = Run(round1);
  if (!replies.ok()) return replies.status();
  std::size_t next_reply = 0;
  for (Part& p : parts) {
    const ChannelWrite& w = *p.w;
    absl::StatusOr<std::uint64_t> renewed =
        JetStreamClient::PubAck((*replies)[next_reply++]);
    if (absl::IsAborted(renewed.status())) {
      absl::MutexLock lock(&mu);
      auto it = locks.find(w.name);
      if (it != locks.end() && it->second.owner == owner) locks.erase(it);
      released.SignalAll();
      return NotHeld(owner, w.name);
    }
    if (!renewed.ok()) return renewed.status();
    {
      absl::MutexLock lock(&mu);
      auto it = locks.find(w.name);
      if (it != locks.end() && it->second.owner == owner) {
        it->second.seq = *renewed;
        it->second.renewed = start;
      }
    }
    p.lock_seq = *renewed;
    absl::StatusOr<std::optional<StoredMsg>> got =
        JetStreamClient::Got(std::move((*replies)[next_reply++]));
    if (!got.ok()) return got.status();
    if (!*got) return NoSuchChannel(w.name);
    absl::StatusOr<Head> head = DecodeHead((*got)->data(), (*got)->seq);
    if (!head.ok()) return head.status();
    p.head = *std::move(head);
    if (p.head.revision != w.expected_revision) {
      return absl::FailedPreconditionError(absl::StrCat(
          "channel \"", w.name, "\" is at revision ", p.head.revision,
          ", the commit expected ", w.expected_revision));
    }
    for (const std::string& worker : p.guard_workers) {
      absl::StatusOr<std::optional<StoredMsg>> guard =
          JetStreamClient::Got(std::move((*replies)[next_reply++]));
      if (!guard.ok()) return guard.status();
      std::int64_t count = 0;
      if (*guard && !absl::SimpleAtoi((*guard)->data(), &count)) {
        return absl::DataLossError(absl::StrCat("guard count of \"", worker,
                                                "\" on \"", w.name,
                                                "\" is not a number"));
      }
      p.guard_counts.push_back(count);
      p.guard_seqs.push_back(*guard ? (*guard)->seq : 0);
    }
  }

  // What to write. More than one key → an intent makes it all or nothing.
  std::size_t keys = 0;
  for (Part& p : parts) {
    const ChannelWrite& w = *p.w;
    const std::size_t cleared = w.clear_guards_of.size();
    const bool delta_worker_cleared =
        w.guard_delta != 0 &&
        std::find(w.clear_guards_of.begin(), w.clear_guards_of.end(),
                  w.worker) != w.clear_guards_of.end();
    for (std::size_t i = 0; i < cleared; ++i) {
      const std::string key = GuardKey(w.name, w.clear_guards_of[i]);
      // The delta's worker is written below; nothing there, nothing to
      // remove; a worker listed twice is removed once.
      if ((w.guard_delta != 0 && w.clear_guards_of[i] == w.worker) ||
          p.guard_seqs[i] == 0 ||
          std::any_of(p.guards.begin(), p.guards.end(),
                      [&](const GuardOp& g) { return g.key == key; })) {
        continue;
      }
      p.guards.push_back(GuardOp{key, std::nullopt, p.guard_seqs[i]});
    }
    if (w.guard_delta != 0) {
      const std::int64_t current = p.guard_counts[cleared];
      const std::uint64_t seen = p.guard_seqs[cleared];
      const std::int64_t count = std::max<std::int64_t>(
          0, (delta_worker_cleared ? 0 : current) + w.guard_delta);
      const std::string key = GuardKey(w.name, w.worker);
      if (count > 0 && !(seen != 0 && count == current)) {
        p.guards.push_back(GuardOp{key, count, seen});
      } else if (count == 0 && seen != 0) {
        p.guards.push_back(GuardOp{key, std::nullopt, seen});
      }
    }
    p.write_head = w.state.has_value() || !w.events.empty();
    keys += p.guards.size() + (p.write_head ? 1 : 0);
  }
  const bool atomic = keys > 1;
  const std::string txn = atomic ? UniqueId() : std::string();
  std::vector<JsRequest> data_writes;
  // Indices of the event writes in data_writes.
  std::vector<std::size_t> fenced;
  for (Part& p : parts) {
    const ChannelWrite& w = *p.w;
    // In an intent every channel it touches gets a head with the txn id:
    // that is how a recovering locker tells which parts are done.
    if (atomic && !p.guards.empty()) p.write_head = true;
    if (!p.write_head) continue;
    Head& n = p.next;
    n = p.head;
    n.txn = txn;
    if (w.state || !w.events.empty()) ++n.revision;
    n.last_event_id += w.events.size();
    if (w.state) {
      if (!p.head.blob.empty()) p.old_blob = p.head.blob;
      n.blob.clear();
      n.chunks = 0;
      n.inline_state.clear();
      if (HeaderLine(n).size() + 1 + w.state->size() + 64 > chunk_bytes) {
        n.blob = UniqueId();
        n.chunks = ChunkCount(w.state->size());
        AppendBlob(n.blob, *w.state, &data_writes);
      } else {
        n.inline_state = *w.state;
      }
    }
    if (p.head.keep_events) {
      for (std::size_t i = 0; i < w.events.size(); ++i) {
        const std::uint64_t id = p.head.last_event_id + 1 + i;
        const std::string& data = w.events[i];
        // Event ids above last_event_id hold nothing or orphans of a
        // writer that crashed: expecting "no message" fences a writer that
        // lost its lease from overwriting committed events; orphans are
        // replaced below.
        if (data.size() <= chunk_bytes) {
          fenced.push_back(data_writes.size());
          data_writes.push_back(
              JetStreamClient::Publish(EventSubject(p.enc, id), data, 0));
          continue;
        }
        // Chunks first: DeleteEvents' purge bound relies on it.
        const std::string blob = UniqueId();
        const std::uint64_t chunks = ChunkCount(data.size());
        for (std::uint64_t c = 0; c < chunks; ++c) {
          JsRequest chunk = JetStreamClient::Publish(
              EventChunkSubject(p.enc, id, c),
              data.substr(c * chunk_bytes, chunk_bytes), 0);
          chunk.headers.emplace_back(kBlobHeader, blob);
          fenced.push_back(data_writes.size());
          data_writes.push_back(std::move(chunk));
        }
        JsRequest event =
            JetStreamClient::Publish(EventSubject(p.enc, id), std::string(), 0);
        event.headers.emplace_back(kBlobHeader, blob);
        event.headers.emplace_back(kChunksHeader, absl::StrCat(chunks));
        fenced.push_back(data_writes.size());
        data_writes.push_back(std::move(event));
      }
    }
  }
  if (keys == 0) {
    std::vector<CommitResult> results;
    for (const Part& p : parts) {
      results.push_back(CommitResult{p.w->name, p.head.revision, 0});
    }
    return results;
  }

  // Writes start only well inside the renewed lease.
  const absl::Duration safe = lease * 3 / 4;
  auto in_time = [&](absl::string_view stage) -> absl::Status {
    if (absl::Now() - start < safe) return absl::OkStatus();
    return absl::FailedPreconditionError(absl::StrCat(
        "commit too slow: ", stage, " would start more than ",
        absl::FormatDuration(safe), " after the locks were renewed"));
  };
  auto crash = [&](absl::string_view stage) {
    return options.crash_at && options.crash_at(stage);
  };
  const absl::Status crashed = absl::AbortedError("simulated crash");
  if (absl::Status s = in_time("writing"); !s.ok()) return s;
  {
    absl::StatusOr<std::vector<NatsMsgPtr>> acks = Run(data_writes);
    if (!acks.ok()) return acks.status();
    std::vector<JsRequest> orphans;
    for (std::size_t i = 0; i < acks->size(); ++i) {
      absl::StatusOr<std::uint64_t> seq = JetStreamClient::PubAck((*acks)[i]);
      if (seq.ok()) continue;
      if (!absl::IsAborted(seq.status()) ||
          !std::binary_search(fenced.begin(), fenced.end(), i)) {
        return absl::Status(
            seq.status().code(),
            absl::StrCat("state chunks and events: ", seq.status().message()));
      }
      JsRequest retry = data_writes[i];
      std::erase_if(retry.headers, [](const auto& h) {
        return h.first == "Nats-Expected-Last-Subject-Sequence";
      });
      orphans.push_back(std::move(retry));
    }
    if (!orphans.empty()) {
      // Left by a writer that crashed before its commit, if the heads are
      // still the ones read (their ids are then above last_event_id).
      std::vector<JsRequest> reads;
      for (const Part& p : parts) {
        reads.push_back(
            JetStreamClient::GetLast(channels_stream, HeadSubject(p.enc)));
      }
      absl::StatusOr<std::vector<NatsMsgPtr>> heads = Run(reads);
      if (!heads.ok()) return heads.status();
      for (std::size_t i = 0; i < parts.size(); ++i) {
        absl::StatusOr<std::optional<StoredMsg>> got =
            JetStreamClient::Got(std::move((*heads)[i]));
        if (!got.ok()) return got.status();
        if (!*got || (*got)->seq != parts[i].head.seq) {
          return absl::FailedPreconditionError(absl::StrCat(
              "channel \"", parts[i].w->name,
              "\" was written by another writer during the commit: the "
              "lease of \"",
              owner, "\" ran out"));
        }
      }
      if (absl::Status s = RunPublishes(orphans, "events replacing orphans");
          !s.ok()) {
        return s;
      }
    }
  }

  Intent intent;
  if (atomic) {
    intent.id = txn;
    intent.owner = std::string(owner);
    for (const Part& p : parts) {
      if (!p.write_head) continue;
      intent.parts.push_back(IntentPart{p.w->name, p.enc, p.head.seq,
                                        EncodeHead(p.next), p.old_blob,
                                        p.guards});
    }
    const std::string body = EncodeIntent(intent);
    std::vector<JsRequest> blob_writes;
    JsRequest message = JetStreamClient::Publish(IntentSubject(txn), body);
    if (body.size() > chunk_bytes) {
      intent.blob = UniqueId();
      AppendBlob(intent.blob, body, &blob_writes);
      message.data.clear();
      message.headers.emplace_back(kBlobHeader, intent.blob);
      message.headers.emplace_back(kChunksHeader,
                                   absl::StrCat(ChunkCount(body.size())));
    }
    if (absl::Status s = RunPublishes(blob_writes, "intent chunks"); !s.ok()) {
      return s;
    }
    if (absl::Status s = in_time("the intent"); !s.ok()) return s;
    if (crash("intent")) return crashed;
    // The commit point: from here on a later locker finishes it.
    if (absl::Status s = RunPublishes({message}, "intent"); !s.ok()) return s;
  }

  // Guards before heads: a head with the txn id says its guards are in.
  std::vector<GuardOp> guards;
  for (const Part& p : parts) {
    guards.insert(guards.end(), p.guards.begin(), p.guards.end());
  }
  if (absl::Status s = in_time("guard writes"); !s.ok()) return s;
  if (crash("guards")) return crashed;
  if (absl::Status s = WriteGuards(guards, /*strict=*/true); !s.ok()) {
    return s;
  }

  std::vector<JsRequest> head_writes;
  std::vector<const Part*> written;
  for (const Part& p : parts) {
    if (!p.write_head) continue;
    head_writes.push_back(PublishHead(p.enc, p.next, p.head.seq));
    written.push_back(&p);
  }
  if (absl::Status s = in_time("head writes"); !s.ok()) return s;
  absl::StatusOr<std::vector<NatsMsgPtr>> acks;
  if (options.crash_at) {
    acks.emplace();
    for (std::size_t i = 0; i < head_writes.size(); ++i) {
      if (crash(absl::StrCat("head ", i))) return crashed;
      absl::StatusOr<std::vector<NatsMsgPtr>> one = Run({head_writes[i]});
      if (!one.ok()) return one.status();
      acks->push_back(std::move(one->front()));
    }
  } else {
    acks = Run(head_writes);
  }
  if (!acks.ok()) return acks.status();
  for (std::size_t i = 0; i < written.size(); ++i) {
    absl::StatusOr<std::uint64_t> seq = JetStreamClient::PubAck((*acks)[i]);
    if (seq.ok()) continue;
    if (!absl::IsAborted(seq.status())) return seq.status();
    // Someone wrote the head while we held the lock: our lease ran out.
    // If it was a locker rolling our intent forward, the commit stands.
    absl::StatusOr<std::optional<Head>> now = ReadHead(written[i]->enc);
    if (atomic && now.ok() && *now && (*now)->txn == txn) continue;
    return absl::FailedPreconditionError(absl::StrCat(
        "channel \"", written[i]->w->name,
        "\" was written by another writer during the commit: the lease of \"",
        owner, "\" ran out"));
  }

  if (crash("cleanup")) return crashed;
  std::vector<JsRequest> cleanup;
  if (atomic) {
    cleanup.push_back(
        JetStreamClient::Purge(intents_stream, IntentSubject(txn)));
    if (!intent.blob.empty()) {
      cleanup.push_back(JetStreamClient::Purge(
          chunks_stream, absl::StrCat(prefix, ".ch.", intent.blob, ".>")));
    }
  }
  for (const Part* p : written) {
    if (!p->old_blob.empty()) {
      cleanup.push_back(JetStreamClient::Purge(
          chunks_stream, absl::StrCat(prefix, ".ch.", p->old_blob, ".>")));
    }
  }
  if (!cleanup.empty()) client->Send(cleanup);

  std::vector<CommitResult> results;
  for (const Part& p : parts) {
    const Head& h = p.write_head ? p.next : p.head;
    results.push_back(
        CommitResult{p.w->name, h.revision,
                     p.w->events.empty() ? 0 : p.head.last_event_id + 1});
  }
  return results;
}

absl::StatusOr<std::uint64_t> NatsStateStore::Impl::DeleteEvents(
    absl::string_view name, std::optional<std::uint64_t> keep_num,
    std::optional<absl::Duration> keep_duration) {
  if (!keep_num && !keep_duration) {
    return absl::InvalidArgumentError(
        "DeleteEvents needs keep_num or keep_duration");
  }
  if (!ValidateChannelName(name).ok()) return NoSuchChannel(name);
  const std::string enc = EncodeStreamToken(name);
  const absl::Time now = absl::Now();
  // A concurrent DeleteEvents can remove what this one looks at: then it
  // starts over.
  for (int attempt = 0; attempt < kReadAttempts; ++attempt) {
    absl::StatusOr<std::optional<Head>> head = ReadHead(enc);
    if (!head.ok()) return head.status();
    if (!*head) return NoSuchChannel(name);
    const std::uint64_t last = (*head)->last_event_id;
    absl::StatusOr<std::optional<std::pair<std::uint64_t, std::uint64_t>>>
        first_event = FirstEvent(enc);
    if (!first_event.ok()) return first_event.status();
    if (!*first_event || (*first_event)->first > last) return 0;
    const std::uint64_t first = (*first_event)->first;
    // Events with ids below `cut` go.
    std::uint64_t cut = last + 1;
    if (keep_num) {
      cut = *keep_num >= last - first + 1 ? first : last - *keep_num + 1;
    }
    if (keep_duration) {
      // The first event younger than keep_duration (server timestamps).
      const absl::Time cutoff = now - *keep_duration;
      std::uint64_t lo = first;
      std::uint64_t hi = last + 1;
      while (lo < hi) {
        const std::uint64_t mid = lo + (hi - lo) / 2;
        absl::StatusOr<std::vector<NatsMsgPtr>> r = Run(
            {JetStreamClient::GetLast(events_stream, EventSubject(enc, mid))});
        if (!r.ok()) return r.status();
        absl::StatusOr<std::optional<StoredMsg>> got =
            JetStreamClient::Got(std::move((*r)[0]));
        if (!got.ok()) return got.status();
        if (*got && (*got)->time > cutoff) {
          hi = mid;
        } else {
          lo = mid + 1;  // Older, or deleted meanwhile.
        }
      }
      cut = keep_num ? std::min(cut, lo) : lo;
    }
    if (cut <= first) return 0;
    // Purge below the sequence after the newest deleted event: chunks of a
    // kept event come after it (they precede their own event), and so
    // does anything appended meanwhile.
    absl::StatusOr<std::vector<NatsMsgPtr>> r = Run(
        {JetStreamClient::GetLast(events_stream, EventSubject(enc, cut - 1))});
    if (!r.ok()) return r.status();
    absl::StatusOr<std::optional<StoredMsg>> newest_deleted =
        JetStreamClient::Got(std::move((*r)[0]));
    if (!newest_deleted.ok()) return newest_deleted.status();
    if (!*newest_deleted) continue;
    const std::uint64_t bound = (*newest_deleted)->seq + 1;
    absl::StatusOr<std::vector<NatsMsgPtr>> purged = Run(
        {JetStreamClient::Purge(events_stream,
                                absl::StrCat(prefix, ".ev.", enc, ".*"), bound),
         JetStreamClient::Purge(
             events_stream, absl::StrCat(prefix, ".evc.", enc, ".>"), bound)});
    if (!purged.ok()) return purged.status();
    for (const NatsMsgPtr& p : *purged) {
      if (absl::Status s = JetStreamClient::Purged(p); !s.ok()) return s;
    }
    return cut - first;
  }
  return absl::AbortedError(absl::StrCat(
      "DeleteEvents on \"", name, "\": events kept being deleted meanwhile"));
}

// --- NatsStateStore --------------------------------------------------------

namespace {

absl::Status EnsureBucket(jsCtx* js, const std::string& bucket,
                          absl::Duration max_age,
                          const NatsStateStoreOptions& options) {
  kvStore* kv = nullptr;
  natsStatus s = js_KeyValue(&kv, js, bucket.c_str());
  if (s == NATS_NOT_FOUND) {
    kvConfig config;
    kvConfig_Init(&config);
    config.Bucket = bucket.c_str();
    config.History = 1;
    config.TTL = absl::ToInt64Nanoseconds(max_age);
    config.StorageType =
        options.memory_storage ? js_MemoryStorage : js_FileStorage;
    config.Replicas = options.replicas;
    s = js_CreateKeyValue(&kv, js, &config);
    if (s != NATS_OK) {
      // Another replica may have created it in between.
      s = js_KeyValue(&kv, js, bucket.c_str());
    }
  }
  if (kv != nullptr) kvStore_Destroy(kv);
  return FromNatsStatus(s, absl::StrCat("key-value bucket ", bucket));
}

absl::Status EnsureStream(jsCtx* js, const std::string& name,
                          const std::vector<std::string>& subjects,
                          const NatsStateStoreOptions& options) {
  jsStreamInfo* info = nullptr;
  jsErrCode error = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&info, js, name.c_str(), nullptr, &error);
  if (s == NATS_NOT_FOUND) {
    std::vector<const char*> subject_ptrs;
    for (const std::string& subject : subjects) {
      subject_ptrs.push_back(subject.c_str());
    }
    jsStreamConfig config;
    jsStreamConfig_Init(&config);
    config.Name = name.c_str();
    config.Subjects = subject_ptrs.data();
    config.SubjectsLen = static_cast<int>(subject_ptrs.size());
    config.MaxMsgsPerSubject = 1;
    config.Storage = options.memory_storage ? js_MemoryStorage : js_FileStorage;
    config.Replicas = options.replicas;
    config.AllowDirect = true;
    s = js_AddStream(&info, js, &config, nullptr, &error);
    if (s != NATS_OK && error == kStreamNameInUse) s = NATS_OK;
  }
  if (info != nullptr) jsStreamInfo_Destroy(info);
  return FromNatsStatus(s, absl::StrCat("stream ", name));
}

bool ValidPrefix(absl::string_view prefix) {
  if (prefix.empty() || prefix.size() > kMaxPrefixBytes) return false;
  return std::all_of(prefix.begin(), prefix.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

}  // namespace

absl::StatusOr<std::unique_ptr<NatsStateStore>> NatsStateStore::Connect(
    const std::string& nats_url, NatsStateStoreOptions options) {
  if (!ValidPrefix(options.prefix)) {
    return absl::InvalidArgumentError(
        absl::StrCat("state store prefix \"", options.prefix, "\": 1 to ",
                     kMaxPrefixBytes, " of [A-Za-z0-9_-]"));
  }
  if (options.lock_lease < absl::Milliseconds(100)) {
    return absl::InvalidArgumentError(
        "state store lock lease: at least 100ms (JetStream's smallest "
        "MaxAge)");
  }
  if (options.worker_max_age < absl::Milliseconds(100)) {
    return absl::InvalidArgumentError(
        "state store worker_max_age: at least 100ms");
  }
  auto impl = std::make_unique<Impl>();
  absl::StatusOr<std::unique_ptr<JetStreamClient>> client =
      JetStreamClient::Connect(
          {nats_url, options.name, options.request_timeout, options.security});
  if (!client.ok()) return client.status();
  impl->client = *std::move(client);
  const std::string& p = options.prefix;
  impl->prefix = p;
  impl->channels_stream = absl::StrCat("KV_", p, "_channels");
  impl->locks_stream = absl::StrCat("KV_", p, "_locks");
  impl->guards_stream = absl::StrCat("KV_", p, "_guards");
  impl->workers_stream = absl::StrCat("KV_", p, "_workers");
  impl->events_stream = absl::StrCat(p, "_events");
  impl->chunks_stream = absl::StrCat(p, "_chunks");
  impl->intents_stream = absl::StrCat(p, "_intents");

  jsCtx* js = impl->client->js();
  for (const auto& [bucket, max_age] :
       std::vector<std::pair<std::string, absl::Duration>>{
           {absl::StrCat(p, "_channels"), absl::ZeroDuration()},
           {absl::StrCat(p, "_locks"), options.lock_lease},
           {absl::StrCat(p, "_guards"), absl::ZeroDuration()},
           {absl::StrCat(p, "_workers"), options.worker_max_age}}) {
    if (absl::Status s = EnsureBucket(js, bucket, max_age, options); !s.ok()) {
      return s;
    }
  }
  for (const auto& [stream, subjects] :
       std::vector<std::pair<std::string, std::vector<std::string>>>{
           {impl->events_stream,
            {absl::StrCat(p, ".ev.>"), absl::StrCat(p, ".evc.>")}},
           {impl->chunks_stream, {absl::StrCat(p, ".ch.>")}},
           {impl->intents_stream, {absl::StrCat(p, ".tx.>")}}}) {
    if (absl::Status s = EnsureStream(js, stream, subjects, options); !s.ok()) {
      return s;
    }
  }
  // The lease is what the lock bucket enforces, whoever created it.
  jsStreamInfo* info = nullptr;
  jsErrCode error = static_cast<jsErrCode>(0);
  natsStatus s =
      js_GetStreamInfo(&info, js, impl->locks_stream.c_str(), nullptr, &error);
  if (s != NATS_OK) return FromNatsStatus(s, "lock bucket info");
  impl->lease = absl::Nanoseconds(info->Config->MaxAge);
  jsStreamInfo_Destroy(info);
  if (impl->lease <= absl::ZeroDuration()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "lock bucket ", p, "_locks has no MaxAge: locks would never expire"));
  }
  if (impl->lease != options.lock_lease) {
    spdlog::warn("state store: lock bucket {}_locks has a lease of {}, not {}",
                 p, absl::FormatDuration(impl->lease),
                 absl::FormatDuration(options.lock_lease));
  }

  const std::int64_t max_payload = impl->client->max_payload();
  std::size_t chunk =
      max_payload > static_cast<std::int64_t>(kHeaderRoom + kMinChunkBytes)
          ? static_cast<std::size_t>(max_payload) - kHeaderRoom
          : kMinChunkBytes;
  if (options.max_chunk_bytes != 0) {
    chunk = std::clamp(options.max_chunk_bytes, kMinChunkBytes, chunk);
  }
  impl->chunk_bytes = chunk;
  impl->options = std::move(options);
  return std::unique_ptr<NatsStateStore>(new NatsStateStore(std::move(impl)));
}

NatsStateStore::NatsStateStore(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}

NatsStateStore::~NatsStateStore() = default;

absl::Duration NatsStateStore::lease() const { return impl_->lease; }
std::size_t NatsStateStore::chunk_bytes() const { return impl_->chunk_bytes; }

absl::StatusOr<bool> NatsStateStore::Create(const ChannelSpec& spec) {
  return NoThrow("Create", [&]() -> absl::StatusOr<bool> {
    if (absl::Status s = ValidateChannelSpec(spec); !s.ok()) return s;
    Impl& m = *impl_;
    const std::string enc = EncodeStreamToken(spec.name);
    Head head;
    head.revision = 1;
    head.type = spec.type;
    head.keep_events = spec.keep_events;
    std::vector<JsRequest> chunks;
    if (HeaderLine(head).size() + 64 + spec.state.size() > m.chunk_bytes) {
      head.blob = UniqueId();
      head.chunks = m.ChunkCount(spec.state.size());
      m.AppendBlob(head.blob, spec.state, &chunks);
    } else {
      head.inline_state = spec.state;
    }
    if (absl::Status s = m.RunPublishes(chunks, "state chunks"); !s.ok()) {
      return s;
    }
    absl::StatusOr<std::vector<NatsMsgPtr>> r =
        m.Run({m.PublishHead(enc, head, 0)});
    if (!r.ok()) return r.status();
    absl::StatusOr<std::uint64_t> seq = JetStreamClient::PubAck((*r)[0]);
    if (absl::IsAborted(seq.status())) {
      if (!head.blob.empty()) m.PurgeBlob(head.blob);
      return false;
    }
    if (!seq.ok()) return seq.status();
    absl::MutexLock lock(&m.mu);
    if (m.known.size() >= kMaxKnownChannels) m.known.clear();
    m.known.insert(spec.name);
    return true;
  });
}

absl::StatusOr<ChannelRecord> NatsStateStore::Get(absl::string_view name) {
  return NoThrow("Get", [&]() -> absl::StatusOr<ChannelRecord> {
    if (!ValidateChannelName(name).ok()) return NoSuchChannel(name);
    const std::string enc = EncodeStreamToken(name);
    for (int attempt = 0; attempt < kReadAttempts; ++attempt) {
      absl::StatusOr<std::optional<Head>> head = impl_->ReadHead(enc);
      if (!head.ok()) return head.status();
      if (!*head) return NoSuchChannel(name);
      Head& h = **head;
      ChannelRecord record{std::string(name),
                           std::move(h.inline_state),
                           h.revision,
                           h.last_event_id,
                           h.type,
                           h.keep_events};
      if (!h.blob.empty()) {
        absl::StatusOr<std::optional<std::string>> state =
            impl_->ReadBlob(h.blob, h.chunks);
        if (!state.ok()) return state.status();
        if (!*state) continue;  // Replaced meanwhile.
        record.state = **state;
      }
      return record;
    }
    return absl::AbortedError(absl::StrCat(
        "channel \"", name, "\" changed during every read attempt"));
  });
}

absl::StatusOr<std::vector<std::string>> NatsStateStore::ListChannels(
    std::optional<std::string> type) {
  return NoThrow(
      "ListChannels", [&]() -> absl::StatusOr<std::vector<std::string>> {
        Impl& m = *impl_;
        const std::string filter = m.HeadSubject(">");
        absl::StatusOr<std::vector<StoredMsg>> heads =
            m.client->LastPerSubject(m.channels_stream, filter, true);
        if (!heads.ok()) return heads.status();
        const std::string wanted = type ? EncodeStreamToken(*type) : "";
        std::vector<std::string> names;
        for (const StoredMsg& h : *heads) {
          if (type && h.header(kTypeHeader) != wanted) continue;
          absl::StatusOr<std::string> name =
              DecodeStreamToken(LastToken(h.subject));
          if (name.ok()) names.push_back(*std::move(name));
        }
        std::sort(names.begin(), names.end());
        return names;
      });
}

absl::Status NatsStateStore::Lock(absl::string_view owner,
                                  absl::Span<const std::string> names,
                                  absl::Duration timeout) {
  return NoThrow("Lock", [&]() { return impl_->Lock(owner, names, timeout); });
}

void NatsStateStore::Unlock(absl::string_view owner,
                            absl::Span<const std::string> names) {
  (void)NoThrow("Unlock", [&]() {
    impl_->Unlock(owner, names);
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<CommitResult>> NatsStateStore::Commit(
    absl::string_view owner, absl::Span<const ChannelWrite> writes) {
  return NoThrow("Commit", [&]() { return impl_->Commit(owner, writes); });
}

absl::StatusOr<std::vector<StoredEvent>> NatsStateStore::Events(
    absl::string_view name, std::uint64_t after_id,
    std::optional<std::uint64_t> limit) {
  return NoThrow("Events",
                 [&]() { return impl_->Events(name, after_id, limit); });
}

absl::StatusOr<std::uint64_t> NatsStateStore::DeleteEvents(
    absl::string_view name, std::optional<std::uint64_t> keep_num,
    std::optional<absl::Duration> keep_duration) {
  return NoThrow("DeleteEvents", [&]() {
    return impl_->DeleteEvents(name, keep_num, keep_duration);
  });
}

absl::StatusOr<std::vector<Guard>> NatsStateStore::Guards() {
  return NoThrow("Guards", [&]() -> absl::StatusOr<std::vector<Guard>> {
    Impl& m = *impl_;
    absl::StatusOr<std::vector<StoredMsg>> entries =
        m.client->LastPerSubject(m.guards_stream, m.GuardSubject(">"), false);
    if (!entries.ok()) return entries.status();
    std::vector<Guard> guards;
    const std::size_t prefix = m.GuardSubject("").size();
    for (const StoredMsg& e : *entries) {
      if (e.header("KV-Operation")) continue;  // A delete marker.
      const absl::string_view key = absl::string_view(e.subject).substr(
          std::min(prefix, e.subject.size()));
      const std::size_t dot = key.find('.');
      std::int64_t count = 0;
      if (dot == absl::string_view::npos ||
          !absl::SimpleAtoi(e.data(), &count) || count <= 0) {
        continue;
      }
      absl::StatusOr<std::string> channel =
          DecodeStreamToken(key.substr(0, dot));
      absl::StatusOr<std::string> worker =
          DecodeStreamToken(key.substr(dot + 1));
      if (!channel.ok() || !worker.ok()) continue;
      guards.push_back(Guard{*std::move(channel), *std::move(worker), count});
    }
    std::sort(guards.begin(), guards.end(), [](const Guard& a, const Guard& b) {
      return std::tie(a.channel, a.worker) < std::tie(b.channel, b.worker);
    });
    return guards;
  });
}

absl::Status NatsStateStore::Heartbeat(absl::string_view worker,
                                       absl::Duration ttl) {
  return NoThrow("Heartbeat", [&]() -> absl::Status {
    if (absl::Status s = ValidateWorkerName(worker); !s.ok()) return s;
    Impl& m = *impl_;
    if (ttl > m.options.worker_max_age) {
      return absl::InvalidArgumentError(
          absl::StrCat("heartbeat ttl ", absl::FormatDuration(ttl),
                       " is longer than the worker bucket's max age ",
                       absl::FormatDuration(m.options.worker_max_age)));
    }
    return m.RunPublishes(
        {JetStreamClient::Publish(
            m.WorkerSubject(EncodeStreamToken(worker)),
            absl::StrCat(absl::ToUnixNanos(absl::Now() + ttl)))},
        "heartbeat");
  });
}

absl::StatusOr<std::vector<std::string>> NatsStateStore::AliveWorkers() {
  return NoThrow("AliveWorkers",
                 [&]() -> absl::StatusOr<std::vector<std::string>> {
                   Impl& m = *impl_;
                   absl::StatusOr<std::vector<StoredMsg>> entries =
                       m.client->LastPerSubject(m.workers_stream,
                                                m.WorkerSubject(">"), false);
                   if (!entries.ok()) return entries.status();
                   const absl::Time now = absl::Now();
                   std::vector<std::string> alive;
                   for (const StoredMsg& e : *entries) {
                     std::int64_t expires = 0;
                     if (e.header("KV-Operation") ||
                         !absl::SimpleAtoi(e.data(), &expires) ||
                         absl::FromUnixNanos(expires) <= now) {
                       continue;
                     }
                     absl::StatusOr<std::string> worker =
                         DecodeStreamToken(LastToken(e.subject));
                     if (worker.ok()) alive.push_back(*std::move(worker));
                   }
                   std::sort(alive.begin(), alive.end());
                   return alive;
                 });
}

}  // namespace cable::service
