#include "nats_state_records.h"

#include <random>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cable/json_fields.h"
#include "cable/stream_subject.h"
#include "nlohmann/json.hpp"

namespace cable::service::nats_state {
namespace {

using Json = nlohmann::json;

constexpr char kIntentMagic[] = "cable-intent-2";

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

}  // namespace

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

absl::string_view LastToken(absl::string_view subject) {
  const std::size_t dot = subject.rfind('.');
  return dot == absl::string_view::npos ? subject : subject.substr(dot + 1);
}

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

std::optional<std::int64_t> DecodeGuardCount(absl::string_view data) {
  std::int64_t count = 0;
  if (!absl::SimpleAtoi(data, &count)) return std::nullopt;
  return count;
}

}  // namespace cable::service::nats_state
