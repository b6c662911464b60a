#include "cable/service/nats_state_store.h"

// The facade: Connect (buckets, streams, the lease), and the calls that
// are one or two round trips. The parts (nats_state_*.h beside this file):
// records (codecs), layout (names), io (shared round trips), lock_table,
// locks, recovery, commit (phases) with commit_plan (pure), events.

#include <nats/nats.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cable/jetstream_client.h"
#include "cable/stream_subject.h"
#include "nats_state_commit.h"
#include "nats_state_events.h"
#include "nats_state_io.h"
#include "nats_state_layout.h"
#include "nats_state_lock_table.h"
#include "nats_state_locks.h"
#include "nats_state_records.h"
#include "nats_state_recovery.h"

namespace cable::service {

using nats_state::AppendBlob;
using nats_state::ChunkCount;
using nats_state::CommitRun;
using nats_state::DecodeGuardCount;
using nats_state::EventLog;
using nats_state::Head;
using nats_state::HeaderLine;
using nats_state::IntentRecovery;
using nats_state::kTypeHeader;
using nats_state::LastToken;
using nats_state::Layout;
using nats_state::Locks;
using nats_state::LockTable;
using nats_state::NoSuchChannel;
using nats_state::StateIo;
using nats_state::UniqueId;

namespace {

// Room left in a message for headers and the protocol line.
constexpr std::size_t kHeaderRoom = 8 * 1024;
constexpr std::size_t kMinChunkBytes = 1024;
constexpr std::size_t kMaxPrefixBytes = 32;
// Reads that find a value's chunks gone (replaced meanwhile) start over.
constexpr int kReadAttempts = 5;
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

}  // namespace

struct NatsStateStore::Impl {
  Impl(Clock& clock, NatsStateStoreOptions opts, absl::Duration lease,
       std::unique_ptr<StateIo> state_io)
      : options(std::move(opts)),
        io(std::move(state_io)),
        table(clock, lease),
        recovery(*io, table),
        locks(*io, table, recovery),
        events(*io) {}

  const NatsStateStoreOptions options;
  const std::unique_ptr<StateIo> io;
  LockTable table;
  const IntentRecovery recovery;
  Locks locks;
  const EventLog events;
};

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

// Kept as it is when it exists (another replica made it, maybe with other
// limits): JetStreamClient::EnsureStream without update.
absl::Status EnsureStream(JetStreamClient& client, const std::string& name,
                          const std::vector<std::string>& subjects,
                          const NatsStateStoreOptions& options) {
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
  return client.EnsureStream(config, /*update_existing=*/false,
                             absl::StrCat("stream ", name));
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
  absl::StatusOr<std::unique_ptr<JetStreamClient>> client =
      JetStreamClient::Connect(
          {nats_url, options.name, options.request_timeout, options.security});
  if (!client.ok()) return client.status();
  const std::string& p = options.prefix;
  Layout layout(p);

  jsCtx* js = (*client)->js();
  for (const auto& [bucket, max_age] :
       std::vector<std::pair<std::string, absl::Duration>>{
           {absl::StrCat(p, "_channels"), absl::ZeroDuration()},
           {absl::StrCat(p, "_locks"), options.lock_lease},
           {absl::StrCat(p, "_guards"), absl::ZeroDuration()},
           {absl::StrCat(p, "_workers"), options.worker_max_age},
           {absl::StrCat(p, "_services"), options.worker_max_age}}) {
    if (absl::Status s = EnsureBucket(js, bucket, max_age, options); !s.ok()) {
      return s;
    }
  }
  for (const auto& [stream, subjects] :
       std::vector<std::pair<std::string, std::vector<std::string>>>{
           {layout.events_stream,
            {absl::StrCat(p, ".ev.>"), absl::StrCat(p, ".evc.>")}},
           {layout.chunks_stream, {absl::StrCat(p, ".ch.>")}},
           {layout.intents_stream, {absl::StrCat(p, ".tx.>")}}}) {
    if (absl::Status s = EnsureStream(**client, stream, subjects, options);
        !s.ok()) {
      return s;
    }
  }
  // The lease is what the lock bucket enforces, whoever created it.
  jsStreamInfo* info = nullptr;
  jsErrCode error = static_cast<jsErrCode>(0);
  natsStatus s =
      js_GetStreamInfo(&info, js, layout.locks_stream.c_str(), nullptr, &error);
  if (s != NATS_OK) return FromNatsStatus(s, "lock bucket info");
  const absl::Duration lease = absl::Nanoseconds(info->Config->MaxAge);
  jsStreamInfo_Destroy(info);
  if (lease <= absl::ZeroDuration()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "lock bucket ", p, "_locks has no MaxAge: locks would never expire"));
  }
  if (lease != options.lock_lease) {
    spdlog::warn("state store: lock bucket {}_locks has a lease of {}, not {}",
                 p, absl::FormatDuration(lease),
                 absl::FormatDuration(options.lock_lease));
  }

  const std::int64_t max_payload = (*client)->max_payload();
  std::size_t chunk =
      max_payload > static_cast<std::int64_t>(kHeaderRoom + kMinChunkBytes)
          ? static_cast<std::size_t>(max_payload) - kHeaderRoom
          : kMinChunkBytes;
  if (options.max_chunk_bytes != 0) {
    chunk = std::clamp(options.max_chunk_bytes, kMinChunkBytes, chunk);
  }
  Clock& clock = options.clock != nullptr ? *options.clock : RealClock();
  auto io =
      std::make_unique<StateIo>(*std::move(client), std::move(layout), chunk);
  auto impl =
      std::make_unique<Impl>(clock, std::move(options), lease, std::move(io));
  return std::unique_ptr<NatsStateStore>(new NatsStateStore(std::move(impl)));
}

NatsStateStore::NatsStateStore(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}

NatsStateStore::~NatsStateStore() = default;

absl::Duration NatsStateStore::lease() const { return impl_->table.lease(); }
std::size_t NatsStateStore::chunk_bytes() const {
  return impl_->io->chunk_bytes();
}

absl::StatusOr<bool> NatsStateStore::Create(const ChannelSpec& spec) {
  return NoThrow("Create", [&]() -> absl::StatusOr<bool> {
    if (absl::Status s = ValidateChannelSpec(spec); !s.ok()) return s;
    const StateIo& io = *impl_->io;
    const std::string enc = EncodeStreamToken(spec.name);
    Head head;
    head.revision = 1;
    head.type = spec.type;
    head.keep_events = spec.keep_events;
    std::vector<JsRequest> chunks;
    if (HeaderLine(head).size() + 64 + spec.state.size() > io.chunk_bytes()) {
      head.blob = UniqueId();
      head.chunks = ChunkCount(spec.state.size(), io.chunk_bytes());
      AppendBlob(io.layout(), io.chunk_bytes(), head.blob, spec.state, &chunks);
    } else {
      head.inline_state = spec.state;
    }
    if (absl::Status s = io.RunPublishes(chunks, "state chunks"); !s.ok()) {
      return s;
    }
    absl::StatusOr<std::vector<NatsMsgPtr>> r =
        io.Run({io.PublishHead(enc, head, 0)});
    if (!r.ok()) return r.status();
    absl::StatusOr<std::uint64_t> seq = JetStreamClient::PubAck((*r)[0]);
    if (absl::IsAborted(seq.status())) {
      if (!head.blob.empty()) io.PurgeBlob(head.blob);
      return false;
    }
    if (!seq.ok()) return seq.status();
    impl_->table.Remember(spec.name);
    return true;
  });
}

absl::StatusOr<ChannelRecord> NatsStateStore::Get(absl::string_view name) {
  return NoThrow("Get", [&]() -> absl::StatusOr<ChannelRecord> {
    if (!ValidateChannelName(name).ok()) return NoSuchChannel(name);
    const std::string enc = EncodeStreamToken(name);
    for (int attempt = 0; attempt < kReadAttempts; ++attempt) {
      absl::StatusOr<std::optional<Head>> head = impl_->io->ReadHead(enc);
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
            impl_->io->ReadBlob(h.blob, h.chunks);
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
        const StateIo& io = *impl_->io;
        absl::StatusOr<std::vector<StoredMsg>> heads =
            io.client().LastPerSubject(io.layout().channels_stream,
                                       io.layout().HeadSubject(">"), true);
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
  return NoThrow("Lock",
                 [&]() { return impl_->locks.Lock(owner, names, timeout); });
}

void NatsStateStore::Unlock(absl::string_view owner,
                            absl::Span<const std::string> names) {
  (void)NoThrow("Unlock", [&]() {
    impl_->locks.Unlock(owner, names);
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<CommitResult>> NatsStateStore::Commit(
    absl::string_view owner, absl::Span<const ChannelWrite> writes) {
  return NoThrow("Commit", [&]() -> absl::StatusOr<std::vector<CommitResult>> {
    if (absl::Status s = ValidateCommit(owner, writes); !s.ok()) return s;
    return CommitRun(*impl_->io, impl_->table, impl_->options.crash_at, owner,
                     writes)
        .Run();
  });
}

absl::StatusOr<std::vector<StoredEvent>> NatsStateStore::Events(
    absl::string_view name, std::uint64_t after_id,
    std::optional<std::uint64_t> limit) {
  return NoThrow("Events",
                 [&]() { return impl_->events.Events(name, after_id, limit); });
}

absl::StatusOr<std::uint64_t> NatsStateStore::DeleteEvents(
    absl::string_view name, std::optional<std::uint64_t> keep_num,
    std::optional<absl::Duration> keep_duration) {
  return NoThrow("DeleteEvents", [&]() {
    return impl_->events.DeleteEvents(name, keep_num, keep_duration);
  });
}

absl::StatusOr<std::vector<Guard>> NatsStateStore::Guards() {
  return NoThrow("Guards", [&]() -> absl::StatusOr<std::vector<Guard>> {
    const StateIo& io = *impl_->io;
    const Layout& layout = io.layout();
    absl::StatusOr<std::vector<StoredMsg>> entries = io.client().LastPerSubject(
        layout.guards_stream, layout.GuardSubject(">"), false);
    if (!entries.ok()) return entries.status();
    std::vector<Guard> guards;
    const std::size_t prefix = layout.GuardSubject("").size();
    for (const StoredMsg& e : *entries) {
      if (e.header("KV-Operation")) continue;  // A delete marker.
      const absl::string_view key = absl::string_view(e.subject).substr(
          std::min(prefix, e.subject.size()));
      const std::size_t dot = key.find('.');
      const std::optional<std::int64_t> count = DecodeGuardCount(e.data());
      if (dot == absl::string_view::npos || !count || *count <= 0) continue;
      absl::StatusOr<std::string> channel =
          DecodeStreamToken(key.substr(0, dot));
      absl::StatusOr<std::string> worker =
          DecodeStreamToken(key.substr(dot + 1));
      if (!channel.ok() || !worker.ok()) continue;
      guards.push_back(Guard{*std::move(channel), *std::move(worker), *count});
    }
    std::sort(guards.begin(), guards.end(), [](const Guard& a, const Guard& b) {
      return std::tie(a.channel, a.worker) < std::tie(b.channel, b.worker);
    });
    return guards;
  });
}

namespace {

// A heartbeat: the expiry by this process's clock (see the header) under
// `subject` of a P_workers-like bucket.
absl::Status WriteHeartbeat(
    const StateIo& io, Clock& clock, absl::Duration max_age,
    absl::string_view name, absl::Duration ttl,
    const std::function<std::string(absl::string_view)>& subject) {
  if (absl::Status s = ValidateWorkerName(name); !s.ok()) return s;
  if (ttl > max_age) {
    return absl::InvalidArgumentError(
        absl::StrCat("heartbeat ttl ", absl::FormatDuration(ttl),
                     " is longer than the bucket's max age ",
                     absl::FormatDuration(max_age)));
  }
  const absl::Time expires = clock.Now() + ttl;
  return io.RunPublishes(
      {JetStreamClient::Publish(subject(EncodeStreamToken(name)),
                                absl::StrCat(absl::ToUnixNanos(expires)))},
      "heartbeat");
}

// The names whose last heartbeat in `stream` has not expired, sorted.
absl::StatusOr<std::vector<std::string>> ReadAlive(const StateIo& io,
                                                   Clock& clock,
                                                   const std::string& stream,
                                                   const std::string& filter) {
  absl::StatusOr<std::vector<StoredMsg>> entries =
      io.client().LastPerSubject(stream, filter, false);
  if (!entries.ok()) return entries.status();
  const absl::Time now = clock.Now();
  std::vector<std::string> alive;
  for (const StoredMsg& e : *entries) {
    std::int64_t expires = 0;
    if (e.header("KV-Operation") || !absl::SimpleAtoi(e.data(), &expires) ||
        absl::FromUnixNanos(expires) <= now) {
      continue;
    }
    absl::StatusOr<std::string> name = DecodeStreamToken(LastToken(e.subject));
    if (name.ok()) alive.push_back(*std::move(name));
  }
  std::sort(alive.begin(), alive.end());
  return alive;
}

}  // namespace

absl::Status NatsStateStore::Heartbeat(absl::string_view worker,
                                       absl::Duration ttl) {
  return NoThrow("Heartbeat", [&]() -> absl::Status {
    const Layout& layout = impl_->io->layout();
    return WriteHeartbeat(
        *impl_->io, impl_->table.clock(), impl_->options.worker_max_age, worker,
        ttl, [&](absl::string_view enc) { return layout.WorkerSubject(enc); });
  });
}

absl::StatusOr<std::vector<std::string>> NatsStateStore::AliveWorkers() {
  return NoThrow(
      "AliveWorkers", [&]() -> absl::StatusOr<std::vector<std::string>> {
        const Layout& layout = impl_->io->layout();
        return ReadAlive(*impl_->io, impl_->table.clock(),
                         layout.workers_stream, layout.WorkerSubject(">"));
      });
}

absl::Status NatsStateStore::ServiceHeartbeat(absl::string_view service,
                                              absl::Duration ttl) {
  return NoThrow("ServiceHeartbeat", [&]() -> absl::Status {
    const Layout& layout = impl_->io->layout();
    return WriteHeartbeat(
        *impl_->io, impl_->table.clock(), impl_->options.worker_max_age,
        service, ttl,
        [&](absl::string_view enc) { return layout.ServiceSubject(enc); });
  });
}

absl::StatusOr<std::vector<std::string>> NatsStateStore::AliveServices() {
  return NoThrow(
      "AliveServices", [&]() -> absl::StatusOr<std::vector<std::string>> {
        const Layout& layout = impl_->io->layout();
        return ReadAlive(*impl_->io, impl_->table.clock(),
                         layout.services_stream, layout.ServiceSubject(">"));
      });
}

}  // namespace cable::service
