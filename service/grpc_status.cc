#include "cable/service/grpc_status.h"

#include <string>

#include "cable/service/api_access.h"

namespace cable::service {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()));
}

absl::Status CheckAccess(const ApiAccess& access,
                         const grpc::CallbackServerContext& context) {
  if (access.Open()) return absl::OkStatus();
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) return access.Check(std::nullopt);
  return access.Check(absl::string_view(it->second.data(), it->second.size()));
}

grpc::ServerUnaryReactor* FinishUnary(grpc::CallbackServerContext* context,
                                      const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

}  // namespace cable::service
