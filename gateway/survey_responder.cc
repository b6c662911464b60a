#include "cable/gateway/survey_responder.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "cable/gateway/hub.h"
#include "cable/pubsub.h"
#include "cable/stream_glob.h"
#include "cable/version.h"

namespace cable::gateway {

SurveyResponder::SurveyResponder(std::string gateway_id, const Hub& hub,
                                 PubSub& control,
                                 std::function<std::uint64_t()> connections)
    : gateway_id_(std::move(gateway_id)),
      hub_(hub),
      control_(control),
      connections_(std::move(connections)),
      thread_([this] { Run(); }) {}

SurveyResponder::~SurveyResponder() { Stop(); }

void SurveyResponder::Enqueue(internal::v1::Survey survey) {
  absl::MutexLock lock(&mu_);
  if (stopping_) return;
  if (queue_.size() >= kMaxQueued) {
    spdlog::warn("gateway {}: {} surveys waiting, one dropped", gateway_id_,
                 queue_.size());
    return;
  }
  queue_.push_back(std::move(survey));
}

void SurveyResponder::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    queue_.clear();
  }
  if (thread_.joinable()) thread_.join();
}

void SurveyResponder::Run() {
  while (true) {
    internal::v1::Survey survey;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || !queue_.empty();
      };
      mu_.Await(absl::Condition(&ready));
      if (stopping_) return;
      survey = std::move(queue_.front());
      queue_.pop_front();
    }
    internal::v1::ControlMessage message;
    *message.mutable_survey_reply() = Answer(survey);
    absl::Status sent =
        control_.Broadcast(survey.reply_stream(), message.SerializeAsString());
    if (!sent.ok()) {
      spdlog::warn("gateway {}: answering a survey: {}", gateway_id_,
                   sent.ToString());
    }
  }
}

internal::v1::SurveyReply SurveyResponder::Answer(
    const internal::v1::Survey& survey) const {
  internal::v1::SurveyReply reply;
  reply.set_gateway_id(gateway_id_);
  if (survey.has_channels()) {
    const std::string& pattern = survey.channels().pattern();
    const std::uint32_t asked = survey.channels().limit();
    const std::uint32_t limit =
        asked == 0 ? kMaxStreams : std::min(asked, kMaxStreams);
    bool truncated = false;
    // The service checked the pattern; a bad one (another version's)
    // matches by fnmatch's own reading rather than failing here.
    auto counts = hub_.Counts(
        [&pattern](absl::string_view name) {
          return MatchesStreamGlob(pattern, name);
        },
        limit, &truncated);
    reply.set_truncated(truncated);
    for (auto& count : counts) {
      auto* entry = reply.add_streams();
      entry->set_stream(std::move(count.stream));
      entry->set_subscribers(count.subscribers);
    }
  } else if (survey.has_info()) {
    const Hub::Totals totals = hub_.totals();
    auto* info = reply.mutable_gateway();
    info->set_id(gateway_id_);
    info->set_connections(connections_());
    info->set_subscriptions(totals.subscriptions);
    info->set_streams(totals.streams);
    info->set_version(std::string(Version()));
    info->set_uptime_seconds(static_cast<std::uint64_t>(
        absl::ToInt64Seconds(absl::Now() - started_)));
  }
  return reply;
}

}  // namespace cable::gateway
