#include "nats_state_events.h"

#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cable/stream_subject.h"

namespace cable::service::nats_state {
namespace {

// Above this many ids, ask for the first stored one first.
constexpr std::uint64_t kProbeFirstAbove = 256;
// A concurrent DeleteEvents can remove what one looks at: it starts over.
constexpr int kDeleteAttempts = 5;

}  // namespace

EventLog::EventLog(const StateIo& io) : io_(io) {}

absl::StatusOr<std::optional<std::pair<std::uint64_t, std::uint64_t>>>
EventLog::FirstEvent(absl::string_view enc) const {
  const Layout& layout = io_.layout();
  absl::StatusOr<std::vector<NatsMsgPtr>> r = io_.Run({JetStreamClient::GetNext(
      layout.events_stream, layout.EventFilter(enc), 0)});
  if (!r.ok()) return r.status();
  absl::StatusOr<std::optional<StoredMsg>> got =
      JetStreamClient::Got(std::move((*r)[0]));
  if (!got.ok()) return got.status();
  std::uint64_t id = 0;
  if (!*got || !absl::SimpleAtoi(LastToken((*got)->subject), &id)) {
    return std::optional<std::pair<std::uint64_t, std::uint64_t>>();
  }
  return std::optional<std::pair<std::uint64_t, std::uint64_t>>(
      std::make_pair(id, (*got)->seq));
}

absl::StatusOr<std::vector<StoredEvent>> EventLog::ReadEvents(
    absl::string_view enc, std::uint64_t from, std::uint64_t to) const {
  const Layout& layout = io_.layout();
  std::vector<StoredEvent> out;
  std::vector<JsRequest> gets;
  for (std::uint64_t id = from; id <= to; ++id) {
    gets.push_back(JetStreamClient::GetLast(layout.events_stream,
                                            layout.EventSubject(enc, id)));
  }
  absl::StatusOr<std::vector<NatsMsgPtr>> replies = io_.Run(gets);
  if (!replies.ok()) return replies.status();
  // Chunked events, read in a second batch.
  struct Pending {
    std::size_t index;
    std::string blob;
    std::uint64_t first_request;
    std::uint64_t chunks;
  };
  std::vector<Pending> pending;
  std::vector<JsRequest> chunk_gets;
  for (std::uint64_t i = 0; i < replies->size(); ++i) {
    absl::StatusOr<std::optional<StoredMsg>> got =
        JetStreamClient::Got(std::move((*replies)[i]));
    if (!got.ok()) return got.status();
    if (!*got) continue;  // Deleted.
    StoredEvent e{from + i, std::string((*got)->data()), (*got)->time};
    if (std::optional<absl::string_view> blob = (*got)->header(kBlobHeader)) {
      std::uint64_t chunks = 0;
      if (!absl::SimpleAtoi((*got)->header(kChunksHeader).value_or(""),
                            &chunks)) {
        return absl::DataLossError(
            absl::StrCat("event ", e.id, " without its chunk count"));
      }
      pending.push_back(
          Pending{out.size(), std::string(*blob), chunk_gets.size(), chunks});
      for (std::uint64_t n = 0; n < chunks; ++n) {
        chunk_gets.push_back(JetStreamClient::GetLast(
            layout.events_stream, layout.EventChunkSubject(enc, e.id, n)));
      }
    }
    out.push_back(std::move(e));
  }
  if (pending.empty()) return out;
  absl::StatusOr<std::vector<NatsMsgPtr>> chunks = io_.Run(chunk_gets);
  if (!chunks.ok()) return chunks.status();
  std::vector<bool> gone(out.size(), false);
  for (const Pending& p : pending) {
    std::string data;
    for (std::uint64_t n = 0; n < p.chunks && !gone[p.index]; ++n) {
      absl::StatusOr<std::optional<StoredMsg>> got =
          JetStreamClient::Got(std::move((*chunks)[p.first_request + n]));
      if (!got.ok()) return got.status();
      // Gone, or left by a writer that crashed before its commit.
      if (!*got || (*got)->header(kBlobHeader) != p.blob) {
        gone[p.index] = true;
      } else {
        const absl::string_view chunk = (*got)->data();
        data.append(chunk.data(), chunk.size());
      }
    }
    out[p.index].data = std::move(data);
  }
  std::vector<StoredEvent> whole;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (!gone[i]) whole.push_back(std::move(out[i]));
  }
  return whole;
}

absl::StatusOr<std::vector<StoredEvent>> EventLog::Events(
    absl::string_view name, std::uint64_t after_id,
    std::optional<std::uint64_t> limit) const {
  if (!ValidateChannelName(name).ok()) return NoSuchChannel(name);
  const std::string enc = EncodeStreamToken(name);
  absl::StatusOr<std::optional<Head>> head = io_.ReadHead(enc);
  if (!head.ok()) return head.status();
  if (!*head) return NoSuchChannel(name);
  if (!(*head)->keep_events) return std::vector<StoredEvent>();
  const std::uint64_t last = (*head)->last_event_id;
  EventIdRange range = EventsToReturn(after_id, limit, 1, last);
  if (range.empty()) return std::vector<StoredEvent>();
  if (range.to - range.from >= kProbeFirstAbove) {
    absl::StatusOr<std::optional<std::pair<std::uint64_t, std::uint64_t>>>
        first = FirstEvent(enc);
    if (!first.ok()) return first.status();
    if (!*first || (*first)->first > last) return std::vector<StoredEvent>();
    range = EventsToReturn(after_id, limit, (*first)->first, last);
    if (range.empty()) return std::vector<StoredEvent>();
  }
  return ReadEvents(enc, range.from, range.to);
}

absl::StatusOr<std::uint64_t> EventLog::DeleteEvents(
    absl::string_view name, std::optional<std::uint64_t> keep_num,
    std::optional<absl::Duration> keep_duration) const {
  if (!keep_num && !keep_duration) {
    return absl::InvalidArgumentError(
        "DeleteEvents needs keep_num or keep_duration");
  }
  if (!ValidateChannelName(name).ok()) return NoSuchChannel(name);
  const Layout& layout = io_.layout();
  const std::string enc = EncodeStreamToken(name);
  const absl::Time now = absl::Now();
  for (int attempt = 0; attempt < kDeleteAttempts; ++attempt) {
    absl::StatusOr<std::optional<Head>> head = io_.ReadHead(enc);
    if (!head.ok()) return head.status();
    if (!*head) return NoSuchChannel(name);
    const std::uint64_t last = (*head)->last_event_id;
    absl::StatusOr<std::optional<std::pair<std::uint64_t, std::uint64_t>>>
        first_event = FirstEvent(enc);
    if (!first_event.ok()) return first_event.status();
    if (!*first_event || (*first_event)->first > last) return 0;
    const std::uint64_t first = (*first_event)->first;
    // Events with ids below `cut` go.
    std::uint64_t cut = last + 1;
    if (keep_num) {
      cut = *keep_num >= last - first + 1 ? first : last - *keep_num + 1;
    }
    if (keep_duration) {
      // The first event younger than keep_duration (server timestamps).
      const absl::Time cutoff = now - *keep_duration;
      std::uint64_t lo = first;
      std::uint64_t hi = last + 1;
      while (lo < hi) {
        const std::uint64_t mid = lo + (hi - lo) / 2;
        absl::StatusOr<std::vector<NatsMsgPtr>> r =
            io_.Run({JetStreamClient::GetLast(layout.events_stream,
                                              layout.EventSubject(enc, mid))});
        if (!r.ok()) return r.status();
        absl::StatusOr<std::optional<StoredMsg>> got =
            JetStreamClient::Got(std::move((*r)[0]));
        if (!got.ok()) return got.status();
        if (*got && (*got)->time > cutoff) {
          hi = mid;
        } else {
          lo = mid + 1;  // Older, or deleted meanwhile.
        }
      }
      cut = keep_num ? std::min(cut, lo) : lo;
    }
    if (cut <= first) return 0;
    // Purge below the sequence after the newest deleted event: chunks of a
    // kept event come after it (they precede their own event), and so
    // does anything appended meanwhile.
    absl::StatusOr<std::vector<NatsMsgPtr>> r =
        io_.Run({JetStreamClient::GetLast(layout.events_stream,
                                          layout.EventSubject(enc, cut - 1))});
    if (!r.ok()) return r.status();
    absl::StatusOr<std::optional<StoredMsg>> newest_deleted =
        JetStreamClient::Got(std::move((*r)[0]));
    if (!newest_deleted.ok()) return newest_deleted.status();
    if (!*newest_deleted) continue;
    const std::uint64_t bound = (*newest_deleted)->seq + 1;
    absl::StatusOr<std::vector<NatsMsgPtr>> purged =
        io_.Run({JetStreamClient::Purge(layout.events_stream,
                                        layout.EventFilter(enc), bound),
                 JetStreamClient::Purge(layout.events_stream,
                                        layout.EventChunkFilter(enc), bound)});
    if (!purged.ok()) return purged.status();
    for (const NatsMsgPtr& p : *purged) {
      if (absl::Status s = JetStreamClient::Purged(p); !s.ok()) return s;
    }
    return cut - first;
  }
  return absl::AbortedError(absl::StrCat(
      "DeleteEvents on \"", name, "\": events kept being deleted meanwhile"));
}

}  // namespace cable::service::nats_state
