#include "cable/service/jetstream_presence_store.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "cable/jetstream_client.h"
#include "cable/nats_connection.h"
#include "cable/stream_subject.h"

namespace cable::service {
namespace {

// Retries of one Update against other writers: each retry means another
// writer's update of the same stream got in, so this bounds a hot spot, not
// a failure.
constexpr int kMaxAttempts = 50;

bool ValidPrefix(absl::string_view prefix) {
  return !prefix.empty() && prefix.size() <= 32 &&
         std::all_of(prefix.begin(), prefix.end(), [](char c) {
           return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
                  c == '_' || c == '-';
         });
}

}  // namespace

absl::StatusOr<std::unique_ptr<JetStreamPresenceStore>>
JetStreamPresenceStore::Connect(const std::string& nats_url,
                                const JetStreamPresenceStoreOptions& options) {
  if (!ValidPrefix(options.prefix)) {
    return absl::InvalidArgumentError(
        absl::StrCat("presence store prefix \"", options.prefix,
                     "\": 1 to 32 of [A-Za-z0-9_-]"));
  }
  absl::StatusOr<std::unique_ptr<JetStreamClient>> client =
      JetStreamClient::Connect(
          {nats_url, options.name, options.request_timeout, options.security});
  if (!client.ok()) return client.status();
  const std::string name =
      absl::AsciiStrToUpper(absl::StrCat(options.prefix, "_PRESENCE"));
  const std::string subjects = absl::StrCat(options.prefix, ".presence.>");
  const char* subject_ptr = subjects.c_str();
  jsStreamConfig config;
  jsStreamConfig_Init(&config);
  config.Name = name.c_str();
  config.Subjects = &subject_ptr;
  config.SubjectsLen = 1;
  config.MaxMsgsPerSubject = 1;
  config.Storage = options.memory_storage ? js_MemoryStorage : js_FileStorage;
  config.Replicas = options.replicas;
  config.AllowDirect = true;
  if (absl::Status status =
          (*client)->EnsureStream(config, /*update_existing=*/false,
                                  absl::StrCat("presence stream ", name));
      !status.ok()) {
    return status;
  }
  return std::unique_ptr<JetStreamPresenceStore>(new JetStreamPresenceStore(
      *std::move(client), name, absl::StrCat(options.prefix, ".presence")));
}

JetStreamPresenceStore::JetStreamPresenceStore(
    std::unique_ptr<JetStreamClient> client, std::string stream,
    std::string subject_prefix)
    : client_(std::move(client)),
      jetstream_(std::move(stream)),
      subject_prefix_(std::move(subject_prefix)) {}

JetStreamPresenceStore::~JetStreamPresenceStore() = default;

absl::StatusOr<std::string> JetStreamPresenceStore::SubjectOf(
    absl::string_view stream) const {
  if (absl::Status valid = ValidateStreamName(stream, subject_prefix_);
      !valid.ok()) {
    return valid;
  }
  return StreamSubject(subject_prefix_, stream);
}

absl::StatusOr<JetStreamPresenceStore::Stored> JetStreamPresenceStore::Get(
    const std::string& subject) {
  absl::StatusOr<std::vector<NatsMsgPtr>> replies =
      client_->Batch({JetStreamClient::GetLast(jetstream_, subject)});
  if (!replies.ok()) return replies.status();
  absl::StatusOr<std::optional<StoredMsg>> got =
      JetStreamClient::Got(std::move(replies->front()));
  if (!got.ok()) return got.status();
  Stored out;
  if (!got->has_value()) return out;
  out.seq = (*got)->seq;
  absl::StatusOr<std::vector<PresenceSession>> sessions =
      DecodePresenceSet((*got)->data());
  if (!sessions.ok()) return sessions.status();
  out.sessions = *std::move(sessions);
  return out;
}

absl::StatusOr<PresenceUpdate> JetStreamPresenceStore::Update(
    absl::string_view stream, const PresenceEdit& edit) {
  absl::StatusOr<std::string> subject = SubjectOf(stream);
  if (!subject.ok()) return subject.status();
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    absl::StatusOr<Stored> stored = Get(*subject);
    if (!stored.ok()) return stored.status();
    PresenceUpdate update;
    update.before = std::move(stored->sessions);
    update.after = update.before;
    if (!edit(update.after)) {
      update.after = update.before;
      return update;
    }
    if (update.after.empty() && stored->seq == 0) return update;
    const std::string value =
        update.after.empty() ? std::string() : EncodePresenceSet(update.after);
    absl::StatusOr<std::vector<NatsMsgPtr>> replies = client_->Batch(
        {JetStreamClient::Publish(*subject, value, stored->seq)});
    if (!replies.ok()) return replies.status();
    absl::StatusOr<std::uint64_t> seq =
        JetStreamClient::PubAck(replies->front());
    if (absl::IsAborted(seq.status())) continue;  // another writer got in
    if (!seq.ok()) return seq.status();
    if (update.after.empty()) {
      // Forget the emptied set, unless someone joined since: the purge
      // spares later messages, and a writer that read the empty one finds
      // its expected sequence gone and reads again.
      client_->Send({JetStreamClient::Purge(jetstream_, *subject, *seq + 1)});
    }
    return update;
  }
  return absl::UnavailableError(
      absl::StrCat("presence of stream \"", stream, "\": ", kMaxAttempts,
                   " concurrent updates in a row got in first"));
}

absl::StatusOr<std::vector<PresenceSession>> JetStreamPresenceStore::Read(
    absl::string_view stream) {
  absl::StatusOr<std::string> subject = SubjectOf(stream);
  if (!subject.ok()) return subject.status();
  absl::StatusOr<Stored> stored = Get(*subject);
  if (!stored.ok()) return stored.status();
  return std::move(stored->sessions);
}

absl::StatusOr<std::vector<std::string>> JetStreamPresenceStore::Streams() {
  // Every replica asks every sweep: when nobody is present (emptied sets
  // are purged) the stream's count says so without a listing consumer.
  jsStreamInfo* info = nullptr;
  jsErrCode error = static_cast<jsErrCode>(0);
  const natsStatus s = js_GetStreamInfo(&info, client_->js(),
                                        jetstream_.c_str(), nullptr, &error);
  const bool empty = s == NATS_OK && info->State.Msgs == 0;
  if (info != nullptr) jsStreamInfo_Destroy(info);
  if (s != NATS_OK) {
    return FromNatsStatus(s, absl::StrCat("presence stream ", jetstream_));
  }
  if (empty) return std::vector<std::string>();
  absl::StatusOr<std::vector<StoredMsg>> last = client_->LastPerSubject(
      jetstream_, absl::StrCat(subject_prefix_, ".>"), /*headers_only=*/false);
  if (!last.ok()) return last.status();
  std::vector<std::string> out;
  for (const StoredMsg& m : *last) {
    if (m.data().empty()) continue;
    absl::StatusOr<std::string> stream =
        StreamFromSubject(subject_prefix_, m.subject);
    if (stream.ok()) out.push_back(*std::move(stream));
  }
  return out;
}

}  // namespace cable::service
