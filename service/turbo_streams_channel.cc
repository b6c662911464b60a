#include "cable/service/turbo_streams_channel.h"

#include "spdlog/spdlog.h"

namespace cable::service {

void TurboStreamsChannel::subscribed() {
  auto signed_name = params().find("signed_stream_name");
  if (signed_name == params().end() || !signed_name->is_string()) {
    reject();
    return;
  }
  absl::StatusOr<std::string> stream =
      verifier_->Verify(signed_name->get_ref<const std::string&>());
  if (!stream.ok()) {
    spdlog::debug("Turbo::StreamsChannel rejected: {}",
                  stream.status().ToString());
    reject();
    return;
  }
  stream_from(*stream);
}

}  // namespace cable::service
