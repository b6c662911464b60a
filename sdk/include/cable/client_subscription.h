#pragma once
// cable::Subscription: an Action Cable channel subscription (subscribe,
// perform, received), made by cable::Client::subscribe; what
// @rails/actioncable's consumer.subscriptions.create gives in JavaScript.

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace cable {

namespace client_internal {
class Session;
struct SubscriptionRecord;
}  // namespace client_internal

// What a subscription reports. Each may be empty; all run on the client's
// I/O thread (see cable::Client).
struct SubscriptionCallbacks {
  // confirm_subscription: after the first subscribe and after every
  // resubscribe that follows a reconnect.
  std::function<void()> connected{};
  // reject_subscription. The subscription is then dropped (as the Rails
  // client does): it is not retried and perform() fails.
  std::function<void()> rejected{};
  // A data message: `message` of {"identifier":…,"message":…}.
  std::function<void(const nlohmann::json& message)> received{};
  // The connection of a confirmed subscription was lost; the client
  // resubscribes once it is back (unless it was closed).
  std::function<void()> disconnected{};
};

// A handle on one subscription. Copies share it. Every method is
// thread-safe. It lasts until unsubscribe(), a rejection or Client::close();
// dropping the handle does not unsubscribe.
class Subscription final {
 public:
  Subscription(const Subscription&) = default;
  Subscription& operator=(const Subscription&) = default;
  Subscription(Subscription&&) noexcept = default;
  Subscription& operator=(Subscription&&) noexcept = default;
  ~Subscription();

  // The identifier exactly as subscribed (and as the server echoes it).
  const std::string& identifier() const;

  // Calls the channel's action: sends `message` with data = `data` plus
  // "action": action (`data` must be an object or null). Before the
  // subscribe is sent on the current connection, commands wait (bounded)
  // and go right after it. Errors: InvalidArgument for a non-object `data`,
  // FailedPrecondition after unsubscribe(), a rejection or close(),
  // ResourceExhausted when too many commands wait.
  absl::Status perform(absl::string_view action,
                       nlohmann::json data = nullptr) const;

  // Unsubscribes; no callback of it runs once this has returned on the
  // client's thread. Idempotent.
  void unsubscribe() const;

  // True between confirm_subscription and the loss of the connection.
  bool confirmed() const;

 private:
  friend class Client;
  Subscription(std::shared_ptr<client_internal::Session> session,
               std::shared_ptr<client_internal::SubscriptionRecord> record);

  std::shared_ptr<client_internal::Session> session_;
  std::shared_ptr<client_internal::SubscriptionRecord> record_;
};

}  // namespace cable
