#pragma once

#include "cable/service/demo/default_application.h"
#include "cable/service/service_server.h"

namespace cable::service {

// The service's flags (--grpc_port, --grpc_host, --streams_secret,
// --jwt_secret), read after absl::ParseCommandLine. `default_host` is used
// when --grpc_host is empty. Shared by cable-service and cable-server.
ServiceServerOptions ServiceServerOptionsFromFlags(
    const std::string& default_host);

// --streams_secret and --jwt_secret for the demo application.
DefaultApplicationOptions DefaultApplicationOptionsFromFlags();

// The demo application (service/demo/) the shipped mains serve.
ServiceApplication DemoApplicationFromFlags();

}  // namespace cable::service
