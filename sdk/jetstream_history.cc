#include "cable/jetstream_history.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <utility>

#include "absl/hash/hash.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cable/nats_connection.h"
#include "cable/stream_subject.h"

namespace cable {
namespace {

constexpr std::size_t kEpochLength = 8;  // 62^8: about 2^47 epochs
constexpr absl::string_view kEpochAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
constexpr char kEpochHeader[] = "Cable-Epoch";
constexpr char kOffsetHeader[] = "Cable-Offset";
// Room in a message for its headers (epoch, offset, expected sequence: a
// bit over 100 bytes) and NATS's header line.
constexpr std::size_t kHeaderRoom = 512;
// Tries of one read when the history changes under it (a stream expired or
// purged between the read's requests).
constexpr int kReadAttempts = 3;
constexpr std::size_t kMaxStreamPrefix = 32;
// After a timeout, whether the stream is gone is asked at most this often
// per stream, and waits this long for the answer.
constexpr absl::Duration kStreamCheckInterval = absl::Seconds(10);
constexpr std::int64_t kStreamCheckWaitMs = 1000;
absl::Status NoHistory(absl::string_view stream) {
  return absl::FailedPreconditionError(absl::StrCat(
      "no history: stream \"", stream, "\" keeps none (history policy)"));
}

// The raced signal of QueryOnce: the read starts over.
absl::Status Raced(absl::string_view stream) {
  return absl::AbortedError(absl::StrCat("history of stream \"", stream,
                                         "\" changed while being read"));
}

bool ValidEpoch(absl::string_view epoch) {
  return !epoch.empty() && std::all_of(epoch.begin(), epoch.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c));
  });
}

// The position in a stored message's headers; nullopt when they are not
// Cable's (something else published on the subject).
std::optional<StreamPosition> PositionOf(const StoredMsg& m) {
  const std::optional<absl::string_view> epoch = m.header(kEpochHeader);
  const std::optional<absl::string_view> offset = m.header(kOffsetHeader);
  StreamPosition pos;
  if (!epoch || !ValidEpoch(*epoch) || !offset ||
      !absl::SimpleAtoi(*offset, &pos.offset)) {
    return std::nullopt;
  }
  pos.epoch = std::string(*epoch);
  return pos;
}

absl::Status NotHistory(const StoredMsg& m) {
  return absl::InternalError(
      absl::StrCat("history: message ", m.seq, " on ", m.subject,
                   " has no valid Cable-Epoch and Cable-Offset headers"));
}

bool ValidStreamPrefix(absl::string_view prefix) {
  if (prefix.empty() || prefix.size() > kMaxStreamPrefix) return false;
  return std::all_of(prefix.begin(), prefix.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' ||
           c == '-';
  });
}

}  // namespace

absl::StatusOr<std::unique_ptr<JetStreamHistory>> JetStreamHistory::Create(
    std::unique_ptr<JetStreamClient> client, HistoryPolicy policy,
    JetStreamHistoryOptions options) {
  if (client == nullptr) {
    return absl::InvalidArgumentError("JetStream history: no client");
  }
  if (!ValidStreamPrefix(options.stream_prefix)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "JetStream history stream prefix \"", options.stream_prefix,
        "\": 1 to ", kMaxStreamPrefix, " of [A-Za-z0-9_-]"));
  }
  if (absl::Status s = ValidateSubjectPrefix(options.subject_prefix); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("JetStream history subject prefix: ", s.message()));
  }
  if (options.read_threads < 1 || options.append_attempts < 1 ||
      options.replicas < 1 || options.read_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "JetStream history: read_threads, append_attempts and replicas must "
        "be at least 1, read_timeout positive");
  }
  std::unique_ptr<JetStreamHistory> history(new JetStreamHistory(
      std::move(client), std::move(policy), std::move(options)));
  const HistoryPolicy& p = history->policy_;
  for (std::size_t entry = 0; entry <= p.overrides.size(); ++entry) {
    if (p.EntryLimits(entry).limit == 0) continue;
    if (absl::Status s = history->EnsureStream(entry); !s.ok()) return s;
  }
  for (int i = 0; i < history->options_.read_threads; ++i) {
    history->workers_.emplace_back([h = history.get()] { h->Work(); });
  }
  return history;
}

JetStreamHistory::JetStreamHistory(std::unique_ptr<JetStreamClient> client,
                                   HistoryPolicy policy,
                                   JetStreamHistoryOptions options)
    : client_(std::move(client)),
      policy_(std::move(policy)),
      options_(std::move(options)),
      max_data_(static_cast<std::size_t>(std::max<std::int64_t>(
                    client_->max_payload(), kHeaderRoom)) -
                kHeaderRoom),
      last_check_(policy_.overrides.size() + 1, absl::InfinitePast()) {}

JetStreamHistory::~JetStreamHistory() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& t : workers_) t.join();
  std::deque<PendingRead> left;
  {
    absl::MutexLock lock(&mu_);
    left.swap(queue_);
  }
  for (PendingRead& read : left) {
    std::move(read.done)(absl::CancelledError("JetStream history closed"));
  }
}

std::string JetStreamHistory::JetStreamNameOf(std::size_t entry) const {
  return absl::StrCat(options_.stream_prefix, "_", entry);
}

std::optional<JetStreamHistory::Location> JetStreamHistory::Locate(
    absl::string_view stream) const {
  const std::optional<std::size_t> entry = policy_.EntryOf(stream);
  if (!entry || policy_.EntryLimits(*entry).limit == 0) return std::nullopt;
  return Location{
      *entry, JetStreamNameOf(*entry),
      StreamSubject(absl::StrCat(options_.subject_prefix, ".", *entry),
                    stream)};
}

std::optional<std::string> JetStreamHistory::JetStreamName(
    absl::string_view stream) const {
  std::optional<Location> where = Locate(stream);
  if (!where) return std::nullopt;
  return std::move(where->jetstream);
}

std::optional<std::string> JetStreamHistory::Subject(
    absl::string_view stream) const {
  std::optional<Location> where = Locate(stream);
  if (!where) return std::nullopt;
  return std::move(where->subject);
}

absl::Status JetStreamHistory::EnsureStream(std::size_t entry) {
  const HistoryLimits limits = policy_.EntryLimits(entry);
  const std::string name = JetStreamNameOf(entry);
  const std::string subjects =
      absl::StrCat(options_.subject_prefix, ".", entry, ".>");
  const char* subject_ptr = subjects.c_str();
  jsStreamConfig config;
  jsStreamConfig_Init(&config);
  config.Name = name.c_str();
  config.Subjects = &subject_ptr;
  config.SubjectsLen = 1;
  config.MaxMsgsPerSubject = static_cast<std::int64_t>(std::min<std::uint64_t>(
      limits.limit,
      static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())));
  config.MaxAge = absl::ToInt64Nanoseconds(limits.ttl);
  config.Storage = options_.memory_storage ? js_MemoryStorage : js_FileStorage;
  config.Replicas = options_.replicas;
  // Direct gets (any replica answers, no consumer): Append's and Read's
  // look at a subject's last message.
  config.AllowDirect = true;
  // (It may exist with other limits: the policy changed, or another
  // process runs another one. This process's policy wins, as the last
  // started.)
  return client_->EnsureStream(config, /*update_existing=*/true,
                               absl::StrCat("JetStream history stream ", name));
}

std::uint64_t JetStreamHistory::RandomBelow(std::uint64_t n) {
  absl::MutexLock lock(&bitgen_mu_);
  return absl::Uniform<std::uint64_t>(bitgen_, 0, n);
}

std::string JetStreamHistory::NewEpoch() {
  std::string epoch(kEpochLength, 'A');
  absl::MutexLock lock(&bitgen_mu_);
  for (char& c : epoch) {
    c = kEpochAlphabet[absl::Uniform<std::size_t>(bitgen_, 0,
                                                  kEpochAlphabet.size())];
  }
  return epoch;
}

absl::StatusOr<std::optional<JetStreamHistory::Last>> JetStreamHistory::GetLast(
    const Location& where) {
  absl::StatusOr<std::vector<NatsMsgPtr>> replies = client_->Batch(
      {JetStreamClient::GetLast(where.jetstream, where.subject)});
  if (!replies.ok()) return replies.status();
  absl::StatusOr<std::optional<StoredMsg>> got =
      JetStreamClient::Got(std::move(replies->front()));
  if (!got.ok()) return got.status();
  if (!got->has_value()) return std::optional<Last>();
  const StoredMsg& m = **got;
  std::optional<StreamPosition> pos = PositionOf(m);
  if (!pos) return NotHistory(m);
  return std::optional<Last>(Last{m.seq, m.time, *std::move(pos)});
}

absl::Status JetStreamHistory::Publish(const Location& where,
                                       const StreamPosition& pos,
                                       absl::string_view data,
                                       std::uint64_t expected) {
  JsRequest request =
      JetStreamClient::Publish(where.subject, std::string(data), expected);
  request.headers.emplace_back(kEpochHeader, pos.epoch);
  request.headers.emplace_back(kOffsetHeader, absl::StrCat(pos.offset));
  absl::StatusOr<std::vector<NatsMsgPtr>> replies = client_->Batch({request});
  if (!replies.ok()) return replies.status();
  return JetStreamClient::PubAck(replies->front()).status();
}

bool JetStreamHistory::Recreate(const Location& where, const absl::Status& why,
                                bool& recreated) {
  // A deleted stream shows as no responders to a publish, but as silence
  // to a direct get (the server's JetStream API takes every "$JS.API.>"
  // request and drops what no stream answers), so a timeout too may mean
  // it is gone: ask the API, which says "not found" at once.
  if (recreated ||
      !(absl::IsUnavailable(why) || absl::IsDeadlineExceeded(why))) {
    return false;
  }
  recreated = true;
  if (absl::IsDeadlineExceeded(why)) {
    // Mostly a stalled server, where asking would only double the wait:
    // ask at most once per kStreamCheckInterval per stream.
    const absl::Time now = absl::Now();
    absl::MutexLock lock(&checks_mu_);
    absl::Time& last = last_check_[where.entry];
    if (now - last < kStreamCheckInterval) return false;
    last = now;
  }
  jsOptions wait;
  jsOptions_Init(&wait);
  wait.Wait = kStreamCheckWaitMs;
  jsStreamInfo* info = nullptr;
  jsErrCode error = static_cast<jsErrCode>(0);
  const natsStatus s = js_GetStreamInfo(&info, client_->js(),
                                        where.jetstream.c_str(), &wait, &error);
  if (info != nullptr) jsStreamInfo_Destroy(info);
  if (s != NATS_NOT_FOUND) return false;  // there (or no answer): `why`
  return EnsureStream(where.entry).ok();
}

absl::StatusOr<StreamPosition> JetStreamHistory::Append(
    absl::string_view stream, absl::string_view data) {
  const std::optional<Location> where = Locate(stream);
  if (!where) return NoHistory(stream);
  if (data.size() > max_data_) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "history of stream \"", stream, "\": a message of ", data.size(),
        " bytes does not fit one JetStream message (at most ", max_data_,
        " bytes: the NATS server's max payload less headers)"));
  }
  // This process's appends to a stream take turns here rather than race
  // at the server, so the retries below are only against other processes.
  absl::MutexLock turn(
      &stripes_[absl::Hash<absl::string_view>{}(stream) % stripes_.size()]);
  bool recreated = false;
  for (int attempt = 0; attempt < options_.append_attempts; ++attempt) {
    if (attempt >= 2) {
      // Still losing: step back a random while (a millisecond or so per
      // loss) so that one of the contenders gets through.
      absl::SleepFor(absl::Microseconds(RandomBelow(1000 * attempt)));
    }
    absl::StatusOr<std::optional<Last>> last = GetLast(*where);
    if (!last.ok()) {
      if (Recreate(*where, last.status(), recreated)) continue;
      return last.status();
    }
    StreamPosition pos;
    std::uint64_t expected = 0;
    if (last->has_value()) {
      pos =
          StreamPosition{(*last)->position.epoch, (*last)->position.offset + 1};
      expected = (*last)->seq;
    } else {
      // Nothing kept: history was lost (or never was), a new epoch.
      pos = StreamPosition{NewEpoch(), 1};
    }
    const absl::Status s = Publish(*where, pos, data, expected);
    if (s.ok()) return pos;
    // Another process appended since GetLast: read its message, go again.
    if (absl::IsAborted(s)) continue;
    if (Recreate(*where, s, recreated)) continue;
    return s;
  }
  return absl::AbortedError(absl::StrCat(
      "history of stream \"", stream, "\": other processes appended first ",
      options_.append_attempts, " times in a row"));
}

void JetStreamHistory::Read(absl::string_view stream, HistoryQuery query,
                            HistoryReadDone done) {
  if (!Locate(stream)) {
    std::move(done)(NoHistory(stream));
    return;
  }
  absl::Status refused;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) {
      refused = absl::CancelledError("JetStream history closed");
    } else if (queue_.size() >= options_.max_queued_reads) {
      refused = absl::ResourceExhaustedError(absl::StrCat(
          "JetStream history: ", queue_.size(), " reads already queued"));
    } else {
      queue_.push_back(PendingRead{std::string(stream), std::move(query),
                                   std::move(done),
                                   absl::Now() + options_.read_timeout});
      return;
    }
  }
  std::move(done)(refused);
}

void JetStreamHistory::Work() {
  for (;;) {
    PendingRead read;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || !queue_.empty();
      };
      mu_.Await(absl::Condition(&ready));
      if (stopping_) return;
      read = std::move(queue_.front());
      queue_.pop_front();
    }
    absl::StatusOr<HistoryPage> page = Query(read);
    // Outside every lock: `done` may append or read again.
    std::move(read.done)(std::move(page));
  }
}

absl::StatusOr<HistoryPage> JetStreamHistory::Query(const PendingRead& read) {
  const std::optional<Location> where = Locate(read.stream);
  if (!where) return NoHistory(read.stream);
  for (int attempt = 0; attempt < kReadAttempts; ++attempt) {
    absl::StatusOr<HistoryPage> page =
        QueryOnce(*where, read.stream, read.query, read.deadline);
    if (!absl::IsAborted(page.status())) return page;
  }
  return Raced(read.stream);
}

absl::StatusOr<HistoryPage> JetStreamHistory::QueryOnce(
    const Location& where, absl::string_view stream, const HistoryQuery& query,
    absl::Time deadline) {
  auto late = [&]() -> absl::Status {
    if (absl::Now() < deadline) return absl::OkStatus();
    return absl::DeadlineExceededError(
        absl::StrCat("history of stream \"", stream, "\": not read within ",
                     absl::FormatDuration(options_.read_timeout)));
  };
  if (absl::Status s = late(); !s.ok()) return s;
  bool recreated = false;
  absl::StatusOr<std::optional<Last>> last = GetLast(where);
  if (!last.ok() && Recreate(where, last.status(), recreated)) {
    last = GetLast(where);
  }
  if (!last.ok()) return last.status();

  if (!last->has_value()) {
    if (query.after.has_value()) {
      return absl::FailedPreconditionError(
          absl::StrCat("epoch changed: stream \"", stream,
                       "\" has no history (never written, or expired), so "
                       "epoch ",
                       query.after->epoch, " is gone"));
    }
    if (query.position_only) return HistoryPage{};
    // The marker: the next Append continues its epoch. Aborted when another
    // process wrote first; the read then starts over and finds that.
    const StreamPosition marker{NewEpoch(), 0};
    if (absl::Status s = Publish(where, marker, "", 0); !s.ok()) return s;
    return HistoryPage{marker.epoch, {}, 0};
  }

  const Last& l = **last;
  HistoryPage page{l.position.epoch, {}, l.position.offset};
  if (query.position_only) return page;
  JetStreamClient::ListOptions list;
  list.filter = where.subject;
  // Up to the last message seen, not to "nothing pending", which never
  // comes while others keep appending.
  list.stop_at_seq = l.seq;
  // After-reads need offsets from `need`; they list from the first message
  // kept (at most the entry's limit of them), since offsets do not tell
  // sequences.
  std::uint64_t need = 0;
  if (query.after.has_value()) {
    const StreamPosition& after = *query.after;
    if (after.epoch != page.epoch) {
      return absl::FailedPreconditionError(
          absl::StrCat("epoch changed: stream \"", stream, "\" is at epoch ",
                       page.epoch, ", not ", after.epoch));
    }
    if (after.offset > page.last_offset) {
      return absl::OutOfRangeError(
          absl::StrCat("offset ", after.offset, " is ahead of stream \"",
                       stream, "\" (last offset ", page.last_offset, ")"));
    }
    if (after.offset == page.last_offset) return page;  // nothing missed
    need = after.offset + 1;
  } else {
    if (page.last_offset == 0) return page;  // only the marker
    if (query.since.has_value()) {
      if (l.time < *query.since) return page;  // all older
      if (*query.since > absl::UnixEpoch()) {
        list.start = JetStreamClient::ListOptions::Start::kTime;
        list.start_time = *query.since;
      }
    }
    // (The marker may come first.)
    if (query.limit > 0) list.max_msgs = query.limit + 1;
  }
  if (absl::Status s = late(); !s.ok()) return s;
  absl::StatusOr<std::vector<StoredMsg>> listed =
      client_->List(where.jetstream, list);
  if (!listed.ok()) return listed.status();

  bool reached_last = false;
  bool first = true;
  for (const StoredMsg& m : *listed) {
    if (m.seq > l.seq) break;
    std::optional<StreamPosition> pos = PositionOf(m);
    if (!pos) return NotHistory(m);
    // Purged and written again since GetLast.
    if (pos->epoch != page.epoch) return Raced(stream);
    if (m.seq == l.seq) reached_last = true;
    if (pos->offset == 0) continue;  // the marker
    if (need != 0) {
      if (first && pos->offset > need) {
        return absl::OutOfRangeError(absl::StrCat(
            "history trimmed: stream \"", stream, "\" keeps offsets from ",
            pos->offset, ", the reader needs them from ", need));
      }
      first = false;
      if (pos->offset < need) continue;
    } else if (query.since.has_value() && m.time < *query.since) {
      continue;
    }
    page.entries.push_back(
        HistoryEntry{pos->offset, m.time, std::string(m.data())});
    if (query.limit > 0 && page.entries.size() == query.limit) return page;
  }
  // The last message went (expired, trimmed, purged) before the listing saw
  // it: what was listed may be another history.
  if (!reached_last) return Raced(stream);
  return page;
}

}  // namespace cable
