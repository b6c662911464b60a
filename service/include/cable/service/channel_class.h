#pragma once
// A registered channel (the registry entry): its name, how to build it, the
// actions a client may run (the allow-list), its periodic timers and coder.
// Built at startup through ChannelClassBuilder, read-only afterwards, so any
// number of calls may use it concurrently.

#include <chrono>
#include <concepts>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/strings/string_view.h"
#include "cable/coder.h"
#include "cable/service/channel.h"

namespace cable::service {

// A periodic timer the gateway runs for each subscription (seed:
// `periodically`).
struct TimerSpec {
  std::string action;
  std::chrono::milliseconds every;
};

class ChannelClass final {
 public:
  using Factory = std::function<std::unique_ptr<Channel>()>;
  using Action = std::function<void(Channel&, const nlohmann::json& data)>;

  ChannelClass(std::string name, Factory factory);

  const std::string& name() const { return name_; }
  const Coder& coder() const { return *coder_; }

  // Registration; wiring mistakes (empty or duplicate names, names of
  // framework methods, a timer for an unknown action, a period under 1 ms)
  // throw std::invalid_argument at startup.
  void AddAction(std::string name, Action action);
  // A timer running the registered action `action`.
  void AddTimer(std::string action, std::chrono::milliseconds every);
  // A timer running `periodic`, which clients cannot call as an action.
  void AddTimer(std::string action, std::chrono::milliseconds every,
                Action periodic);
  void SetCoder(std::shared_ptr<const Coder> coder);
  // Extended-protocol subscribers may join the presence set of the
  // subscription's first stream (docs/protocol.md, "Presence").
  void EnablePresence() { presence_ = true; }
  bool presence() const { return presence_; }

  // Null when `name` is not a registered action.
  const Action* FindAction(absl::string_view name) const;
  // Null when no timer of this channel runs `name`.
  const Action* FindPeriodicAction(absl::string_view name) const;
  const std::vector<TimerSpec>& timers() const { return timers_; }

  // A fresh channel bound to `binding` (its channel_class is set to this).
  std::unique_ptr<Channel> Create(ChannelBinding binding) const;

 private:
  std::string name_;
  Factory factory_;
  std::shared_ptr<const Coder> coder_;
  std::map<std::string, Action, std::less<>> actions_;
  std::map<std::string, Action, std::less<>> periodic_only_;
  std::vector<TimerSpec> timers_;
  bool presence_ = false;
};

// Typed registration for channel class T:
//   app.add<ChatChannel>("ChatChannel")
//       .action("speak", &ChatChannel::speak)
//       .periodically("ping", std::chrono::seconds(3));
// An action is `void (T::*)(const nlohmann::json& data)` or `void (T::*)()`.
template <std::derived_from<Channel> T>
class ChannelClassBuilder final {
 public:
  explicit ChannelClassBuilder(ChannelClass& channel_class)
      : channel_class_(channel_class) {}

  template <typename Method>
  ChannelClassBuilder& action(std::string name, Method method) {
    channel_class_.AddAction(std::move(name), Wrap(method));
    return *this;
  }

  // Runs the registered action `action` every `every`.
  ChannelClassBuilder& periodically(std::string action,
                                    std::chrono::milliseconds every) {
    channel_class_.AddTimer(std::move(action), every);
    return *this;
  }

  // Runs `method` every `every`; clients cannot call it as an action.
  template <typename Method>
  ChannelClassBuilder& periodically(std::string action, Method method,
                                    std::chrono::milliseconds every) {
    channel_class_.AddTimer(std::move(action), every, Wrap(method));
    return *this;
  }

  // AnyCable's presence for this channel's subscriptions: an
  // extended-protocol client joins the presence set of the first stream the
  // channel streams from in `subscribed`, and gets its join and leave
  // events (docs/protocol.md, "Presence").
  ChannelClassBuilder& presence() {
    channel_class_.EnablePresence();
    return *this;
  }

  ChannelClassBuilder& coder(std::shared_ptr<const Coder> coder) {
    channel_class_.SetCoder(std::move(coder));
    return *this;
  }

 private:
  template <typename Method>
  static ChannelClass::Action Wrap(Method method) {
    static_assert(std::is_member_function_pointer_v<Method>,
                  "an action is a member function of the channel");
    static_assert(std::is_invocable_v<Method, T&, const nlohmann::json&> ||
                      std::is_invocable_v<Method, T&>,
                  "an action is void (T::*)(const nlohmann::json&) or "
                  "void (T::*)()");
    return [method](Channel& channel, const nlohmann::json& data) {
      // The ChannelClass only ever builds T, so the downcast is safe.
      T& self = static_cast<T&>(channel);
      if constexpr (std::is_invocable_v<Method, T&, const nlohmann::json&>) {
        std::invoke(method, self, data);
      } else {
        (void)data;
        std::invoke(method, self);
      }
    };
  }

  ChannelClass& channel_class_;
};

}  // namespace cable::service
