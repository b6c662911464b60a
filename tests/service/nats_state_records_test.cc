// The NATS state store's record codecs and names
// (service/nats_state_records.h, nats_state_layout.h): pure, no server.

#include "service/nats_state_records.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "cable/stream_subject.h"
#include "service/nats_state_layout.h"
#include "tests/service/test_util.h"

namespace cable::service::nats_state {
namespace {

using ::cable::service::testing::StatusIs;
using ::testing::HasSubstr;

Head InlineHead() {
  Head h;
  h.revision = 7;
  h.last_event_id = 42;
  h.type = "chat room";
  h.keep_events = false;
  h.inline_state = "{\"a\":\n1}";
  return h;
}

TEST(HeadRecordTest, InlineStateRoundTrips) {
  const Head h = InlineHead();
  const std::string encoded = EncodeHead(h);
  EXPECT_EQ(encoded.substr(0, encoded.find('\n')), HeaderLine(h));
  absl::StatusOr<Head> back = DecodeHead(encoded, 99);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->revision, 7u);
  EXPECT_EQ(back->last_event_id, 42u);
  EXPECT_EQ(back->type, "chat room");
  EXPECT_FALSE(back->keep_events);
  // The state may hold newlines: only the first one ends the header.
  EXPECT_EQ(back->inline_state, "{\"a\":\n1}");
  EXPECT_TRUE(back->blob.empty());
  EXPECT_TRUE(back->txn.empty());
  EXPECT_EQ(back->seq, 99u);
}

TEST(HeadRecordTest, ChunkedStateAndTxnRoundTrip) {
  Head h = InlineHead();
  h.blob = "blob1";
  h.chunks = 3;
  h.txn = "tx1";
  const std::string encoded = EncodeHead(h);
  // A chunked state is not inline.
  EXPECT_EQ(encoded.back(), '\n');
  absl::StatusOr<Head> back = DecodeHead(encoded, 1);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->blob, "blob1");
  EXPECT_EQ(back->chunks, 3u);
  EXPECT_EQ(back->txn, "tx1");
  EXPECT_TRUE(back->inline_state.empty());
}

TEST(HeadRecordTest, DamageIsDataLoss) {
  for (const char* bad : {
           "",
           "{\"rev\":1,\"last\":0,\"type\":\"\",\"keep\":true}",  // no newline
           "not json\n{}",
           "[1]\n{}",
           "{\"last\":0,\"type\":\"\",\"keep\":true}\n{}",
           "{\"rev\":1.5,\"last\":0,\"type\":\"\",\"keep\":true}\n{}",
           "{\"rev\":-1,\"last\":0,\"type\":\"\",\"keep\":true}\n{}",
           "{\"rev\":1,\"last\":0,\"type\":3,\"keep\":true}\n{}",
           "{\"rev\":1,\"last\":0,\"type\":\"\",\"keep\":1}\n{}",
           "{\"rev\":1,\"last\":0,\"type\":\"\",\"keep\":true,\"blob\":1}\n",
           "{\"rev\":1,\"last\":0,\"type\":\"\",\"keep\":true,\"chunks\":\"2\"}"
           "\n",
           "{\"rev\":1,\"last\":0,\"type\":\"\",\"keep\":true,\"txn\":[]}\n",
       }) {
    EXPECT_THAT(DecodeHead(bad, 1), StatusIs(absl::StatusCode::kDataLoss))
        << bad;
  }
}

Intent SampleIntent() {
  Intent intent;
  intent.owner = "owner:1";
  IntentPart a;
  a.name = "room a.b";
  a.enc = EncodeStreamToken(a.name);
  a.expected = 12;
  a.head = EncodeHead(InlineHead());
  a.old_blob = "oldblob";
  a.guards = {GuardOp{"k1", 3, 5}, GuardOp{"k2", std::nullopt, 8},
              GuardOp{"k3", -2, 0}};
  IntentPart b;
  b.name = "b";
  b.enc = EncodeStreamToken(b.name);
  b.expected = 0;
  b.head = "";
  intent.parts = {a, b};
  return intent;
}

TEST(IntentRecordTest, RoundTripsEveryField) {
  const Intent intent = SampleIntent();
  const std::string encoded = EncodeIntent(intent);
  absl::StatusOr<Intent> back = DecodeIntent(encoded);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->owner, "owner:1");
  ASSERT_EQ(back->parts.size(), 2u);
  const IntentPart& a = back->parts[0];
  EXPECT_EQ(a.name, "room a.b");
  EXPECT_EQ(a.enc, EncodeStreamToken("room a.b"));
  EXPECT_EQ(a.expected, 12u);
  EXPECT_EQ(a.head, intent.parts[0].head);
  EXPECT_EQ(a.old_blob, "oldblob");
  ASSERT_EQ(a.guards.size(), 3u);
  EXPECT_EQ(a.guards[0].key, "k1");
  EXPECT_EQ(a.guards[0].count, 3);
  EXPECT_EQ(a.guards[0].seen, 5u);
  EXPECT_EQ(a.guards[1].count, std::nullopt);
  EXPECT_EQ(a.guards[1].seen, 8u);
  EXPECT_EQ(a.guards[2].count, -2);
  EXPECT_TRUE(back->parts[1].guards.empty());
  // Stable: encoding what was decoded gives the same bytes.
  EXPECT_EQ(EncodeIntent(*back), encoded);
  // The id and blob are not in the body.
  EXPECT_TRUE(back->id.empty());
  EXPECT_TRUE(back->blob.empty());
}

TEST(IntentRecordTest, DamageIsDataLoss) {
  const std::string good = EncodeIntent(SampleIntent());
  EXPECT_THAT(DecodeIntent(""), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(DecodeIntent("14:cable-intent-1"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("header")));
  EXPECT_THAT(DecodeIntent("99999:x"), StatusIs(absl::StatusCode::kDataLoss));
  // Every truncation of a good record is refused, none crashes.
  for (std::size_t n = 0; n < good.size(); ++n) {
    EXPECT_FALSE(DecodeIntent(good.substr(0, n)).ok()) << n;
  }
}

TEST(RecordHelpersTest, LastTokenUniqueIdAndGuardCount) {
  EXPECT_EQ(LastToken("a.b.c"), "c");
  EXPECT_EQ(LastToken("abc"), "abc");
  EXPECT_EQ(LastToken("a."), "");
  std::set<std::string> ids;
  for (int i = 0; i < 100; ++i) {
    const std::string id = UniqueId();
    EXPECT_EQ(id.size(), 22u);
    EXPECT_EQ(id.find_first_not_of("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                   "abcdefghijklmnopqrstuvwxyz"),
              std::string::npos);
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 100u);
  EXPECT_EQ(DecodeGuardCount("12"), 12);
  EXPECT_EQ(DecodeGuardCount("-3"), -3);
  EXPECT_EQ(DecodeGuardCount("x"), std::nullopt);
  EXPECT_EQ(DecodeGuardCount(""), std::nullopt);
}

// The names are what replicas (and stores written by older versions) share:
// pinned.
TEST(LayoutTest, NamesOfBucketsStreamsAndSubjects) {
  const Layout l("cable");
  EXPECT_EQ(l.channels_stream, "KV_cable_channels");
  EXPECT_EQ(l.locks_stream, "KV_cable_locks");
  EXPECT_EQ(l.guards_stream, "KV_cable_guards");
  EXPECT_EQ(l.workers_stream, "KV_cable_workers");
  EXPECT_EQ(l.events_stream, "cable_events");
  EXPECT_EQ(l.chunks_stream, "cable_chunks");
  EXPECT_EQ(l.intents_stream, "cable_intents");
  EXPECT_EQ(l.HeadSubject("c"), "$KV.cable_channels.c");
  EXPECT_EQ(l.LockSubject("c"), "$KV.cable_locks.c");
  EXPECT_EQ(l.GuardSubject("c.w"), "$KV.cable_guards.c.w");
  EXPECT_EQ(l.WorkerSubject("w"), "$KV.cable_workers.w");
  EXPECT_EQ(l.EventSubject("c", 7), "cable.ev.c.7");
  EXPECT_EQ(l.EventFilter("c"), "cable.ev.c.*");
  EXPECT_EQ(l.EventChunkSubject("c", 7, 2), "cable.evc.c.7.2");
  EXPECT_EQ(l.EventChunkFilter("c"), "cable.evc.c.>");
  EXPECT_EQ(l.ChunkSubject("b", 3), "cable.ch.b.3");
  EXPECT_EQ(l.BlobFilter("b"), "cable.ch.b.>");
  EXPECT_EQ(l.IntentSubject("t"), "cable.tx.t");
  EXPECT_EQ(l.IntentFilter(), "cable.tx.*");
  // Hostile names become single tokens.
  EXPECT_EQ(
      Layout::GuardKey("a.b", "w *"),
      absl::StrCat(EncodeStreamToken("a.b"), ".", EncodeStreamToken("w *")));
  EXPECT_EQ(Layout::GuardKey("a.b", "w").find('.'),
            EncodeStreamToken("a.b").size());
}

}  // namespace
}  // namespace cable::service::nats_state
