// The "plan" phase of the NATS state store's commit
// (service/nats_state_commit_plan.h) on fake inputs: heads and guard counts
// as round trip 1 would have read them. No server.

#include "service/nats_state_commit_plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cable/stream_subject.h"

namespace cable::service::nats_state {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

constexpr std::size_t kChunk = 1024;

MATCHER_P3(IsGuardOp, key, count, seen, "") {
  return arg.key == key && arg.count == count && arg.seen == seen;
}

// Ids "id0", "id1", ... in order.
IdSource Ids() {
  auto next = std::make_shared<int>(0);
  return [next] { return absl::StrCat("id", (*next)++); };
}

std::optional<std::string> Header(const JsRequest& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return std::nullopt;
}

ChannelWrite Write(std::string name, std::optional<std::string> state = {},
                   std::vector<std::string> events = {}) {
  ChannelWrite w;
  w.name = std::move(name);
  w.expected_revision = 3;
  w.state = std::move(state);
  w.events = std::move(events);
  return w;
}

// A part as read: the head at revision 3, last event 10, sequence 50; the
// guards of GuardWorkersOf(w) with `counts` and sequences 100, 101, ...
// (0 where the count is 0: no entry).
CommitPart Read(const ChannelWrite& w, std::vector<std::int64_t> counts = {}) {
  CommitPart p;
  p.write = &w;
  p.enc = EncodeStreamToken(w.name);
  p.head.revision = 3;
  p.head.last_event_id = 10;
  p.head.type = "t";
  p.head.inline_state = "{}";
  p.head.seq = 50;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    p.guard_counts.push_back(counts[i]);
    p.guard_seqs.push_back(counts[i] == 0 ? 0 : 100 + i);
  }
  return p;
}

const Layout kLayout("p");

TEST(PlanGuardsTest, ClearThenDelta) {
  ChannelWrite w = Write("c");
  w.clear_guards_of = {"dead", "gone", "dead"};
  w.worker = "me";
  w.guard_delta = 2;
  EXPECT_THAT(GuardWorkersOf(w), ElementsAre("dead", "gone", "dead", "me"));
  // "dead" has an entry (removed once), "gone" none (nothing to remove),
  // "me" goes from 1 to 3.
  EXPECT_THAT(
      PlanGuards(w, {4, 0, 4, 1}, {7, 0, 7, 9}),
      ElementsAre(IsGuardOp(Layout::GuardKey("c", "dead"), std::nullopt, 7u),
                  IsGuardOp(Layout::GuardKey("c", "me"),
                            std::optional<std::int64_t>(3), 9u)));
}

TEST(PlanGuardsTest, CountsNeverGoBelowZeroAndUnchangedIsNotWritten) {
  ChannelWrite w = Write("c");
  w.worker = "me";
  w.guard_delta = -5;
  // To zero: the entry goes.
  EXPECT_THAT(
      PlanGuards(w, {2}, {9}),
      ElementsAre(IsGuardOp(Layout::GuardKey("c", "me"), std::nullopt, 9u)));
  // Nothing there and nothing to write.
  EXPECT_THAT(PlanGuards(w, {0}, {0}), IsEmpty());
  // Cleared, then the delta: max(0, delta).
  w.clear_guards_of = {"me"};
  w.guard_delta = 2;
  EXPECT_THAT(PlanGuards(w, {5, 5}, {9, 9}),
              ElementsAre(IsGuardOp(Layout::GuardKey("c", "me"),
                                    std::optional<std::int64_t>(2), 9u)));
  // A put of the count already there is skipped.
  w.clear_guards_of.clear();
  w.guard_delta = 1;
  EXPECT_THAT(PlanGuards(w, {0}, {0}),
              ElementsAre(IsGuardOp(Layout::GuardKey("c", "me"),
                                    std::optional<std::int64_t>(1), 0u)));
}

TEST(PlanCommitTest, OneHeadWithEventsIsNotAtomic) {
  const ChannelWrite w = Write("room", "{\"v\":1}", {"\"a\"", "\"b\""});
  std::vector<CommitPart> parts = {Read(w)};
  const CommitPlan plan = PlanCommit(parts, kLayout, kChunk, Ids());
  EXPECT_EQ(plan.keys, 1u);
  EXPECT_FALSE(plan.atomic());
  EXPECT_TRUE(plan.txn.empty());
  const CommitPart& p = parts[0];
  EXPECT_TRUE(p.write_head);
  EXPECT_EQ(p.next.revision, 4u);
  EXPECT_EQ(p.next.last_event_id, 12u);
  EXPECT_EQ(p.next.inline_state, "{\"v\":1}");
  EXPECT_TRUE(p.next.txn.empty());
  // Events 11 and 12, each expecting "no message".
  ASSERT_EQ(plan.data_writes.size(), 2u);
  EXPECT_EQ(plan.data_writes[0].subject, kLayout.EventSubject(p.enc, 11));
  EXPECT_EQ(plan.data_writes[0].data, "\"a\"");
  EXPECT_EQ(plan.data_writes[1].subject, kLayout.EventSubject(p.enc, 12));
  EXPECT_EQ(Header(plan.data_writes[1], "Nats-Expected-Last-Subject-Sequence"),
            "0");
  EXPECT_THAT(plan.fenced, ElementsAre(0, 1));
  EXPECT_THAT(CommitResults(parts),
              ElementsAre(::testing::AllOf(
                  ::testing::Field(&CommitResult::revision, 4u),
                  ::testing::Field(&CommitResult::first_event_id, 11u))));
}

TEST(PlanCommitTest, NothingToWriteKeepsTheRevision) {
  const ChannelWrite w = Write("room");
  std::vector<CommitPart> parts = {Read(w)};
  const CommitPlan plan = PlanCommit(parts, kLayout, kChunk, Ids());
  EXPECT_EQ(plan.keys, 0u);
  EXPECT_THAT(plan.data_writes, IsEmpty());
  EXPECT_THAT(CommitResults(parts),
              ElementsAre(::testing::AllOf(
                  ::testing::Field(&CommitResult::revision, 3u),
                  ::testing::Field(&CommitResult::first_event_id, 0u))));
}

TEST(PlanCommitTest, EventsNotKeptAreCountedNotWritten) {
  const ChannelWrite w = Write("live", std::nullopt, {"1", "2"});
  std::vector<CommitPart> parts = {Read(w)};
  parts[0].head.keep_events = false;
  const CommitPlan plan = PlanCommit(parts, kLayout, kChunk, Ids());
  EXPECT_THAT(plan.data_writes, IsEmpty());
  EXPECT_EQ(parts[0].next.last_event_id, 12u);
  EXPECT_EQ(parts[0].next.revision, 4u);
}

TEST(PlanCommitTest, LargeStateAndEventAreChunked) {
  const std::string big(2 * kChunk + 5, 'x');
  const ChannelWrite w = Write("big", big, {big});
  std::vector<CommitPart> parts = {Read(w)};
  parts[0].head.blob = "oldblob";
  parts[0].head.chunks = 3;
  const CommitPlan plan = PlanCommit(parts, kLayout, kChunk, Ids());
  const CommitPart& p = parts[0];
  EXPECT_EQ(p.next.blob, "id0");
  EXPECT_EQ(p.next.chunks, 3u);
  EXPECT_TRUE(p.next.inline_state.empty());
  EXPECT_EQ(p.old_blob, "oldblob");
  // 3 state chunks (not fenced), 3 event chunks and the event (fenced).
  ASSERT_EQ(plan.data_writes.size(), 7u);
  EXPECT_EQ(plan.data_writes[0].subject, kLayout.ChunkSubject("id0", 0));
  EXPECT_EQ(plan.data_writes[2].data, "xxxxx");
  EXPECT_EQ(plan.data_writes[3].subject,
            kLayout.EventChunkSubject(p.enc, 11, 0));
  EXPECT_EQ(Header(plan.data_writes[3], "Cable-Blob"), "id1");
  EXPECT_EQ(plan.data_writes[6].subject, kLayout.EventSubject(p.enc, 11));
  EXPECT_EQ(plan.data_writes[6].data, "");
  EXPECT_EQ(Header(plan.data_writes[6], "Cable-Chunks"), "3");
  EXPECT_THAT(plan.fenced, ElementsAre(3, 4, 5, 6));
  // The replaced state's chunks go once the head is in.
  const std::vector<JsRequest> cleanup =
      CleanupRequests(parts, plan, "", kLayout);
  ASSERT_EQ(cleanup.size(), 1u);
  EXPECT_EQ(cleanup[0].subject,
            absl::StrCat("$JS.API.STREAM.PURGE.", kLayout.chunks_stream));
}

TEST(PlanCommitTest, TwoKeysMakeAnIntentAndEveryTouchedHeadCarriesIt) {
  ChannelWrite a = Write("a", "1");
  ChannelWrite b = Write("b");
  b.worker = "w";
  b.guard_delta = 1;
  ChannelWrite c = Write("c");
  std::vector<CommitPart> parts = {Read(a), Read(b, {0}), Read(c)};
  const CommitPlan plan = PlanCommit(parts, kLayout, kChunk, Ids());
  EXPECT_EQ(plan.keys, 2u);
  ASSERT_TRUE(plan.atomic());
  EXPECT_EQ(plan.txn, "id0");
  EXPECT_TRUE(parts[0].write_head);
  EXPECT_EQ(parts[0].next.txn, "id0");
  // b only changes a guard, but in an intent its head says it is done...
  EXPECT_TRUE(parts[1].write_head);
  EXPECT_EQ(parts[1].next.txn, "id0");
  // ... without a new revision.
  EXPECT_EQ(parts[1].next.revision, 3u);
  EXPECT_FALSE(parts[2].write_head);

  const IntentWrites intent =
      PlanIntent(parts, "owner", plan.txn, kLayout, kChunk, Ids());
  EXPECT_EQ(intent.message.subject, kLayout.IntentSubject("id0"));
  EXPECT_THAT(intent.chunks, IsEmpty());
  absl::StatusOr<Intent> decoded = DecodeIntent(intent.message.data);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->owner, "owner");
  ASSERT_EQ(decoded->parts.size(), 2u);
  EXPECT_EQ(decoded->parts[0].name, "a");
  EXPECT_EQ(decoded->parts[0].expected, 50u);
  EXPECT_EQ(decoded->parts[0].head, EncodeHead(parts[0].next));
  EXPECT_THAT(decoded->parts[1].guards,
              ElementsAre(IsGuardOp(Layout::GuardKey("b", "w"),
                                    std::optional<std::int64_t>(1), 0u)));
  // Cleanup purges the intent.
  EXPECT_EQ(CleanupRequests(parts, plan, "", kLayout).size(), 1u);
}

TEST(PlanCommitTest, AGuardAloneIsOneKey) {
  ChannelWrite w = Write("c");
  w.worker = "w";
  w.guard_delta = 1;
  std::vector<CommitPart> parts = {Read(w, {0})};
  const CommitPlan plan = PlanCommit(parts, kLayout, kChunk, Ids());
  EXPECT_EQ(plan.keys, 1u);
  EXPECT_FALSE(plan.atomic());
  EXPECT_FALSE(parts[0].write_head);
  EXPECT_EQ(parts[0].guards.size(), 1u);
}

TEST(PlanIntentTest, ALargeIntentIsChunked) {
  const std::string state(kChunk - 200, 's');
  ChannelWrite a = Write("a", state);
  ChannelWrite b = Write("b", state);
  std::vector<CommitPart> parts = {Read(a), Read(b)};
  const CommitPlan plan = PlanCommit(parts, kLayout, kChunk, Ids());
  ASSERT_TRUE(plan.atomic());
  // Each state fits its head inline; both together do not fit an intent.
  EXPECT_EQ(parts[0].next.inline_state, state);
  const IntentWrites intent =
      PlanIntent(parts, "owner", plan.txn, kLayout, kChunk, Ids());
  EXPECT_EQ(intent.intent.blob, "id0");
  EXPECT_EQ(intent.chunks.size(), 2u);
  EXPECT_EQ(intent.message.data, "");
  EXPECT_EQ(Header(intent.message, "Cable-Blob"), "id0");
  EXPECT_EQ(Header(intent.message, "Cable-Chunks"), "2");
  std::string body;
  for (const JsRequest& chunk : intent.chunks) body += chunk.data;
  absl::StatusOr<Intent> decoded = DecodeIntent(body);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->parts.size(), 2u);
  // The intent's chunks are purged with it.
  EXPECT_EQ(CleanupRequests(parts, plan, intent.intent.blob, kLayout).size(),
            2u);
}

}  // namespace
}  // namespace cable::service::nats_state
