// NatsPubSub: publishing (plain messages and fragments), the blocking
// flush, and the reassembly statistics.

#include <nats/nats.h>

#include <algorithm>
#include <climits>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cable/nats_connection.h"
#include "cable/nats_pubsub.h"
#include "nats_pubsub_internal.h"

namespace cable {

absl::Status NatsPubSub::Broadcast(absl::string_view stream,
                                   absl::string_view message) {
  if (absl::Status s = ValidateStreamName(stream, subject_prefix_); !s.ok()) {
    return s;
  }
  return PublishImpl(StreamSubject(subject_prefix_, stream), message);
}

absl::Status NatsPubSub::PublishSubject(absl::string_view subject,
                                        absl::string_view data) {
  if (absl::Status s = ValidateSubject(subject, /*allow_wildcards=*/false);
      !s.ok()) {
    return s;
  }
  return PublishImpl(std::string(subject), data);
}

absl::Status NatsPubSub::PublishImpl(const std::string& subject,
                                     absl::string_view data) {
  if (data.size() > max_message_bytes_) {
    return absl::InvalidArgumentError(
        absl::StrCat("nats: a message of ", data.size(), " bytes to ", subject,
                     " is over the limit of ", max_message_bytes_,
                     " bytes (max_message_bytes)"));
  }
  natsConnection* nc = connection_->Get();
  const std::int64_t server_max = natsConnection_GetMaxPayload(nc);
  const std::size_t max_payload = server_max > 0
                                      ? static_cast<std::size_t>(server_max)
                                      : kAssumedMaxPayload;
  if (data.size() > max_payload ||
      data.size() > static_cast<std::size_t>(INT_MAX)) {
    return PublishFragments(subject, data, max_payload);
  }
  // The hot path: one plain message, as without fragmentation.
  natsStatus s = natsConnection_Publish(nc, subject.c_str(), data.data(),
                                        static_cast<int>(data.size()));
  if (s == NATS_MAX_PAYLOAD) {
    // Reconnected to a server with a smaller max payload meanwhile.
    const std::int64_t now_max = natsConnection_GetMaxPayload(nc);
    if (now_max > 0 && data.size() > static_cast<std::size_t>(now_max)) {
      return PublishFragments(subject, data, static_cast<std::size_t>(now_max));
    }
  }
  return FromNatsStatus(s, absl::StrCat("publish to ", subject));
}

absl::Status NatsPubSub::PublishFragments(const std::string& subject,
                                          absl::string_view data,
                                          std::size_t max_payload) {
  max_payload = std::min(max_payload, static_cast<std::size_t>(INT_MAX));
  natsConnection* nc = connection_->Get();
  // One fragmented message at a time from this connection: subscribers
  // then have at most one partial message per publisher.
  absl::MutexLock lock(&fragment_mu_);
  absl::StatusOr<FragmentedMessage> message = writer_.Split(data, max_payload);
  if (!message.ok()) {
    return absl::Status(
        message.status().code(),
        absl::StrCat("nats: ", message.status().message(), " to ", subject));
  }
  if (natsConnection_Status(nc) != NATS_CONN_STATUS_CONNECTED) {
    // nats.c refuses a publish once the reconnect buffer is full; refuse
    // the whole message up front rather than buffer a part of it.
    const int buffered = natsConnection_Buffered(nc);
    const std::size_t needed =
        data.size() +
        message->count * (kFragmentHeaderRoom + subject.size() + 32);
    if (buffered >= 0 &&
        static_cast<std::size_t>(buffered) + needed > reconnect_buffer_bytes_) {
      return absl::UnavailableError(absl::StrCat(
          "nats: not connected, and the reconnect buffer (", buffered, " of ",
          reconnect_buffer_bytes_, " bytes used) cannot hold a ", data.size(),
          "-byte message to ", subject));
    }
  }
  const std::string count_text = absl::StrCat(message->count);
  const std::string size_text = absl::StrCat(message->size);
  for (std::size_t i = 0; i < message->parts.size(); ++i) {
    const absl::string_view part = message->parts[i];
    const std::string index_text = absl::StrCat(i);
    natsMsg* raw = nullptr;
    natsStatus s = natsMsg_Create(&raw, subject.c_str(), nullptr, part.data(),
                                  static_cast<int>(part.size()));
    std::unique_ptr<natsMsg, NatsMsgDestroyer> msg(raw);
    if (s == NATS_OK) {
      s = natsMsgHeader_Set(raw, kFragmentIdHeader, message->id.c_str());
    }
    if (s == NATS_OK) {
      s = natsMsgHeader_Set(raw, kFragmentIndexHeader, index_text.c_str());
    }
    if (s == NATS_OK) {
      s = natsMsgHeader_Set(raw, kFragmentCountHeader, count_text.c_str());
    }
    if (s == NATS_OK) {
      s = natsMsgHeader_Set(raw, kFragmentSizeHeader, size_text.c_str());
    }
    if (s == NATS_OK) s = natsConnection_PublishMsg(nc, raw);
    if (s != NATS_OK) {
      // Subscribers drop the fragments sent so far.
      return FromNatsStatus(
          s, absl::StrCat("publish fragment ", i + 1, " of ", message->count,
                          " (message ", message->id, ") to ", subject));
    }
  }
  return absl::OkStatus();
}

absl::Status NatsPubSub::Flush(std::chrono::milliseconds timeout) {
  if (timeout.count() <= 0) {
    return absl::InvalidArgumentError("flush: timeout must be positive");
  }
  return FromNatsStatus(connection_->FlushAndReap(timeout), "flush");
}

NatsPubSub::ReassemblyStats NatsPubSub::reassembly_stats() const {
  absl::MutexLock lock(&delivery_->mu);
  return delivery_->assembler.stats();
}

bool NatsPubSub::AwaitReassemblyStats(
    const std::function<bool(const ReassemblyStats&)>& done,
    std::chrono::milliseconds timeout) const {
  Delivery* d = delivery_.get();
  auto ready = [d, &done]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(d->mu) {
    return done(d->assembler.stats());
  };
  absl::MutexLock lock(&d->mu);
  return d->mu.AwaitWithTimeout(absl::Condition(&ready),
                                absl::FromChrono(timeout));
}

}  // namespace cable
