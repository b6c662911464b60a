#include "nats_state_io.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cable/stream_subject.h"
#include "nlohmann/json.hpp"

namespace cable::service::nats_state {
namespace {

using Json = nlohmann::json;

absl::Status Acked(const NatsMsgPtr& reply, absl::string_view what) {
  absl::StatusOr<std::uint64_t> seq = JetStreamClient::PubAck(reply);
  if (seq.ok()) return absl::OkStatus();
  return absl::Status(seq.status().code(),
                      absl::StrCat(what, ": ", seq.status().message()));
}

}  // namespace

absl::Status NoSuchChannel(absl::string_view name) {
  return absl::NotFoundError(absl::StrCat("no channel \"", name, "\""));
}

std::uint64_t ChunkCount(std::size_t size, std::size_t chunk_bytes) {
  return std::max<std::uint64_t>(1, (size + chunk_bytes - 1) / chunk_bytes);
}

void AppendBlob(const Layout& layout, std::size_t chunk_bytes,
                const std::string& id, absl::string_view data,
                std::vector<JsRequest>* out) {
  const std::uint64_t n = ChunkCount(data.size(), chunk_bytes);
  for (std::uint64_t i = 0; i < n; ++i) {
    out->push_back(JetStreamClient::Publish(
        layout.ChunkSubject(id, i),
        std::string(data.substr(i * chunk_bytes, chunk_bytes))));
  }
}

StateIo::StateIo(std::unique_ptr<JetStreamClient> client, Layout layout,
                 std::size_t chunk_bytes)
    : client_(std::move(client)),
      layout_(std::move(layout)),
      chunk_bytes_(chunk_bytes) {}

absl::StatusOr<std::vector<NatsMsgPtr>> StateIo::Run(
    const std::vector<JsRequest>& requests) const {
  if (requests.empty()) return std::vector<NatsMsgPtr>();
  return client_->Batch(requests);
}

absl::Status StateIo::RunPublishes(const std::vector<JsRequest>& requests,
                                   absl::string_view what) const {
  absl::StatusOr<std::vector<NatsMsgPtr>> replies = Run(requests);
  if (!replies.ok()) return replies.status();
  for (const NatsMsgPtr& r : *replies) {
    if (absl::Status s = Acked(r, what); !s.ok()) return s;
  }
  return absl::OkStatus();
}

void StateIo::Send(const std::vector<JsRequest>& requests) const {
  if (!requests.empty()) client_->Send(requests);
}

absl::StatusOr<std::optional<std::string>> StateIo::ReadBlob(
    const std::string& id, std::uint64_t chunks) const {
  std::vector<JsRequest> requests;
  for (std::uint64_t i = 0; i < chunks; ++i) {
    requests.push_back(JetStreamClient::GetLast(layout_.chunks_stream,
                                                layout_.ChunkSubject(id, i)));
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

void StateIo::PurgeBlob(const std::string& blob) const {
  client_->Send({JetStreamClient::Purge(layout_.chunks_stream,
                                        layout_.BlobFilter(blob))});
}

absl::StatusOr<std::optional<Head>> StateIo::ReadHead(
    absl::string_view enc) const {
  absl::StatusOr<std::vector<NatsMsgPtr>> replies =
      Run({JetStreamClient::GetLast(layout_.channels_stream,
                                    layout_.HeadSubject(enc))});
  if (!replies.ok()) return replies.status();
  absl::StatusOr<std::optional<StoredMsg>> got =
      JetStreamClient::Got(std::move((*replies)[0]));
  if (!got.ok()) return got.status();
  if (!*got) return std::optional<Head>();
  absl::StatusOr<Head> head = DecodeHead((*got)->data(), (*got)->seq);
  if (!head.ok()) return head.status();
  return std::optional<Head>(*std::move(head));
}

JsRequest StateIo::PublishHead(absl::string_view enc, const Head& head,
                               std::uint64_t expected) const {
  JsRequest r = JetStreamClient::Publish(layout_.HeadSubject(enc),
                                         EncodeHead(head), expected);
  r.headers.emplace_back(kTypeHeader, EncodeStreamToken(head.type));
  return r;
}

JsRequest StateIo::PurgeLock(absl::string_view enc, std::uint64_t seq) const {
  return JetStreamClient::Purge(layout_.locks_stream, layout_.LockSubject(enc),
                                seq + 1);
}

JsRequest StateIo::FirstIntentRequest(std::uint64_t seq) const {
  return JetStreamClient::GetNext(layout_.intents_stream,
                                  layout_.IntentFilter(), seq);
}

JsRequest StateIo::ExistsRequest(absl::string_view enc) const {
  return JsRequest{
      absl::StrCat("$JS.API.STREAM.INFO.", layout_.channels_stream),
      Json{{"subjects_filter", layout_.HeadSubject(enc)}}.dump(),
      {}};
}

absl::StatusOr<bool> StateIo::Exists(const NatsMsgPtr& reply,
                                     absl::string_view enc) const {
  const char* data = natsMsg_GetData(reply.get());
  const Json info = Json::parse(data, data + natsMsg_GetDataLength(reply.get()),
                                nullptr, false);
  if (!info.is_object() || info.contains("error")) {
    return absl::UnavailableError(absl::StrCat(
        "JetStream stream info of ", layout_.channels_stream, ": ",
        info.is_object() ? info["error"].dump() : "no JSON reply"));
  }
  const Json* subjects = nullptr;
  if (auto s = info.find("state"); s != info.end() && s->is_object()) {
    if (auto sub = s->find("subjects"); sub != s->end()) subjects = &*sub;
  }
  return subjects != nullptr && subjects->is_object() &&
         subjects->contains(layout_.HeadSubject(enc));
}

absl::Status StateIo::WriteGuards(const std::vector<GuardOp>& guards,
                                  bool strict) const {
  std::vector<JsRequest> requests;
  std::vector<const GuardOp*> ops;
  for (const GuardOp& g : guards) {
    if (g.count) {
      requests.push_back(JetStreamClient::Publish(
          layout_.GuardSubject(g.key), absl::StrCat(*g.count), g.seen));
    } else if (g.seen != 0) {
      requests.push_back(JetStreamClient::Purge(
          layout_.guards_stream, layout_.GuardSubject(g.key), g.seen + 1));
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
    absl::StatusOr<std::uint64_t> seq = JetStreamClient::PubAck((*replies)[i]);
    if (seq.ok()) continue;
    if (!absl::IsAborted(seq.status())) return seq.status();
    absl::StatusOr<std::vector<NatsMsgPtr>> now = Run({JetStreamClient::GetLast(
        layout_.guards_stream, layout_.GuardSubject(ops[i]->key))});
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

}  // namespace cable::service::nats_state
