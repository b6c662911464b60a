#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/random/random.h"
#include "absl/synchronization/mutex.h"
#include "cable/history.h"

namespace cable {

// History kept in this process's memory, lost with it: every stream starts
// under a new epoch in a fresh process. Streams are held in shards, each
// under its own lock, so appends to different streams rarely contend.
//
// A stream is created by its first Append, or by a Read without `after`
// (so that the epoch that Read reports is the one the first message gets),
// and expires `ttl` after its last Append (or its creation): then it has no
// entry left, and is forgotten. Expiry is observed by every call, whether or
// not Sweep has run; Sweep only returns the memory of streams nobody
// touches any more.
//
// Read runs `done` inline, before it returns, outside every lock.
class InMemoryHistory final : public History {
 public:
  using Clock = std::function<absl::Time()>;

  explicit InMemoryHistory(HistoryPolicy policy, Clock clock = absl::Now);
  InMemoryHistory(const InMemoryHistory&) = delete;
  InMemoryHistory& operator=(const InMemoryHistory&) = delete;

  absl::StatusOr<StreamPosition> Append(absl::string_view stream,
                                        absl::string_view data) override;
  void Read(absl::string_view stream, HistoryQuery query,
            HistoryReadDone done) override;

  // Forgets expired streams and drops expired entries of the others;
  // returns how many streams it forgot. Call it periodically (say every
  // minute, or every ttl if shorter): without it, one-off streams keep
  // their memory until their name is used again. Holds each shard's lock
  // in turn for a pass over its streams.
  std::size_t Sweep();

  const HistoryPolicy& policy() const { return policy_; }
  // Streams held (expired ones included until Sweep or a call forgets
  // them).
  std::size_t stream_count() const {
    return stream_count_.load(std::memory_order_relaxed);
  }
  // Bytes of the entries kept: their data and a fixed per-entry overhead
  // (for metrics and tests; the streams themselves are not counted).
  std::size_t kept_bytes() const {
    return kept_bytes_.load(std::memory_order_relaxed);
  }

 private:
  // An entry; its offset follows from its place in the stream's deque.
  struct Kept {
    absl::Time time;
    std::string data;
  };

  struct Stream {
    std::string epoch;
    HistoryLimits limits;  // the policy's, looked up once
    std::uint64_t last_offset = 0;
    // The last Append (or the creation): the stream expires ttl after it.
    absl::Time last_write;
    // Offsets last_offset - kept.size() + 1 .. last_offset, times in order.
    std::deque<Kept> kept;
    std::size_t bytes = 0;  // this stream's share of kept_bytes_
  };

  struct Shard {
    absl::Mutex mu;
    absl::flat_hash_map<std::string, Stream> streams ABSL_GUARDED_BY(mu);
    absl::BitGen bitgen ABSL_GUARDED_BY(mu);  // epochs
  };

  static constexpr std::size_t kShardBits = 4;

  Shard& ShardOf(absl::string_view stream);
  // The stream if it is held and has not expired at `now` (its expired
  // entries dropped); null otherwise, forgetting it if it expired.
  Stream* FindLive(Shard& shard, absl::string_view stream, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu);
  Stream& Create(Shard& shard, absl::string_view stream, HistoryLimits limits,
                 absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu);
  absl::StatusOr<HistoryPage> Query(absl::string_view stream,
                                    const HistoryQuery& query);
  void DropFront(Stream& stream);
  void DropExpired(Stream& stream, absl::Time now);
  void Forget(Stream& stream);

  const HistoryPolicy policy_;
  const Clock clock_;
  std::array<Shard, std::size_t{1} << kShardBits> shards_;
  std::atomic<std::size_t> stream_count_{0};
  std::atomic<std::size_t> kept_bytes_{0};
};

}  // namespace cable
