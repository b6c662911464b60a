#include "nats_state_recovery.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cable/service/state_store.h"

namespace cable::service::nats_state {

IntentRecovery::IntentRecovery(const StateIo& io, LockTable& table)
    : io_(io), table_(table) {}

absl::Status IntentRecovery::Recover(absl::string_view owner,
                                     const std::vector<std::string>& taken,
                                     NatsMsgPtr first) const {
  const absl::flat_hash_set<std::string> mine(taken.begin(), taken.end());
  std::uint64_t cursor = 0;
  NatsMsgPtr reply = std::move(first);
  for (;;) {
    if (reply == nullptr) {
      absl::StatusOr<std::vector<NatsMsgPtr>> replies =
          io_.Run({io_.FirstIntentRequest(cursor)});
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
    const bool touches =
        std::any_of((*intent)->parts.begin(), (*intent)->parts.end(),
                    [&](const IntentPart& p) { return mine.contains(p.name); });
    if (!touches) continue;
    if (absl::Status s = RollForward(owner, **intent); !s.ok()) return s;
  }
}

absl::StatusOr<std::optional<Intent>> IntentRecovery::ReadIntent(
    const StoredMsg& msg) const {
  std::string body(msg.data());
  std::string blob;
  if (std::optional<absl::string_view> b = msg.header(kBlobHeader)) {
    blob = std::string(*b);
    std::uint64_t chunks = 0;
    if (!absl::SimpleAtoi(msg.header(kChunksHeader).value_or(""), &chunks)) {
      return absl::DataLossError("intent without its chunk count");
    }
    absl::StatusOr<std::optional<std::string>> data =
        io_.ReadBlob(blob, chunks);
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

absl::Status IntentRecovery::RollForward(absl::string_view owner,
                                         const Intent& intent) const {
  const Layout& layout = io_.layout();
  bool all_done = true;
  const std::string recovery_owner =
      absl::StrCat("recovery:", UniqueId(), ":", owner)
          .substr(0, kMaxOwnerBytes);
  for (const IntentPart& part : intent.parts) {
    absl::StatusOr<std::optional<Head>> head = io_.ReadHead(part.enc);
    if (!head.ok()) return head.status();
    if (!*head || (*head)->seq != part.expected) continue;  // Done.
    // Writing needs the channel's lock: ours, or taken just for this.
    std::optional<std::uint64_t> temporary;
    if (table_.Find(owner, part.name).holder != LockTable::Holder::kOwner) {
      absl::StatusOr<std::vector<NatsMsgPtr>> r =
          io_.Run({JetStreamClient::Publish(layout.LockSubject(part.enc),
                                            recovery_owner, 0)});
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
      head = io_.ReadHead(part.enc);
      if (!head.ok() || !*head || (*head)->seq != part.expected) {
        (void)io_.Run({io_.PurgeLock(part.enc, *temporary)});
        if (!head.ok()) return head.status();
        continue;
      }
    }
    spdlog::warn(
        "state store: rolling forward commit {} of \"{}\" on channel "
        "\"{}\": its lease ran out before it finished",
        intent.id, intent.owner, part.name);
    absl::Status s = ApplyPart(part);
    if (temporary) (void)io_.Run({io_.PurgeLock(part.enc, *temporary)});
    if (!s.ok()) return s;
  }
  if (all_done) {
    std::vector<JsRequest> cleanup = {JetStreamClient::Purge(
        layout.intents_stream, layout.IntentSubject(intent.id))};
    if (!intent.blob.empty()) {
      cleanup.push_back(JetStreamClient::Purge(layout.chunks_stream,
                                               layout.BlobFilter(intent.blob)));
    }
    io_.Send(cleanup);
  }
  return absl::OkStatus();
}

absl::Status IntentRecovery::ApplyPart(const IntentPart& part) const {
  if (absl::Status s = io_.WriteGuards(part.guards, /*strict=*/false);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<Head> head = DecodeHead(part.head, 0);
  if (!head.ok()) return head.status();
  absl::StatusOr<std::vector<NatsMsgPtr>> r =
      io_.Run({io_.PublishHead(part.enc, *head, part.expected)});
  if (!r.ok()) return r.status();
  absl::StatusOr<std::uint64_t> seq = JetStreamClient::PubAck((*r)[0]);
  if (seq.ok()) {
    if (!part.old_blob.empty()) io_.PurgeBlob(part.old_blob);
    return absl::OkStatus();
  }
  // Aborted: applied by someone else meanwhile.
  return absl::IsAborted(seq.status()) ? absl::OkStatus() : seq.status();
}

}  // namespace cable::service::nats_state
