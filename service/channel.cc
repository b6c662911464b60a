#include "cable/service/channel.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cable/protocol.h"
#include "cable/service/channel_class.h"
#include "spdlog/spdlog.h"

namespace cable::service {
namespace {

bool Contains(const std::vector<std::string>& v, absl::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

void Erase(std::vector<std::string>& v, absl::string_view s) {
  v.erase(std::remove(v.begin(), v.end(), s), v.end());
}

}  // namespace

void Channel::Bind(ChannelBinding binding) {
  binding_ = std::move(binding);
  live_streams_ = binding_.streams;
}

absl::Status Channel::perform(absl::string_view action,
                              const nlohmann::json& data) {
  const ChannelClass::Action* run = binding_.channel_class->FindAction(action);
  if (run == nullptr) {
    return absl::NotFoundError(absl::StrCat("unknown action \"", action,
                                            "\" for channel \"", name(), "\""));
  }
  (*run)(*this, data);
  return absl::OkStatus();
}

const std::string& Channel::name() const {
  return binding_.channel_class->name();
}

const Coder& Channel::coder() const { return binding_.channel_class->coder(); }

void Channel::stream_from(absl::string_view stream,
                          std::shared_ptr<const Coder> coder) {
  if (coder) stream_coders_[std::string(stream)] = std::move(coder);
  if (Contains(live_streams_, stream)) return;
  live_streams_.emplace_back(stream);
  Erase(effects_.stopped_streams, stream);
  effects_.started_streams.emplace_back(stream);
}

void Channel::stop_stream_from(absl::string_view stream) {
  if (!Contains(live_streams_, stream)) return;
  Erase(live_streams_, stream);
  if (Contains(effects_.started_streams, stream)) {
    Erase(effects_.started_streams, stream);
  } else if (!effects_.stop_all_streams) {
    effects_.stopped_streams.emplace_back(stream);
  }
}

void Channel::stop_all_streams() {
  live_streams_.clear();
  effects_.started_streams.clear();
  effects_.stopped_streams.clear();
  effects_.stop_all_streams = true;
}

void Channel::transmit(const nlohmann::json& message) {
  effects_.transmissions.push_back(protocol::DataFrame(
      binding_.identifier, protocol::MessageJson(coder().encode(message))));
}

void Channel::broadcast_to(absl::string_view stream,
                           const nlohmann::json& message) {
  auto it = stream_coders_.find(stream);
  const Coder& stream_coder =
      it != stream_coders_.end() ? *it->second : coder();
  absl::Status status =
      binding_.pubsub->Broadcast(stream, stream_coder.encode(message));
  if (!status.ok()) {
    spdlog::warn("channel {}: broadcast to \"{}\" failed: {}", name(),
                 std::string(stream), status.ToString());
  }
}

}  // namespace cable::service
