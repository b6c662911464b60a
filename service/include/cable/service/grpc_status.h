#pragma once
// The one place absl::Status becomes grpc::Status (the codes are the same).

#include <grpcpp/server_context.h>
#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace cable::service {

grpc::Status ToGrpcStatus(const absl::Status& status);

class ApiAccess;

// `access`'s verdict on the call's `authorization` metadata.
absl::Status CheckAccess(const ApiAccess& access,
                         const grpc::CallbackServerContext& context);

// Ends a unary callback call at once with `status`.
grpc::ServerUnaryReactor* FinishUnary(grpc::CallbackServerContext* context,
                                      const absl::Status& status);

}  // namespace cable::service
