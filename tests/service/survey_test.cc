// The server API's survey without I/O (service/survey.h): when the
// gatherer completes, and how answers merge.
#include "cable/service/survey.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace cable::service {
namespace {

using ::testing::ElementsAre;

Responder Gateway(std::string id) {
  return {Responder::Role::kGateway, std::move(id)};
}
Responder Service(std::string id) {
  return {Responder::Role::kService, std::move(id)};
}

internal::v1::SurveyReply FromGateway(
    const std::string& id,
    std::vector<std::pair<std::string, std::uint64_t>> streams = {},
    bool truncated = false) {
  internal::v1::SurveyReply reply;
  reply.set_gateway_id(id);
  for (auto& [stream, count] : streams) {
    auto* entry = reply.add_streams();
    entry->set_stream(stream);
    entry->set_subscribers(count);
  }
  reply.set_truncated(truncated);
  return reply;
}

// Records the completion.
struct Outcome {
  int calls = 0;
  std::optional<absl::StatusOr<SurveyResult>> result;
  SurveyGatherer::Done Done() {
    return [this](absl::StatusOr<SurveyResult> r) {
      ++calls;
      result = std::move(r);
    };
  }
};

TEST(SurveyGatherer, CompletesWhenEveryExpectedOneAnswered) {
  Outcome outcome;
  SurveyGatherer gatherer({Gateway("g1"), Gateway("g2")}, outcome.Done());
  gatherer.Offer(FromGateway("g2"));
  gatherer.Sent();
  EXPECT_EQ(outcome.calls, 0);
  gatherer.Offer(FromGateway("g2"));  // a duplicate counts once
  EXPECT_EQ(outcome.calls, 0);
  gatherer.Offer(FromGateway("g1"));
  ASSERT_EQ(outcome.calls, 1);
  ASSERT_TRUE(outcome.result->ok());
  const SurveyResult& result = **outcome.result;
  ASSERT_EQ(result.replies.size(), 2u);
  EXPECT_EQ(result.replies[0].gateway_id(), "g1");  // sorted
  EXPECT_TRUE(result.unanswered.empty());
  // Late ones change nothing.
  gatherer.Offer(FromGateway("g3"));
  gatherer.Expire();
  EXPECT_EQ(outcome.calls, 1);
  EXPECT_TRUE(gatherer.done());
}

TEST(SurveyGatherer, WaitsUntilSentEvenWhenAllAnswered) {
  Outcome outcome;
  SurveyGatherer gatherer({Gateway("g1")}, outcome.Done());
  gatherer.Offer(FromGateway("g1"));
  EXPECT_EQ(outcome.calls, 0);
  gatherer.Sent();
  EXPECT_EQ(outcome.calls, 1);
}

TEST(SurveyGatherer, NobodyExpectedCompletesOnceSent) {
  Outcome outcome;
  SurveyGatherer gatherer({}, outcome.Done());
  gatherer.Sent();
  ASSERT_EQ(outcome.calls, 1);
  EXPECT_TRUE((*outcome.result)->replies.empty());
}

TEST(SurveyGatherer, DeadlineAnswersWithWhatCameAndNamesTheSilent) {
  Outcome outcome;
  SurveyGatherer gatherer(
      {Gateway("g1"), Gateway("g2"), Service("s1"), Service("g1")},
      outcome.Done());
  gatherer.Sent();
  gatherer.Offer(FromGateway("g1"));
  gatherer.Offer(FromGateway("unexpected"));  // started since: kept
  internal::v1::SurveyReply nobody;
  gatherer.Offer(nobody);  // names nobody: ignored
  EXPECT_EQ(outcome.calls, 0);
  gatherer.Expire();
  ASSERT_EQ(outcome.calls, 1);
  ASSERT_TRUE(outcome.result->ok());
  const SurveyResult& result = **outcome.result;
  EXPECT_EQ(result.replies.size(), 2u);
  EXPECT_THAT(result.unanswered,
              ElementsAre(Gateway("g2"), Service("g1"), Service("s1")));
}

TEST(SurveyGatherer, AbortCompletesWithTheError) {
  Outcome outcome;
  SurveyGatherer gatherer({Gateway("g1")}, outcome.Done());
  gatherer.Abort(absl::UnavailableError("no bus"));
  ASSERT_EQ(outcome.calls, 1);
  EXPECT_EQ(outcome.result->status().code(), absl::StatusCode::kUnavailable);
  gatherer.Expire();
  EXPECT_EQ(outcome.calls, 1);
}

TEST(MergeChannels, SumsByStreamSortedAndNamesTheSilent) {
  SurveyResult result;
  result.replies.push_back(FromGateway("g1", {{"a", 2}, {"c", 1}}));
  result.replies.push_back(FromGateway("g2", {{"a", 3}, {"b", 1}}));
  result.unanswered = {Gateway("g3"), Service("s1")};
  v1::ChannelsResponse r = MergeChannels(result, 10);
  ASSERT_EQ(r.streams_size(), 3);
  EXPECT_EQ(r.streams(0).stream(), "a");
  EXPECT_EQ(r.streams(0).subscribers(), 5u);
  EXPECT_EQ(r.streams(1).stream(), "b");
  EXPECT_EQ(r.streams(2).stream(), "c");
  EXPECT_FALSE(r.truncated());
  EXPECT_THAT(r.unanswered_gateways(), ElementsAre("g3"));
}

TEST(MergeChannels, CapsAtTheLimitWithExactCounts) {
  SurveyResult result;
  // Each gateway sends its first two by name; the first two of the
  // merge are exact.
  result.replies.push_back(FromGateway("g1", {{"a", 1}, {"b", 1}}, true));
  result.replies.push_back(FromGateway("g2", {{"a", 1}, {"c", 1}}, false));
  v1::ChannelsResponse r = MergeChannels(result, 2);
  ASSERT_EQ(r.streams_size(), 2);
  EXPECT_EQ(r.streams(0).subscribers(), 2u);
  EXPECT_EQ(r.streams(1).stream(), "b");
  EXPECT_TRUE(r.truncated());
  // A gateway's truncation alone says so too.
  result.replies.pop_back();
  EXPECT_TRUE(MergeChannels(result, 10).truncated());
}

TEST(MergeInfo, ListsGatewaysAndServicesAndSumsConnections) {
  SurveyResult result;
  for (const auto& [id, connections] :
       std::vector<std::pair<std::string, int>>{{"g1", 3}, {"g2", 4}}) {
    internal::v1::SurveyReply reply = FromGateway(id);
    reply.mutable_gateway()->set_id(id);
    reply.mutable_gateway()->set_connections(connections);
    result.replies.push_back(reply);
  }
  internal::v1::SurveyReply service;
  service.set_service_id("s1");
  service.mutable_service()->set_id("s1");
  result.replies.push_back(service);
  result.unanswered = {Gateway("g9"), Service("s2")};
  v1::InfoResponse r = MergeInfo(result, "1.2.3");
  EXPECT_EQ(r.version(), "1.2.3");
  EXPECT_EQ(r.connections(), 7u);
  ASSERT_EQ(r.gateways_size(), 2);
  EXPECT_EQ(r.gateways(1).id(), "g2");
  ASSERT_EQ(r.services_size(), 1);
  EXPECT_EQ(r.services(0).id(), "s1");
  EXPECT_THAT(r.unanswered_gateways(), ElementsAre("g9"));
  EXPECT_THAT(r.unanswered_services(), ElementsAre("s2"));
}

}  // namespace
}  // namespace cable::service
