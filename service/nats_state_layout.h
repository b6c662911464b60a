#pragma once
// Names of NatsStateStore's buckets, streams and subjects for one prefix
// (the layout is described in nats_state_store.h). Pure: no connection.

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "cable/stream_subject.h"

namespace cable::service::nats_state {

struct Layout {
  explicit Layout(std::string p)
      : prefix(std::move(p)),
        channels_stream(absl::StrCat("KV_", prefix, "_channels")),
        locks_stream(absl::StrCat("KV_", prefix, "_locks")),
        guards_stream(absl::StrCat("KV_", prefix, "_guards")),
        workers_stream(absl::StrCat("KV_", prefix, "_workers")),
        services_stream(absl::StrCat("KV_", prefix, "_services")),
        events_stream(absl::StrCat(prefix, "_events")),
        chunks_stream(absl::StrCat(prefix, "_chunks")),
        intents_stream(absl::StrCat(prefix, "_intents")) {}

  std::string prefix;
  std::string channels_stream, locks_stream, guards_stream, workers_stream;
  std::string services_stream;
  std::string events_stream, chunks_stream, intents_stream;

  // <enc> is EncodeStreamToken of a channel (or worker) name.
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
  std::string ServiceSubject(absl::string_view enc) const {
    return absl::StrCat("$KV.", prefix, "_services.", enc);
  }
  std::string EventSubject(absl::string_view enc, std::uint64_t id) const {
    return absl::StrCat(prefix, ".ev.", enc, ".", id);
  }
  // Every stored event of a channel (not their chunks).
  std::string EventFilter(absl::string_view enc) const {
    return absl::StrCat(prefix, ".ev.", enc, ".*");
  }
  std::string EventChunkSubject(absl::string_view enc, std::uint64_t id,
                                std::uint64_t n) const {
    return absl::StrCat(prefix, ".evc.", enc, ".", id, ".", n);
  }
  // Every event chunk of a channel.
  std::string EventChunkFilter(absl::string_view enc) const {
    return absl::StrCat(prefix, ".evc.", enc, ".>");
  }
  std::string ChunkSubject(absl::string_view blob, std::uint64_t n) const {
    return absl::StrCat(prefix, ".ch.", blob, ".", n);
  }
  // Every chunk of a blob.
  std::string BlobFilter(absl::string_view blob) const {
    return absl::StrCat(prefix, ".ch.", blob, ".>");
  }
  std::string IntentSubject(absl::string_view id) const {
    return absl::StrCat(prefix, ".tx.", id);
  }
  std::string IntentFilter() const { return absl::StrCat(prefix, ".tx.*"); }

  // The P_guards key of (channel, worker).
  static std::string GuardKey(absl::string_view channel,
                              absl::string_view worker) {
    return absl::StrCat(EncodeStreamToken(channel), ".",
                        EncodeStreamToken(worker));
  }
};

}  // namespace cable::service::nats_state
