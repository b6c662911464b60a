#include "service/service_flags.h"

#include <string>

#include "absl/flags/flag.h"

ABSL_FLAG(int, grpc_port, 50051,
          "gRPC port of the Cable and Publisher APIs (0 picks a free port; "
          "the bound port is logged).");
ABSL_FLAG(std::string, grpc_host, "",
          "Address the gRPC listener binds to (default: --host).");
ABSL_FLAG(std::string, streams_secret, "",
          "Key verifying Turbo::StreamsChannel signed stream names "
          "(turbo-rails' signed_stream_verifier_key); empty rejects every "
          "signed name.");
ABSL_FLAG(std::string, jwt_secret, "",
          "HS256 key for connection tokens (?token= or Authorization: "
          "Bearer); empty accepts every connection.");

namespace cable::service {

ServiceServerOptions ServiceServerOptionsFromFlags(
    const std::string& default_host) {
  ServiceServerOptions o;
  o.host = absl::GetFlag(FLAGS_grpc_host);
  if (o.host.empty()) o.host = default_host;
  o.port = absl::GetFlag(FLAGS_grpc_port);
  o.application.streams_secret = absl::GetFlag(FLAGS_streams_secret);
  o.application.jwt_secret = absl::GetFlag(FLAGS_jwt_secret);
  return o;
}

}  // namespace cable::service
