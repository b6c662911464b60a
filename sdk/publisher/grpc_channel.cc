#include "grpc_channel.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <algorithm>
#include <limits>

#include "absl/status/status.h"

namespace cable::publisher_internal {
namespace {

int ClampToInt(long long value) {
  return static_cast<int>(
      std::clamp<long long>(value, 0, std::numeric_limits<int>::max()));
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(
    const PublisherOptions& options) {
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (options.tls) {
    const TlsOptions& tls = *options.tls;
    if (tls.client_cert_pem.empty() != tls.client_key_pem.empty()) {
      return absl::InvalidArgumentError(
          "TLS client certificate and key go together: give both or neither");
    }
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = tls.root_ca_pem;
    ssl.pem_cert_chain = tls.client_cert_pem;
    ssl.pem_private_key = tls.client_key_pem;
    credentials = grpc::SslCredentials(ssl);
  } else {
    credentials = grpc::InsecureChannelCredentials();
  }
  grpc::ChannelArguments args;
  const int max_bytes =
      ClampToInt(static_cast<long long>(options.max_message_bytes));
  args.SetMaxReceiveMessageSize(max_bytes);
  args.SetMaxSendMessageSize(max_bytes);
  // Between calls gRPC reconnects on its own; pace it like the retry
  // policy (a call in progress starts its attempts itself, see Caller).
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS,
              ClampToInt(options.retry.initial_backoff.count()));
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS,
              ClampToInt(options.retry.max_backoff.count()));
  return grpc::CreateCustomChannel(options.target, credentials, args);
}

}  // namespace cable::publisher_internal
