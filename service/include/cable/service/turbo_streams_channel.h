#pragma once
// Turbo::StreamsChannel as turbo-rails defines it: subscribe with
// {"channel":"Turbo::StreamsChannel","signed_stream_name":S}; a valid S
// (see SignedStreamVerifier) streams from the name it carries, anything
// else is rejected.

#include <memory>
#include <utility>

#include "cable/service/channel.h"
#include "cable/service/signed_stream_verifier.h"

namespace cable::service {

class TurboStreamsChannel final : public Channel {
 public:
  static constexpr absl::string_view kName = "Turbo::StreamsChannel";

  explicit TurboStreamsChannel(
      std::shared_ptr<const SignedStreamVerifier> verifier)
      : verifier_(std::move(verifier)) {}

  void subscribed() override;

 private:
  std::shared_ptr<const SignedStreamVerifier> verifier_;
};

}  // namespace cable::service
