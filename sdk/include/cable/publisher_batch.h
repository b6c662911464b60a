#pragma once
// cable::BatchPublisher: collects broadcasts and publishes them with
// BroadcastBatch, in fewer calls than one Broadcast each.
//
//   cable::BatchPublisher batch(publisher, {.max_broadcasts = 100});
//   for (...) if (auto s = batch.Add(stream, data); !s.ok()) ...;
//   absl::Status s = batch.Flush();  // what is left
//
// A batch is sent when it holds max_broadcasts messages or max_bytes of
// streams and data (from the Add that fills it), and on Flush. Order is
// kept: broadcasts are sent in the order added, batch after batch.

#include <cstddef>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "cable/publisher.h"

namespace cable {

struct BatchOptions {
  // Sends when this many broadcasts are queued.
  std::size_t max_broadcasts = 100;
  // Sends when queued streams and data reach this many bytes.
  std::size_t max_bytes = std::size_t{1} << 20;
  // Add refuses (RESOURCE_EXHAUSTED) beyond this many queued broadcasts,
  // which only happens while sends keep failing before reaching the server.
  std::size_t max_pending = 10000;
  // Deadline of each BroadcastBatch call.
  CallOptions call{};
};

// Thread-safe: Add and Flush may be called from several threads; a send
// holds the batcher's lock, so adds wait for it (that keeps the order).
//
// When a send fails, the broadcasts in it are dropped, unless the failure
// is NeverSent (the server certainly never saw them): then they stay queued,
// in order, and the next Add that fills the batch or the next Flush sends
// them again. Nothing is ever published twice.
class BatchPublisher final {
 public:
  // `publisher` must outlive this batcher.
  explicit BatchPublisher(const Publisher& publisher,
                          BatchOptions options = {});
  BatchPublisher(const BatchPublisher&) = delete;
  BatchPublisher& operator=(const BatchPublisher&) = delete;
  // Flushes what is queued; errors are lost, so call Flush first to see
  // them.
  ~BatchPublisher();

  // Queues a broadcast. If that fills the batch, sends the queue and
  // returns the outcome of that send.
  absl::Status Add(std::string stream, std::string data);

  // Sends everything queued (in batches of at most max_broadcasts and
  // max_bytes); stops at the first failed send and returns its status.
  absl::Status Flush();

  // Broadcasts queued and not yet sent.
  std::size_t pending() const;

 private:
  absl::Status FlushLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // How many of the queue's first broadcasts make the next batch.
  std::size_t NextBatchSize() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Publisher& publisher_;
  const BatchOptions options_;
  mutable absl::Mutex mu_;
  std::vector<BroadcastMessage> queue_ ABSL_GUARDED_BY(mu_);
  std::size_t queued_bytes_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace cable
