#include "cable/service/survey.h"

#include <algorithm>
#include <map>
#include <utility>

namespace cable::service {

Responder ResponderOf(const internal::v1::SurveyReply& reply) {
  switch (reply.from_case()) {
    case internal::v1::SurveyReply::kGatewayId:
      return {Responder::Role::kGateway, reply.gateway_id()};
    case internal::v1::SurveyReply::kServiceId:
      return {Responder::Role::kService, reply.service_id()};
    default:
      return {};
  }
}

SurveyGatherer::SurveyGatherer(std::set<Responder> expected, Done done)
    : expected_(std::move(expected)), done_(std::move(done)) {}

void SurveyGatherer::Sent() {
  Done done;
  absl::StatusOr<SurveyResult> result;
  {
    absl::MutexLock lock(&mu_);
    sent_ = true;
    done = TakeIfComplete();
    if (done) result = Result();
  }
  if (done) std::move(done)(std::move(result));
}

void SurveyGatherer::Offer(internal::v1::SurveyReply reply) {
  Responder from = ResponderOf(reply);
  if (from.id.empty()) return;
  Done done;
  absl::StatusOr<SurveyResult> result;
  {
    absl::MutexLock lock(&mu_);
    if (!done_ || !answered_.insert(std::move(from)).second) return;
    replies_.push_back(std::move(reply));
    done = TakeIfComplete();
    if (done) result = Result();
  }
  if (done) std::move(done)(std::move(result));
}

void SurveyGatherer::Expire() {
  Done done;
  absl::StatusOr<SurveyResult> result;
  {
    absl::MutexLock lock(&mu_);
    expired_ = true;
    done = TakeIfComplete();
    if (done) result = Result();
  }
  if (done) std::move(done)(std::move(result));
}

void SurveyGatherer::Abort(absl::Status status) {
  Done done;
  {
    absl::MutexLock lock(&mu_);
    done = std::move(done_);
    done_ = nullptr;
  }
  if (done) std::move(done)(std::move(status));
}

bool SurveyGatherer::done() const {
  absl::MutexLock lock(&mu_);
  return !done_;
}

SurveyGatherer::Done SurveyGatherer::TakeIfComplete() {
  if (!done_) return nullptr;
  const bool all = std::includes(answered_.begin(), answered_.end(),
                                 expected_.begin(), expected_.end());
  if (!expired_ && !(sent_ && all)) return nullptr;
  Done done = std::move(done_);
  done_ = nullptr;
  return done;
}

SurveyResult SurveyGatherer::Result() {
  SurveyResult result;
  std::set_difference(expected_.begin(), expected_.end(), answered_.begin(),
                      answered_.end(), std::back_inserter(result.unanswered));
  result.replies = std::move(replies_);
  std::sort(result.replies.begin(), result.replies.end(),
            [](const auto& a, const auto& b) {
              return ResponderOf(a) < ResponderOf(b);
            });
  return result;
}

v1::ChannelsResponse MergeChannels(SurveyResult result, std::size_t limit) {
  v1::ChannelsResponse response;
  std::map<std::string, std::uint64_t> counts;
  bool truncated = false;
  for (auto& reply : result.replies) {
    truncated = truncated || reply.truncated();
    for (auto& entry : *reply.mutable_streams()) {
      counts[std::move(*entry.mutable_stream())] += entry.subscribers();
    }
  }
  for (auto& [stream, subscribers] : counts) {
    if (static_cast<std::size_t>(response.streams_size()) == limit) {
      truncated = true;
      break;
    }
    auto* entry = response.add_streams();
    entry->set_stream(stream);
    entry->set_subscribers(subscribers);
  }
  response.set_truncated(truncated);
  for (auto& who : result.unanswered) {
    if (who.role == Responder::Role::kGateway) {
      response.add_unanswered_gateways(std::move(who.id));
    }
  }
  return response;
}

v1::InfoResponse MergeInfo(SurveyResult result, absl::string_view version) {
  v1::InfoResponse response;
  response.set_version(std::string(version));
  std::uint64_t connections = 0;
  for (auto& reply : result.replies) {
    if (reply.has_gateway()) {
      connections += reply.gateway().connections();
      *response.add_gateways() = std::move(*reply.mutable_gateway());
    } else if (reply.has_service()) {
      *response.add_services() = std::move(*reply.mutable_service());
    }
  }
  response.set_connections(connections);
  for (auto& who : result.unanswered) {
    if (who.role == Responder::Role::kGateway) {
      response.add_unanswered_gateways(std::move(who.id));
    } else {
      response.add_unanswered_services(std::move(who.id));
    }
  }
  return response;
}

}  // namespace cable::service
