#include "cable/service/registry.h"

#include <stdexcept>

namespace cable::service {

ConnectionClass& Application::set_connection(ConnectionClass::Factory factory) {
  connection_class_ = ConnectionClass(std::move(factory));
  return connection_class_;
}

const ChannelClass* Application::FindChannel(absl::string_view name) const {
  auto it = channels_.find(name);
  return it == channels_.end() ? nullptr : it->second.get();
}

std::vector<std::string> Application::ChannelNames() const {
  std::vector<std::string> names;
  names.reserve(channels_.size());
  for (const auto& [name, channel_class] : channels_) names.push_back(name);
  return names;
}

ChannelClass& Application::AddChannel(std::string name,
                                      ChannelClass::Factory factory) {
  if (channels_.contains(name)) {
    throw std::invalid_argument("channel \"" + name + "\" registered twice");
  }
  auto channel_class = std::make_unique<ChannelClass>(name, std::move(factory));
  ChannelClass& ref = *channel_class;
  channels_.emplace(std::move(name), std::move(channel_class));
  return ref;
}

}  // namespace cable::service
