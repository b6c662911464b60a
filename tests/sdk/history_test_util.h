#pragma once
// Helpers of the History tests: policies, queries, reads that wait for
// their page (inline or from another thread), offsets of a page.

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cable/history.h"

namespace cable::history_testing {

using Offs = std::vector<std::uint64_t>;

inline HistoryPolicy Policy(std::size_t limit, absl::Duration ttl,
                            absl::string_view overrides = "") {
  absl::StatusOr<HistoryPolicy> policy =
      ParseHistoryPolicy(limit, ttl, overrides);
  EXPECT_TRUE(policy.ok()) << policy.status();
  return policy.ok() ? *std::move(policy) : HistoryPolicy{};
}

// The page of a Read, waiting for it (bounded) when it completes later on
// another thread.
inline absl::StatusOr<HistoryPage> ReadNow(
    History& history, absl::string_view stream, HistoryQuery query,
    absl::Duration timeout = absl::Seconds(20)) {
  struct Result {
    absl::Mutex mu;
    bool ran ABSL_GUARDED_BY(mu) = false;
    absl::StatusOr<HistoryPage> page ABSL_GUARDED_BY(mu) =
        absl::UnknownError("not completed");
  };
  // Shared: a read that times out here may still complete later.
  auto result = std::make_shared<Result>();
  history.Read(stream, std::move(query),
               [result](absl::StatusOr<HistoryPage> page) {
                 absl::MutexLock lock(&result->mu);
                 result->page = std::move(page);
                 result->ran = true;
               });
  absl::MutexLock lock(&result->mu);
  if (!result->mu.AwaitWithTimeout(absl::Condition(&result->ran), timeout)) {
    ADD_FAILURE() << "Read of " << stream << " did not complete in " << timeout;
    return absl::DeadlineExceededError("Read did not complete");
  }
  return result->page;
}

inline HistoryQuery After(std::string epoch, std::uint64_t offset,
                          std::size_t limit = 0) {
  HistoryQuery q;
  q.after = StreamPosition{std::move(epoch), offset};
  q.limit = limit;
  return q;
}

inline HistoryQuery Since(absl::Time since, std::size_t limit = 0) {
  HistoryQuery q;
  q.since = since;
  q.limit = limit;
  return q;
}

inline Offs Offsets(const HistoryPage& page) {
  Offs out;
  for (const HistoryEntry& e : page.entries) out.push_back(e.offset);
  return out;
}

inline StreamPosition MustAppend(History& history, absl::string_view stream,
                                 absl::string_view data) {
  absl::StatusOr<StreamPosition> pos = history.Append(stream, data);
  EXPECT_TRUE(pos.ok()) << pos.status();
  return pos.ok() ? *pos : StreamPosition{};
}

}  // namespace cable::history_testing
