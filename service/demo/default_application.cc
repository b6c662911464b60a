#include "cable/service/demo/default_application.h"

#include "cable/service/app_connection.h"
#include "cable/service/demo/chat_channel.h"
#include "cable/service/demo/presence_channel.h"
#include "cable/service/signed_stream_verifier.h"
#include "cable/service/turbo_streams_channel.h"

namespace cable::service {

std::unique_ptr<Application> MakeDefaultApplication(
    const DefaultApplicationOptions& options) {
  auto app = std::make_unique<Application>();
  app->set_connection([secret = options.jwt_secret] {
       return std::make_unique<AppConnection>(secret);
     })
      .identified_by({std::string(AppConnection::kCurrentUser)});

  app->Add<ChatChannel>("ChatChannel")
      .action("speak", &ChatChannel::speak)
      .presence();
  app->Add<PresenceChannel>("PresenceChannel")
      .periodically("ping", &PresenceChannel::ping,
                    options.presence_ping_interval);
  auto verifier =
      std::make_shared<const SignedStreamVerifier>(options.streams_secret);
  app->Add<TurboStreamsChannel>(
      std::string(TurboStreamsChannel::kName),
      [verifier] { return std::make_unique<TurboStreamsChannel>(verifier); });
  return app;
}

}  // namespace cable::service
