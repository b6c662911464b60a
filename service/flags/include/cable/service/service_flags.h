#pragma once

#include "absl/status/statusor.h"
#include "cable/service/demo/default_application.h"
#include "cable/service/service_server.h"

namespace cable::service {

// The service's flags (--grpc_port, --grpc_host, --streams_secret,
// --jwt_secret), read after absl::ParseCommandLine. `default_host` is used
// when --grpc_host is empty. Shared by cable-service and cable-server.
// `default_internal_port` applies when --internal_port is not given (-1:
// in process only). INVALID_ARGUMENT or NOT_FOUND for a bad port or an
// unreadable key file.
absl::StatusOr<ServiceServerOptions> ServiceServerOptionsFromFlags(
    const std::string& default_host, int default_internal_port);

// --streams_secret and --jwt_secret for the demo application.
DefaultApplicationOptions DefaultApplicationOptionsFromFlags();

// The demo application (service/demo/) the shipped mains serve.
ServiceApplication DemoApplicationFromFlags();

// Says loudly at start which of the server's APIs anyone can call.
void WarnWhereOpen(const ServiceServer& server);

}  // namespace cable::service
