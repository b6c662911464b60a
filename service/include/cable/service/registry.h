#pragma once
// An application: its connection class and its channels by name (the value
// of the "channel" key of a subscription identifier). Built once at startup,
// then shared read-only by every call.

#include <concepts>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "cable/service/channel.h"
#include "cable/service/channel_class.h"
#include "cable/service/connection.h"

namespace cable::service {

class Application final {
 public:
  Application() = default;
  Application(const Application&) = delete;
  Application& operator=(const Application&) = delete;

  // Registers channel class T under `name` (e.g. "ChatChannel"), built with
  // `factory` (default: `std::make_unique<T>()`). Throws
  // std::invalid_argument for a duplicate or empty name.
  template <std::derived_from<Channel> T>
  requires std::default_initializable<T> ChannelClassBuilder<T> Add(
      std::string name) {
    return Add<T>(std::move(name), [] { return std::make_unique<T>(); });
  }
  template <std::derived_from<Channel> T, typename Factory>
  ChannelClassBuilder<T> Add(std::string name, Factory factory) {
    return ChannelClassBuilder<T>(AddChannel(
        std::move(name),
        [factory = std::move(factory)]() -> std::unique_ptr<Channel> {
          std::unique_ptr<T> channel = factory();
          return channel;
        }));
  }

  // Sets the connection class (default: plain `Connection`, which accepts
  // everyone). Returns it for `.identified_by({...})`.
  ConnectionClass& set_connection(ConnectionClass::Factory factory);
  template <std::derived_from<Connection> T>
  ConnectionClass& set_connection() {
    return set_connection([] { return std::make_unique<T>(); });
  }

  // Null when no channel is registered under `name`.
  const ChannelClass* FindChannel(absl::string_view name) const;
  const ConnectionClass& connection_class() const { return connection_class_; }
  std::vector<std::string> ChannelNames() const;

 private:
  ChannelClass& AddChannel(std::string name, ChannelClass::Factory factory);

  ConnectionClass connection_class_;
  std::map<std::string, std::unique_ptr<ChannelClass>, std::less<>> channels_;
};

}  // namespace cable::service
