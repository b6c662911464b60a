#pragma once
// The JetStream round trips every part of NatsStateStore shares: batches
// through JetStreamClient, blobs (chunked values), head records, guard
// writes. One per store; thread-safe (the client is, the rest is const).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cable/jetstream_client.h"
#include "nats_state_layout.h"
#include "nats_state_records.h"

namespace cable::service::nats_state {

// Chunks of a blob, published before whatever points to them.
std::uint64_t ChunkCount(std::size_t size, std::size_t chunk_bytes);
void AppendBlob(const Layout& layout, std::size_t chunk_bytes,
                const std::string& id, absl::string_view data,
                std::vector<JsRequest>* out);

// NotFound for a channel that does not exist.
absl::Status NoSuchChannel(absl::string_view name);

class StateIo final {
 public:
  StateIo(std::unique_ptr<JetStreamClient> client, Layout layout,
          std::size_t chunk_bytes);

  JetStreamClient& client() const { return *client_; }
  const Layout& layout() const { return layout_; }
  std::size_t chunk_bytes() const { return chunk_bytes_; }

  // One batch (nothing sent for none).
  absl::StatusOr<std::vector<NatsMsgPtr>> Run(
      const std::vector<JsRequest>& requests) const;
  // Runs publishes and checks every ack; errors are prefixed with `what`.
  absl::Status RunPublishes(const std::vector<JsRequest>& requests,
                            absl::string_view what) const;
  // Best-effort: no replies awaited.
  void Send(const std::vector<JsRequest>& requests) const;

  // The blob's bytes; nullopt if a chunk is gone (purged meanwhile).
  absl::StatusOr<std::optional<std::string>> ReadBlob(
      const std::string& id, std::uint64_t chunks) const;
  void PurgeBlob(const std::string& blob) const;

  // A channel's head record; nullopt for no channel.
  absl::StatusOr<std::optional<Head>> ReadHead(absl::string_view enc) const;
  // A publish of the head, expecting the subject at `expected`.
  JsRequest PublishHead(absl::string_view enc, const Head& head,
                        std::uint64_t expected) const;

  // Removes a lock entry up to `seq`: never a later holder's.
  JsRequest PurgeLock(absl::string_view enc, std::uint64_t seq) const;
  // The first intent at or after `seq`.
  JsRequest FirstIntentRequest(std::uint64_t seq) const;
  // Whether channel `enc` exists: a stream info request, read by Exists.
  JsRequest ExistsRequest(absl::string_view enc) const;
  absl::StatusOr<bool> Exists(const NatsMsgPtr& reply,
                              absl::string_view enc) const;

  // Writes guard changes, fenced (see GuardOp). A put that finds another
  // sequence is fine if the count is already what it would write (the
  // commit's own writer got there first); otherwise the lease was lost:
  // with `strict` that is FailedPrecondition, else it is left alone.
  absl::Status WriteGuards(const std::vector<GuardOp>& guards,
                           bool strict) const;

 private:
  std::unique_ptr<JetStreamClient> client_;
  const Layout layout_;
  const std::size_t chunk_bytes_;
};

}  // namespace cable::service::nats_state
