#pragma once
// The History implementations the contract suite runs on
// (history_contract_test.cc), as "processes" sharing one history: the
// in-memory one (one process, so every instance is the same object) and
// JetStreamHistory on the test process's nats-server, each instance on a
// connection of its own, under prefixes no other test uses.

#include <atomic>
#include <cstdlib>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "cable/history.h"
#include "cable/in_memory_history.h"
#include "cable/jetstream_client.h"
#include "cable/jetstream_history.h"
#include "tests/support/nats_server.h"

namespace cable::history_testing {

class HistoryBackend {
 public:
  virtual ~HistoryBackend() = default;
  // Instance `i` of the shared history: another process's for JetStream.
  virtual History& Instance(int i) = 0;
};

class InMemoryBackend final : public HistoryBackend {
 public:
  explicit InMemoryBackend(HistoryPolicy policy)
      : history_(std::move(policy), [this] { return Tick(); }) {}
  History& Instance(int) override { return history_; }

 private:
  // Every call a millisecond later: appends get distinct, ordered times
  // (which `since` tests rely on) without real waits, and nothing expires
  // within a test.
  absl::Time Tick() {
    absl::MutexLock lock(&mu_);
    now_ += absl::Milliseconds(1);
    return now_;
  }

  absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_) = absl::Now();
  InMemoryHistory history_;
};

// A connected client of `url`, aborting the test when there is none.
inline std::unique_ptr<JetStreamClient> MustConnect(
    const std::string& url, const std::string& name,
    absl::Duration request_timeout = absl::Seconds(5)) {
  JetStreamClient::Options options;
  options.url = url;
  options.name = name;
  options.request_timeout = request_timeout;
  absl::StatusOr<std::unique_ptr<JetStreamClient>> client =
      JetStreamClient::Connect(options);
  if (!client.ok()) {
    ADD_FAILURE() << client.status();
    std::abort();
  }
  return *std::move(client);
}

// Prefixes of a history no other in this process shares.
inline JetStreamHistoryOptions FreshJetStreamOptions() {
  static std::atomic<int> next{0};
  const int n = next++;
  JetStreamHistoryOptions options;
  options.stream_prefix = absl::StrCat("T", n, "_HISTORY");
  options.subject_prefix = absl::StrCat("t", n, ".h");
  return options;
}

class JetStreamBackend final : public HistoryBackend {
 public:
  explicit JetStreamBackend(
      HistoryPolicy policy,
      JetStreamHistoryOptions options = FreshJetStreamOptions(),
      std::string url = "", absl::Duration request_timeout = absl::Seconds(5))
      : policy_(std::move(policy)),
        options_(std::move(options)),
        url_(url.empty() ? ::cable::testing::SharedJetStreamServer().url()
                         : std::move(url)),
        request_timeout_(request_timeout) {}

  History& Instance(int i) override { return JetStream(i); }

  JetStreamHistory& JetStream(int i) {
    absl::MutexLock lock(&mu_);
    while (static_cast<int>(instances_.size()) <= i) {
      absl::StatusOr<std::unique_ptr<JetStreamHistory>> history =
          JetStreamHistory::Create(
              MustConnect(url_, absl::StrCat("history-", instances_.size()),
                          request_timeout_),
              policy_, options_);
      if (!history.ok()) {
        ADD_FAILURE() << history.status();
        std::abort();
      }
      instances_.push_back(*std::move(history));
    }
    return *instances_[i];
  }

  // Destroys instance `i` (a process exiting); the next Instance(i) is a
  // new one.
  void Drop(int i) {
    absl::MutexLock lock(&mu_);
    instances_.resize(i);
  }

  const JetStreamHistoryOptions& options() const { return options_; }

 private:
  const HistoryPolicy policy_;
  const JetStreamHistoryOptions options_;
  const std::string url_;
  const absl::Duration request_timeout_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<JetStreamHistory>> instances_
      ABSL_GUARDED_BY(mu_);
};

struct HistoryFactory {
  std::string name;
  std::function<std::unique_ptr<HistoryBackend>(HistoryPolicy)> make;
};

inline void PrintTo(const HistoryFactory& factory, std::ostream* os) {
  *os << factory.name;
}

inline std::vector<HistoryFactory> AllHistories() {
  return {
      {"InMemory",
       [](HistoryPolicy policy) -> std::unique_ptr<HistoryBackend> {
         return std::make_unique<InMemoryBackend>(std::move(policy));
       }},
      {"JetStream",
       [](HistoryPolicy policy) -> std::unique_ptr<HistoryBackend> {
         return std::make_unique<JetStreamBackend>(std::move(policy));
       }},
  };
}

}  // namespace cable::history_testing
