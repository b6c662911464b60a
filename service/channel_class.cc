#include "cable/service/channel_class.h"

#include <algorithm>
#include <array>
#include <stdexcept>
#include <utility>

#include "absl/strings/str_cat.h"

namespace cable::service {
namespace {

// Channel methods that must never be registered as actions.
constexpr std::array<absl::string_view, 17> kFrameworkMethods = {
    "subscribed",      "unsubscribed",        "perform",
    "stream_from",     "stream_for",          "stop_stream_from",
    "stop_stream_for", "stop_all_streams",    "transmit",
    "broadcast_to",    "broadcast_to_target", "reject",
    "params",          "connection",          "istate",
    "identifier",      "periodically"};

void CheckActionName(const std::string& channel, absl::string_view name) {
  if (name.empty()) {
    throw std::invalid_argument(
        absl::StrCat("channel ", channel, ": empty action name"));
  }
  if (std::find(kFrameworkMethods.begin(), kFrameworkMethods.end(), name) !=
      kFrameworkMethods.end()) {
    throw std::invalid_argument(
        absl::StrCat("channel ", channel, ": \"", name,
                     "\" is a framework method and cannot be an action"));
  }
}

}  // namespace

ChannelClass::ChannelClass(std::string name, Factory factory)
    : name_(std::move(name)),
      factory_(std::move(factory)),
      coder_(std::make_shared<JsonCoder>()) {
  if (name_.empty()) throw std::invalid_argument("empty channel name");
  if (!factory_)
    throw std::invalid_argument("channel " + name_ + ": no factory");
}

void ChannelClass::AddAction(std::string name, Action action) {
  CheckActionName(name_, name);
  if (!action || actions_.contains(name)) {
    throw std::invalid_argument(absl::StrCat(
        "channel ", name_, ": action \"", name, "\" registered twice or null"));
  }
  actions_.emplace(std::move(name), std::move(action));
}

void ChannelClass::AddTimer(std::string action,
                            std::chrono::milliseconds every) {
  if (!actions_.contains(action)) {
    throw std::invalid_argument(
        absl::StrCat("channel ", name_, ": periodically(\"", action,
                     "\") names an action that is not registered"));
  }
  AddTimer(std::move(action), every, nullptr);
}

void ChannelClass::AddTimer(std::string action, std::chrono::milliseconds every,
                            Action periodic) {
  CheckActionName(name_, action);
  if (every < std::chrono::milliseconds(1)) {
    throw std::invalid_argument(absl::StrCat("channel ", name_, ": timer \"",
                                             action, "\" period under 1 ms"));
  }
  if (FindPeriodicAction(action) != nullptr) {
    throw std::invalid_argument(absl::StrCat("channel ", name_, ": timer \"",
                                             action, "\" registered twice"));
  }
  if (periodic) periodic_only_.emplace(action, std::move(periodic));
  timers_.push_back(TimerSpec{std::move(action), every});
}

void ChannelClass::SetCoder(std::shared_ptr<const Coder> coder) {
  if (!coder) throw std::invalid_argument("channel " + name_ + ": null coder");
  coder_ = std::move(coder);
}

const ChannelClass::Action* ChannelClass::FindAction(
    absl::string_view name) const {
  auto it = actions_.find(name);
  return it == actions_.end() ? nullptr : &it->second;
}

const ChannelClass::Action* ChannelClass::FindPeriodicAction(
    absl::string_view name) const {
  const bool is_timer =
      std::any_of(timers_.begin(), timers_.end(),
                  [&](const TimerSpec& t) { return t.action == name; });
  if (!is_timer) return nullptr;
  auto it = periodic_only_.find(name);
  if (it != periodic_only_.end()) return &it->second;
  return FindAction(name);
}

std::unique_ptr<Channel> ChannelClass::Create(ChannelBinding binding) const {
  std::unique_ptr<Channel> channel = factory_();
  if (!channel) {
    throw std::runtime_error("channel " + name_ + ": factory returned null");
  }
  binding.channel_class = this;
  channel->Bind(std::move(binding));
  return channel;
}

}  // namespace cable::service
