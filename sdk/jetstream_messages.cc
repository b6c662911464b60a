#include "jetstream_messages.h"

#include <cstdint>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cable/jetstream_client.h"
#include "cable/json_fields.h"

namespace cable {
namespace jetstream_messages {

nlohmann::json ParseJson(absl::string_view text) {
  return nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
}

absl::string_view MsgData(natsMsg* m) {
  const char* data = natsMsg_GetData(m);
  if (data == nullptr) return {};
  return absl::string_view(data,
                           static_cast<std::size_t>(natsMsg_GetDataLength(m)));
}

std::optional<absl::string_view> MsgHeader(natsMsg* m, const char* name) {
  const char* value = nullptr;
  if (natsMsgHeader_Get(m, name, &value) != NATS_OK || value == nullptr) {
    return std::nullopt;
  }
  return absl::string_view(value);
}

absl::string_view ReplyStatus(natsMsg* m) {
  if (natsMsg_GetDataLength(m) != 0) return {};
  return MsgHeader(m, "Status").value_or(absl::string_view());
}

absl::Status ApiError(const nlohmann::json& reply, absl::string_view what) {
  if (reply.is_discarded() || !reply.is_object()) {
    return absl::InternalError(
        absl::StrCat("JetStream ", what, ": reply is not JSON"));
  }
  auto it = reply.find("error");
  if (it == reply.end() || !it->is_object()) return absl::OkStatus();
  const int code = json_fields::Int(*it, "code").value_or(0);
  const std::string description =
      json_fields::String(*it, "description").value_or("(no description)");
  const std::string message =
      absl::StrCat("JetStream ", what, ": ", description, " (", code, ")");
  if (code == 404) return absl::NotFoundError(message);
  if (code == 503) return absl::UnavailableError(message);
  return absl::InternalError(message);
}

absl::Status NoResponders(absl::string_view what) {
  return absl::UnavailableError(
      absl::StrCat("JetStream ", what,
                   ": no responders (JetStream disabled, or the stream is "
                   "missing)"));
}

}  // namespace jetstream_messages

namespace {

using Json = nlohmann::json;
using jetstream_messages::ApiError;
using jetstream_messages::MsgData;
using jetstream_messages::MsgHeader;
using jetstream_messages::NoResponders;
using jetstream_messages::ParseJson;
using jetstream_messages::ReplyStatus;

// JetStream's error code for a failed Nats-Expected-Last-Subject-Sequence.
constexpr int kWrongLastSequence = 10071;

}  // namespace

absl::string_view StoredMsg::data() const { return MsgData(msg.get()); }

std::optional<absl::string_view> StoredMsg::header(const char* name) const {
  return MsgHeader(msg.get(), name);
}

JsRequest JetStreamClient::Publish(std::string subject, std::string data,
                                   std::optional<std::uint64_t> expected_last) {
  JsRequest r{std::move(subject), std::move(data), {}};
  if (expected_last) {
    r.headers.emplace_back("Nats-Expected-Last-Subject-Sequence",
                           absl::StrCat(*expected_last));
  }
  return r;
}

JsRequest JetStreamClient::GetLast(const std::string& stream,
                                   const std::string& subject) {
  return JsRequest{absl::StrCat("$JS.API.DIRECT.GET.", stream),
                   Json{{"last_by_subj", subject}}.dump(),
                   {}};
}

JsRequest JetStreamClient::GetNext(const std::string& stream,
                                   const std::string& filter,
                                   std::uint64_t seq) {
  return JsRequest{absl::StrCat("$JS.API.DIRECT.GET.", stream),
                   Json{{"seq", seq}, {"next_by_subj", filter}}.dump(),
                   {}};
}

JsRequest JetStreamClient::Purge(const std::string& stream,
                                 const std::string& filter,
                                 std::optional<std::uint64_t> below_seq) {
  Json body = {{"filter", filter}};
  if (below_seq) body["seq"] = *below_seq;
  return JsRequest{
      absl::StrCat("$JS.API.STREAM.PURGE.", stream), body.dump(), {}};
}

absl::StatusOr<std::uint64_t> JetStreamClient::PubAck(const NatsMsgPtr& reply) {
  if (ReplyStatus(reply.get()) == "503") return NoResponders("publish");
  const Json ack = ParseJson(MsgData(reply.get()));
  if (ack.is_object()) {
    auto it = ack.find("error");
    if (it != ack.end() && it->is_object() &&
        json_fields::Int(*it, "err_code") == kWrongLastSequence) {
      return absl::AbortedError(absl::StrCat(
          "JetStream publish: ", json_fields::String(*it, "description")
                                     .value_or("wrong last sequence")));
    }
  }
  if (absl::Status s = ApiError(ack, "publish"); !s.ok()) return s;
  std::optional<std::uint64_t> seq = json_fields::Unsigned(ack, "seq");
  if (!seq) {
    return absl::InternalError(
        "JetStream publish: acknowledgement without a sequence");
  }
  return *seq;
}

absl::StatusOr<std::optional<StoredMsg>> JetStreamClient::Got(
    NatsMsgPtr reply) {
  const absl::string_view status = ReplyStatus(reply.get());
  if (status == "404") return std::nullopt;
  if (status == "503") return NoResponders("direct get");
  if (!status.empty()) {
    return absl::InternalError(
        absl::StrCat("JetStream direct get: status ", status, " ",
                     MsgHeader(reply.get(), "Description").value_or("")));
  }
  StoredMsg stored;
  const std::optional<absl::string_view> subject =
      MsgHeader(reply.get(), "Nats-Subject");
  const std::optional<absl::string_view> seq =
      MsgHeader(reply.get(), "Nats-Sequence");
  const std::optional<absl::string_view> time =
      MsgHeader(reply.get(), "Nats-Time-Stamp");
  std::string error;
  if (!subject || !seq || !absl::SimpleAtoi(*seq, &stored.seq) || !time ||
      !absl::ParseTime(absl::RFC3339_full, *time, &stored.time, &error)) {
    return absl::InternalError(
        "JetStream direct get: reply without subject, sequence or time");
  }
  stored.subject = std::string(*subject);
  stored.msg = std::move(reply);
  return stored;
}

absl::Status JetStreamClient::Purged(const NatsMsgPtr& reply) {
  if (ReplyStatus(reply.get()) == "503") return NoResponders("purge");
  const Json r = ParseJson(MsgData(reply.get()));
  if (absl::Status s = ApiError(r, "purge"); !s.ok()) return s;
  if (!json_fields::Bool(r, "success").value_or(false)) {
    return absl::InternalError("JetStream purge: not successful");
  }
  return absl::OkStatus();
}

}  // namespace cable
