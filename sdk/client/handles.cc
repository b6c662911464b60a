// cable::Channel and cable::Subscription: thin handles over the Session.

#include <utility>

#include "cable/client_channel.h"
#include "cable/client_subscription.h"
#include "session.h"

namespace cable {

Channel::Channel(std::shared_ptr<client_internal::Session> session,
                 std::shared_ptr<client_internal::ChannelRecord> record)
    : session_(std::move(session)), record_(std::move(record)) {}

Channel::~Channel() = default;

const std::string& Channel::name() const { return record_->name; }

const std::string& Channel::identifier() const { return record_->identifier; }

absl::Status Channel::do_action(absl::string_view action,
                                nlohmann::json payload) const {
  return session_->DoAction(*record_, action, std::move(payload));
}

std::future<absl::StatusOr<nlohmann::json>> Channel::do_request(
    absl::string_view request, nlohmann::json payload) const {
  return session_->DoRequest(*record_, request, std::move(payload));
}

void Channel::leave() const { session_->Leave(*record_); }

std::optional<nlohmann::json> Channel::state() const {
  return session_->View(*record_, /*with_state=*/true).state;
}

std::uint64_t Channel::revision() const {
  return session_->View(*record_, /*with_state=*/false).revision;
}

std::uint64_t Channel::last_event_id() const {
  return session_->View(*record_, /*with_state=*/false).last_event_id;
}

bool Channel::joined() const {
  return session_->View(*record_, /*with_state=*/false).joined;
}

Subscription::Subscription(
    std::shared_ptr<client_internal::Session> session,
    std::shared_ptr<client_internal::SubscriptionRecord> record)
    : session_(std::move(session)), record_(std::move(record)) {}

Subscription::~Subscription() = default;

const std::string& Subscription::identifier() const {
  return record_->identifier;
}

absl::Status Subscription::perform(absl::string_view action,
                                   nlohmann::json data) const {
  return session_->Perform(*record_, action, std::move(data));
}

void Subscription::unsubscribe() const { session_->Unsubscribe(*record_); }

bool Subscription::confirmed() const { return session_->Confirmed(*record_); }

}  // namespace cable
