// JetStreamHistory's own behaviour on real nats-servers (the contract it
// shares with InMemoryHistory is in history_contract_test.cc): several
// processes appending to one stream, history outliving the process and the
// server, epochs after the stream is deleted, purged or expired, streams
// created at start, reads that never block, and MakeBackends's wiring.

#include "cable/jetstream_history.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "cable/backends.h"
#include "cable/pubsub.h"
#include "tests/sdk/history_backends.h"
#include "tests/sdk/history_test_util.h"
#include "tests/support/nats_server.h"

namespace cable::history_testing {
namespace {

using ::cable::testing::NatsServer;
using ::cable::testing::SharedJetStreamServer;

NatsServer MustStart(bool jetstream, bool own_process_group = false) {
  NatsServer::Options options;
  options.jetstream = jetstream;
  options.monitoring_port = 0;
  options.own_process_group = own_process_group;
  absl::StatusOr<NatsServer> server = NatsServer::Start(options);
  if (!server.ok()) {
    ADD_FAILURE() << server.status();
    std::abort();
  }
  return *std::move(server);
}

// The JetStream stream's configured per-subject limit and age, or -1s.
std::pair<std::int64_t, std::int64_t> StreamLimits(JetStreamClient& client,
                                                   const std::string& name) {
  jsStreamInfo* info = nullptr;
  jsErrCode error = static_cast<jsErrCode>(0);
  if (js_GetStreamInfo(&info, client.js(), name.c_str(), nullptr, &error) !=
      NATS_OK) {
    return {-1, -1};
  }
  std::pair<std::int64_t, std::int64_t> limits{info->Config->MaxMsgsPerSubject,
                                               info->Config->MaxAge};
  jsStreamInfo_Destroy(info);
  return limits;
}

TEST(JetStreamHistory, LaysStreamsOutByPolicyEntry) {
  JetStreamHistoryOptions options = FreshJetStreamOptions();
  JetStreamBackend backend(
      Policy(100, absl::Minutes(5), "chat:*=1000/1h;ticker:*=0"), options);
  JetStreamHistory& history = backend.JetStream(0);
  EXPECT_EQ(history.JetStreamName("other"),
            absl::StrCat(options.stream_prefix, "_0"));
  EXPECT_EQ(history.JetStreamName("chat:1"),
            absl::StrCat(options.stream_prefix, "_1"));
  EXPECT_EQ(history.JetStreamName("ticker:AAPL"), std::nullopt);
  EXPECT_EQ(history.JetStreamName("$state:x"), std::nullopt);
  // The stream name's reversible token (cable/stream_subject.h).
  EXPECT_EQ(history.Subject("chat:a.b"),
            absl::StrCat(options.subject_prefix, ".1.chat_3Aa_2Eb"));
  EXPECT_EQ(StreamLimits(history.client(), *history.JetStreamName("other")),
            std::make_pair(std::int64_t{100},
                           absl::ToInt64Nanoseconds(absl::Minutes(5))));
  EXPECT_EQ(StreamLimits(history.client(), *history.JetStreamName("chat:1")),
            std::make_pair(std::int64_t{1000},
                           absl::ToInt64Nanoseconds(absl::Hours(1))));
  // No stream for an entry without history.
  EXPECT_EQ(
      StreamLimits(history.client(), absl::StrCat(options.stream_prefix, "_2")),
      std::make_pair(std::int64_t{-1}, std::int64_t{-1}));
}

TEST(JetStreamHistory, TwoProcessesAppendingGetEachOffsetExactlyOnce) {
  JetStreamBackend backend(Policy(100000, absl::Minutes(5)));
  constexpr int kProcesses = 2;
  constexpr int kThreadsEach = 3;
  constexpr int kEach = 60;
  constexpr int kTotal = kProcesses * kThreadsEach * kEach;
  absl::Mutex mu;
  std::map<std::uint64_t, std::string> written;  // offset -> data
  std::set<std::string> epochs;
  std::vector<std::thread> threads;
  for (int p = 0; p < kProcesses; ++p) {
    History& history = backend.Instance(p);
    for (int t = 0; t < kThreadsEach; ++t) {
      threads.emplace_back([&, p, t] {
        for (int i = 0; i < kEach; ++i) {
          const std::string data = absl::StrCat(p, "/", t, "/", i);
          const StreamPosition pos = MustAppend(history, "race", data);
          absl::MutexLock lock(&mu);
          EXPECT_TRUE(written.emplace(pos.offset, data).second)
              << "offset " << pos.offset << " given twice";
          epochs.insert(pos.epoch);
        }
      });
    }
  }
  for (std::thread& t : threads) t.join();
  ASSERT_EQ(written.size(), std::size_t{kTotal});
  EXPECT_EQ(written.begin()->first, 1u);
  EXPECT_EQ(written.rbegin()->first, std::uint64_t{kTotal});
  ASSERT_EQ(epochs.size(), 1u);
  // Either process reads the same history: offset n holds what the append
  // that got n wrote.
  for (int p = 0; p < kProcesses; ++p) {
    absl::StatusOr<HistoryPage> page =
        ReadNow(backend.Instance(p), "race", After(*epochs.begin(), 0));
    ASSERT_TRUE(page.ok()) << page.status();
    ASSERT_EQ(page->entries.size(), std::size_t{kTotal});
    for (const HistoryEntry& e : page->entries) {
      EXPECT_EQ(e.data, written[e.offset]) << e.offset;
    }
  }
}

TEST(JetStreamHistory, TheEpochAReadReportsIsTheOneAnotherProcessAppendsTo) {
  JetStreamBackend backend(Policy(100, absl::Minutes(5)));
  absl::StatusOr<HistoryPage> page =
      ReadNow(backend.Instance(0), "chat", Since(absl::Now()));
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_FALSE(page->epoch.empty());
  const StreamPosition pos = MustAppend(backend.Instance(1), "chat", "one");
  EXPECT_EQ(pos, (StreamPosition{page->epoch, 1}));
}

TEST(JetStreamHistory, HistoryOutlivesTheProcess) {
  JetStreamBackend backend(Policy(100, absl::Minutes(5)));
  const std::string epoch = MustAppend(backend.Instance(0), "chat", "1").epoch;
  MustAppend(backend.Instance(0), "chat", "2");
  MustAppend(backend.Instance(0), "chat", "3");
  backend.Drop(0);
  // A new process (new connection, new object) sees the same history.
  absl::StatusOr<HistoryPage> page =
      ReadNow(backend.Instance(0), "chat", After(epoch, 1));
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->epoch, epoch);
  EXPECT_EQ(Offsets(*page), (Offs{2, 3}));
  EXPECT_EQ(MustAppend(backend.Instance(0), "chat", "4"),
            (StreamPosition{epoch, 4}));
}

TEST(JetStreamHistory, FileStorageOutlivesTheNatsServer) {
  NatsServer server = MustStart(/*jetstream=*/true);
  JetStreamBackend backend(Policy(100, absl::Minutes(5)),
                           FreshJetStreamOptions(), server.url());
  const std::string epoch = MustAppend(backend.Instance(0), "chat", "1").epoch;
  MustAppend(backend.Instance(0), "chat", "2");
  backend.Drop(0);
  ASSERT_TRUE(server.Restart().ok()) << server.log();
  absl::StatusOr<HistoryPage> page =
      ReadNow(backend.Instance(0), "chat", After(epoch, 0));
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(Offsets(*page), (Offs{1, 2}));
  EXPECT_EQ(MustAppend(backend.Instance(0), "chat", "3"),
            (StreamPosition{epoch, 3}));
}

TEST(JetStreamHistory, ADeletedStreamIsCreatedAgainUnderANewEpoch) {
  // The first call after a deletion waits out one request timeout.
  JetStreamBackend backend(Policy(100, absl::Minutes(5)),
                           FreshJetStreamOptions(), "", absl::Seconds(1));
  JetStreamHistory& history = backend.JetStream(0);
  const std::string epoch = MustAppend(history, "chat", "1").epoch;
  MustAppend(history, "chat", "2");
  jsErrCode error = static_cast<jsErrCode>(0);
  ASSERT_EQ(
      js_DeleteStream(history.client().js(),
                      history.JetStreamName("chat")->c_str(), nullptr, &error),
      NATS_OK);

  const StreamPosition reborn = MustAppend(history, "chat", "again");
  EXPECT_NE(reborn.epoch, epoch);
  EXPECT_EQ(reborn.offset, 1u);
  absl::StatusOr<HistoryPage> page = ReadNow(history, "chat", After(epoch, 2));
  EXPECT_EQ(page.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StartsWith(page.status().message(), "epoch changed"))
      << page.status();

  EXPECT_EQ(MustAppend(history, "chat", "next"),
            (StreamPosition{reborn.epoch, 2}));
}

TEST(JetStreamHistory, AReadFindsADeletedStreamToo) {
  JetStreamBackend backend(Policy(100, absl::Minutes(5)),
                           FreshJetStreamOptions(), "", absl::Seconds(1));
  JetStreamHistory& history = backend.JetStream(0);
  const std::string epoch = MustAppend(history, "chat", "1").epoch;
  jsErrCode error = static_cast<jsErrCode>(0);
  ASSERT_EQ(
      js_DeleteStream(history.client().js(),
                      history.JetStreamName("chat")->c_str(), nullptr, &error),
      NATS_OK);
  absl::StatusOr<HistoryPage> page = ReadNow(history, "chat", HistoryQuery{});
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_NE(page->epoch, epoch);
  EXPECT_EQ(page->last_offset, 0u);
  EXPECT_EQ(MustAppend(history, "chat", "x"), (StreamPosition{page->epoch, 1}));
}

TEST(JetStreamHistory, APurgedStreamStartsANewEpoch) {
  JetStreamBackend backend(Policy(100, absl::Minutes(5)));
  JetStreamHistory& history = backend.JetStream(0);
  const std::string epoch = MustAppend(history, "chat", "1").epoch;
  const std::string other = MustAppend(history, "other", "1").epoch;
  // Only chat's subject.
  absl::StatusOr<std::vector<NatsMsgPtr>> purged =
      history.client().Batch({JetStreamClient::Purge(
          *history.JetStreamName("chat"), *history.Subject("chat"))});
  ASSERT_TRUE(purged.ok()) << purged.status();
  ASSERT_TRUE(JetStreamClient::Purged(purged->front()).ok());

  absl::StatusOr<HistoryPage> page = ReadNow(history, "chat", After(epoch, 1));
  EXPECT_EQ(page.status().code(), absl::StatusCode::kFailedPrecondition);
  const StreamPosition reborn = MustAppend(history, "chat", "again");
  EXPECT_NE(reborn.epoch, epoch);
  EXPECT_EQ(reborn.offset, 1u);
  EXPECT_EQ(MustAppend(history, "other", "2"), (StreamPosition{other, 2}));
}

TEST(JetStreamHistory, AStreamThatExpiresStartsANewEpoch) {
  JetStreamBackend backend(Policy(100, absl::Seconds(1)));
  History& history = backend.Instance(0);
  const std::string epoch = MustAppend(history, "chat", "1").epoch;
  // The server drops it after MaxAge; there is nothing to wait on but the
  // read's answer.
  const absl::Time give_up = absl::Now() + absl::Seconds(20);
  absl::StatusOr<HistoryPage> page = ReadNow(history, "chat", After(epoch, 1));
  while (page.ok() && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(100));
    page = ReadNow(history, "chat", After(epoch, 1));
  }
  EXPECT_EQ(page.status().code(), absl::StatusCode::kFailedPrecondition)
      << page.status();
  const StreamPosition reborn = MustAppend(history, "chat", "2");
  EXPECT_NE(reborn.epoch, epoch);
  EXPECT_EQ(reborn.offset, 1u);
}

TEST(JetStreamHistory, ProcessesStartingAtOnceAllSucceedAndTheLastPolicyWins) {
  const JetStreamHistoryOptions options = FreshJetStreamOptions();
  constexpr int kProcesses = 4;
  std::vector<std::thread> threads;
  std::vector<absl::Status> results(kProcesses);
  for (int i = 0; i < kProcesses; ++i) {
    threads.emplace_back([&, i] {
      results[i] =
          JetStreamHistory::Create(MustConnect(SharedJetStreamServer().url(),
                                               absl::StrCat("start-", i)),
                                   Policy(50, absl::Minutes(1)), options)
              .status();
    });
  }
  for (std::thread& t : threads) t.join();
  for (const absl::Status& s : results) EXPECT_TRUE(s.ok()) << s;

  absl::StatusOr<std::unique_ptr<JetStreamHistory>> changed =
      JetStreamHistory::Create(
          MustConnect(SharedJetStreamServer().url(), "changed"),
          Policy(7, absl::Minutes(2)), options);
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_EQ(StreamLimits((*changed)->client(),
                         absl::StrCat(options.stream_prefix, "_0")),
            std::make_pair(std::int64_t{7},
                           absl::ToInt64Nanoseconds(absl::Minutes(2))));
}

TEST(JetStreamHistory, WithoutJetStreamCreateIsFailedPrecondition) {
  NatsServer plain = MustStart(/*jetstream=*/false);
  absl::StatusOr<std::unique_ptr<JetStreamHistory>> history =
      JetStreamHistory::Create(MustConnect(plain.url(), "plain"),
                               Policy(10, absl::Minutes(1)));
  EXPECT_EQ(history.status().code(), absl::StatusCode::kFailedPrecondition)
      << history.status();
}

TEST(JetStreamHistory, RejectsBadOptions) {
  JetStreamHistoryOptions options;
  options.stream_prefix = "bad.prefix";
  EXPECT_EQ(JetStreamHistory::Create(
                MustConnect(SharedJetStreamServer().url(), "bad"),
                Policy(10, absl::Minutes(1)), options)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  options = JetStreamHistoryOptions{};
  options.subject_prefix = "cable.>";
  EXPECT_EQ(JetStreamHistory::Create(
                MustConnect(SharedJetStreamServer().url(), "bad"),
                Policy(10, absl::Minutes(1)), options)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(JetStreamHistory, ReadsNeverBlockTheCaller) {
  NatsServer server = MustStart(/*jetstream=*/true, /*own_process_group=*/true);
  JetStreamHistoryOptions options = FreshJetStreamOptions();
  options.read_timeout = absl::Seconds(3);
  absl::StatusOr<std::unique_ptr<JetStreamHistory>> created =
      JetStreamHistory::Create(
          MustConnect(server.url(), "paused", absl::Seconds(2)),
          Policy(10, absl::Minutes(1)), options);
  ASSERT_TRUE(created.ok()) << created.status();
  JetStreamHistory& history = **created;
  MustAppend(history, "chat", "1");

  ASSERT_TRUE(server.Pause().ok());
  absl::Notification done;
  absl::StatusOr<HistoryPage> result;
  const absl::Time start = absl::Now();
  history.Read("chat", HistoryQuery{}, [&](absl::StatusOr<HistoryPage> page) {
    result = std::move(page);
    done.Notify();
  });
  // Returned at once; the page comes when the request gives up.
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  EXPECT_FALSE(done.HasBeenNotified());
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(20)));
  EXPECT_FALSE(result.ok());
  EXPECT_TRUE(absl::IsDeadlineExceeded(result.status()) ||
              absl::IsUnavailable(result.status()))
      << result.status();
  ASSERT_TRUE(server.Resume().ok());
  absl::StatusOr<HistoryPage> page = ReadNow(history, "chat", HistoryQuery{});
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(Offsets(*page), (Offs{1}));
}

TEST(JetStreamHistory, RefusesWhatDoesNotFitOneMessage) {
  JetStreamBackend backend(Policy(10, absl::Minutes(1)));
  JetStreamHistory& history = backend.JetStream(0);
  const std::string huge(
      static_cast<std::size_t>(history.client().max_payload()), 'x');
  EXPECT_EQ(history.Append("chat", huge).status().code(),
            absl::StatusCode::kResourceExhausted);
  // Nothing was kept.
  absl::StatusOr<HistoryPage> page = ReadNow(history, "chat", HistoryQuery{});
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_TRUE(page->entries.empty());
}

TEST(JetStreamHistory, AForeignMessageOnTheSubjectIsAnError) {
  JetStreamBackend backend(Policy(10, absl::Minutes(1)));
  JetStreamHistory& history = backend.JetStream(0);
  absl::StatusOr<std::vector<NatsMsgPtr>> acked = history.client().Batch(
      {JetStreamClient::Publish(*history.Subject("chat"), "not ours")});
  ASSERT_TRUE(acked.ok()) << acked.status();
  ASSERT_TRUE(JetStreamClient::PubAck(acked->front()).ok());
  EXPECT_EQ(history.Append("chat", "x").status().code(),
            absl::StatusCode::kInternal);
  EXPECT_EQ(ReadNow(history, "chat", HistoryQuery{}).status().code(),
            absl::StatusCode::kInternal);
}

TEST(JetStreamHistory, MakeBackendsKeepsHistoryInJetStreamWithNats) {
  const HistoryPolicy policy = Policy(10, absl::Minutes(1));
  // Two processes on one NATS.
  absl::StatusOr<Backends> first =
      MakeBackends(SharedJetStreamServer().url(), "first", {}, policy);
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<Backends> second =
      MakeBackends(SharedJetStreamServer().url(), "second", {}, policy);
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_NE(dynamic_cast<JetStreamHistory*>(first->history.get()), nullptr);

  absl::StatusOr<std::optional<StreamPosition>> a =
      first->streams->BroadcastWithPosition("backends:chat", "\"a\"");
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(a->has_value());
  absl::StatusOr<std::optional<StreamPosition>> b =
      second->streams->BroadcastWithPosition("backends:chat", "\"b\"");
  ASSERT_TRUE(b.ok()) << b.status();
  ASSERT_TRUE(b->has_value());
  EXPECT_EQ(**b, (StreamPosition{(*a)->epoch, (*a)->offset + 1}));
  absl::StatusOr<HistoryPage> page =
      ReadNow(*second->history, "backends:chat", After((*a)->epoch, 0));
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->entries.size(), 2u);
  EXPECT_EQ(page->entries[1].data, "\"b\"");
}

TEST(JetStreamHistory, MakeBackendsWithoutJetStreamTurnsHistoryOff) {
  NatsServer plain = MustStart(/*jetstream=*/false);
  absl::StatusOr<Backends> backends =
      MakeBackends(plain.url(), "plain", {}, Policy(10, absl::Minutes(1)));
  ASSERT_TRUE(backends.ok()) << backends.status();
  EXPECT_EQ(backends->history, nullptr);
  absl::StatusOr<std::optional<StreamPosition>> pos =
      backends->streams->BroadcastWithPosition("chat", "\"a\"");
  ASSERT_TRUE(pos.ok()) << pos.status();
  EXPECT_FALSE(pos->has_value());
}

}  // namespace
}  // namespace cable::history_testing
