#pragma once
// Broadcasting from models (seed: Broadcastable): publish updates to a
// stream through the PubSub the Broadcaster was built with.
//
// A `streamable` is a stream name or a Broadcastable model, which streams to
// its broadcasting_id() (see broadcasting.h). Payloads:
//   broadcast_append_to  {"action":"append","target":T,"content":C}
//   broadcast_replace_to {"action":"replace","target":T,"content":C}
//   broadcast_remove_to  {"action":"remove","target":T}
//   broadcast_to         any JSON value

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "cable/coder.h"
#include "cable/pubsub.h"
#include "cable/service/broadcasting.h"

namespace cable::service {

class Broadcaster final {
 public:
  // `pubsub` must outlive the Broadcaster. Payloads are encoded with
  // `coder` (default JsonCoder).
  explicit Broadcaster(PubSub& pubsub,
                       std::shared_ptr<const Coder> coder = nullptr);

  template <Streamable S>
  absl::Status broadcast_to(const S& streamable,
                            const nlohmann::json& message) {
    return Publish(StreamNameOf(streamable), message);
  }
  template <Streamable S>
  absl::Status broadcast_append_to(const S& streamable,
                                   absl::string_view target,
                                   const nlohmann::json& content) {
    return Publish(StreamNameOf(streamable),
                   ActionPayload("append", target, &content));
  }
  template <Streamable S>
  absl::Status broadcast_replace_to(const S& streamable,
                                    absl::string_view target,
                                    const nlohmann::json& content) {
    return Publish(StreamNameOf(streamable),
                   ActionPayload("replace", target, &content));
  }
  template <Streamable S>
  absl::Status broadcast_remove_to(const S& streamable,
                                   absl::string_view target) {
    return Publish(StreamNameOf(streamable),
                   ActionPayload("remove", target, nullptr));
  }

 private:
  static nlohmann::json ActionPayload(absl::string_view action,
                                      absl::string_view target,
                                      const nlohmann::json* content);
  absl::Status Publish(const std::string& stream,
                       const nlohmann::json& message);

  PubSub& pubsub_;
  std::shared_ptr<const Coder> coder_;
};

}  // namespace cable::service
