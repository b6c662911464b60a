#include "cable/in_memory_history.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/hash/hash.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace cable {
namespace {

constexpr std::size_t kEpochLength = 8;  // 62^8: about 2^47 epochs

std::size_t EntryCost(absl::string_view data) {
  // The deque's slot (time and string header) plus the bytes themselves.
  return sizeof(absl::Time) + sizeof(std::string) + data.size();
}

absl::Status NoHistory(absl::string_view stream) {
  return absl::FailedPreconditionError(absl::StrCat(
      "no history: stream \"", stream, "\" keeps none (history policy)"));
}

}  // namespace

InMemoryHistory::InMemoryHistory(HistoryPolicy policy, Clock clock)
    : policy_(std::move(policy)), clock_(std::move(clock)) {}

InMemoryHistory::Shard& InMemoryHistory::ShardOf(absl::string_view stream) {
  // The top bits: the shard's own table indexes with the low ones, which
  // would otherwise be the same for every stream of a shard.
  const std::size_t hash = absl::Hash<absl::string_view>{}(stream);
  return shards_[hash >>
                 (std::numeric_limits<std::size_t>::digits - kShardBits)];
}

void InMemoryHistory::DropFront(Stream& stream) {
  const std::size_t cost = EntryCost(stream.kept.front().data);
  stream.bytes -= cost;
  kept_bytes_.fetch_sub(cost, std::memory_order_relaxed);
  stream.kept.pop_front();
}

void InMemoryHistory::DropExpired(Stream& stream, absl::Time now) {
  while (!stream.kept.empty() &&
         now >= stream.kept.front().time + stream.limits.ttl) {
    DropFront(stream);
  }
}

void InMemoryHistory::Forget(Stream& stream) {
  kept_bytes_.fetch_sub(stream.bytes, std::memory_order_relaxed);
  stream_count_.fetch_sub(1, std::memory_order_relaxed);
}

InMemoryHistory::Stream* InMemoryHistory::FindLive(Shard& shard,
                                                   absl::string_view stream,
                                                   absl::Time now) {
  auto it = shard.streams.find(stream);
  if (it == shard.streams.end()) return nullptr;
  Stream& s = it->second;
  // Its newest entry (appended at last_write) has expired, so all have:
  // the history is lost and the name starts over under a new epoch.
  if (now >= s.last_write + s.limits.ttl) {
    Forget(s);
    shard.streams.erase(it);
    return nullptr;
  }
  DropExpired(s, now);
  return &s;
}

InMemoryHistory::Stream& InMemoryHistory::Create(Shard& shard,
                                                 absl::string_view stream,
                                                 HistoryLimits limits,
                                                 absl::Time now) {
  static constexpr absl::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  Stream& s = shard.streams[stream];
  s.epoch.resize(kEpochLength);
  for (char& c : s.epoch) {
    c = kAlphabet[absl::Uniform<std::size_t>(shard.bitgen, 0,
                                             kAlphabet.size())];
  }
  s.limits = limits;
  s.last_write = now;
  stream_count_.fetch_add(1, std::memory_order_relaxed);
  return s;
}

absl::StatusOr<StreamPosition> InMemoryHistory::Append(absl::string_view stream,
                                                       absl::string_view data) {
  const absl::Time now = clock_();
  Shard& shard = ShardOf(stream);
  absl::MutexLock lock(&shard.mu);
  Stream* s = FindLive(shard, stream, now);
  if (s == nullptr) {
    const HistoryLimits limits = policy_.For(stream);
    if (limits.limit == 0) return NoHistory(stream);
    s = &Create(shard, stream, limits, now);
  }
  // The wall clock may step back: entry times stay in order so that expiry
  // and `since` can work from the front.
  const absl::Time time = std::max(now, s->last_write);
  s->kept.push_back(Kept{time, std::string(data)});
  const std::size_t cost = EntryCost(data);
  s->bytes += cost;
  kept_bytes_.fetch_add(cost, std::memory_order_relaxed);
  s->last_write = time;
  ++s->last_offset;
  while (s->kept.size() > s->limits.limit) DropFront(*s);
  return StreamPosition{s->epoch, s->last_offset};
}

void InMemoryHistory::Read(absl::string_view stream, HistoryQuery query,
                           HistoryReadDone done) {
  // Outside the lock: `done` may append, read or post work.
  std::move(done)(Query(stream, query));
}

absl::StatusOr<HistoryPage> InMemoryHistory::Query(absl::string_view stream,
                                                   const HistoryQuery& query) {
  const absl::Time now = clock_();
  Shard& shard = ShardOf(stream);
  absl::MutexLock lock(&shard.mu);
  Stream* s = FindLive(shard, stream, now);
  if (s == nullptr) {
    const HistoryLimits limits = policy_.For(stream);
    if (limits.limit == 0) return NoHistory(stream);
    if (query.after.has_value()) {
      return absl::FailedPreconditionError(
          absl::StrCat("epoch changed: stream \"", stream,
                       "\" has no history (never written, or expired), so "
                       "epoch ",
                       query.after->epoch, " is gone"));
    }
    if (query.position_only) return HistoryPage{};
    // Created now, so that the next Append keeps the epoch reported here.
    s = &Create(shard, stream, limits, now);
    return HistoryPage{s->epoch, {}, 0};
  }

  if (query.position_only) return HistoryPage{s->epoch, {}, s->last_offset};
  const std::uint64_t first = s->last_offset - s->kept.size() + 1;
  std::size_t begin = 0;
  if (query.after.has_value()) {
    const StreamPosition& after = *query.after;
    if (after.epoch != s->epoch) {
      return absl::FailedPreconditionError(
          absl::StrCat("epoch changed: stream \"", stream, "\" is at epoch ",
                       s->epoch, ", not ", after.epoch));
    }
    if (after.offset > s->last_offset) {
      return absl::OutOfRangeError(
          absl::StrCat("offset ", after.offset, " is ahead of stream \"",
                       stream, "\" (last offset ", s->last_offset, ")"));
    }
    if (after.offset + 1 < first) {
      return absl::OutOfRangeError(absl::StrCat(
          "history trimmed: stream \"", stream, "\" keeps offsets from ", first,
          ", the reader needs them from ", after.offset + 1));
    }
    begin = static_cast<std::size_t>(after.offset + 1 - first);
  } else if (query.since.has_value()) {
    const absl::Time since = *query.since;
    begin = static_cast<std::size_t>(
        std::partition_point(
            s->kept.begin(), s->kept.end(),
            [since](const Kept& k) { return k.time < since; }) -
        s->kept.begin());
  }
  std::size_t end = s->kept.size();
  if (query.limit > 0) end = std::min(end, begin + query.limit);

  HistoryPage page;
  page.epoch = s->epoch;
  page.last_offset = s->last_offset;
  page.entries.reserve(end - begin);
  for (std::size_t i = begin; i < end; ++i) {
    const Kept& k = s->kept[i];
    page.entries.push_back(HistoryEntry{first + i, k.time, k.data});
  }
  return page;
}

std::size_t InMemoryHistory::Sweep() {
  const absl::Time now = clock_();
  std::size_t forgotten = 0;
  for (Shard& shard : shards_) {
    absl::MutexLock lock(&shard.mu);
    for (auto it = shard.streams.begin(); it != shard.streams.end();) {
      Stream& s = it->second;
      if (now >= s.last_write + s.limits.ttl) {
        Forget(s);
        shard.streams.erase(it++);
        ++forgotten;
      } else {
        DropExpired(s, now);
        ++it;
      }
    }
    // Tables never shrink by themselves: after a burst of one-off streams
    // the empty slots would stay.
    if (shard.streams.size() * 4 < shard.streams.capacity()) {
      shard.streams.rehash(0);
    }
  }
  return forgotten;
}

}  // namespace cable
