#include "cable/service/broadcastable.h"

#include <utility>

namespace cable::service {

Broadcaster::Broadcaster(PubSub& pubsub, std::shared_ptr<const Coder> coder)
    : pubsub_(pubsub),
      coder_(coder ? std::move(coder) : std::make_shared<JsonCoder>()) {}

nlohmann::json Broadcaster::ActionPayload(absl::string_view action,
                                          absl::string_view target,
                                          const nlohmann::json* content) {
  nlohmann::json payload = {{"action", std::string(action)},
                            {"target", std::string(target)}};
  if (content != nullptr) payload["content"] = *content;
  return payload;
}

absl::Status Broadcaster::Publish(const std::string& stream,
                                  const nlohmann::json& message) {
  if (stream.empty()) {
    return absl::InvalidArgumentError("stream must not be empty");
  }
  return pubsub_.Broadcast(stream, coder_->encode(message));
}

}  // namespace cable::service
