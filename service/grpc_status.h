#pragma once
// The one place absl::Status becomes grpc::Status (the codes are the same).

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace cable::service {

grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace cable::service
