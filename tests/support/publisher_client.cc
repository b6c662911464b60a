#include "tests/support/publisher_client.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cable/v1/cable.grpc.pb.h"

namespace cable::testing {
namespace {

std::unique_ptr<v1::Publisher::Stub> Stub(int grpc_port) {
  return v1::Publisher::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", grpc_port),
                          grpc::InsecureChannelCredentials()));
}

absl::Status ToAbsl(const grpc::Status& s) {
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      s.error_message());
}

}  // namespace

absl::Status Broadcast(int grpc_port, const std::string& stream,
                       const std::string& data) {
  v1::BroadcastRequest request;
  request.set_stream(stream);
  request.set_data(data);
  v1::BroadcastResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  return ToAbsl(Stub(grpc_port)->Broadcast(&context, request, &response));
}

absl::Status BroadcastBatch(
    int grpc_port,
    const std::vector<std::pair<std::string, std::string>>& broadcasts) {
  v1::BroadcastBatchRequest request;
  for (const auto& [stream, data] : broadcasts) {
    auto* b = request.add_broadcasts();
    b->set_stream(stream);
    b->set_data(data);
  }
  v1::BroadcastResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(30));
  return ToAbsl(Stub(grpc_port)->BroadcastBatch(&context, request, &response));
}

absl::Status DisconnectClients(
    int grpc_port,
    const std::vector<std::pair<std::string, std::string>>& identifiers,
    bool reconnect) {
  v1::DisconnectClientsRequest request;
  for (const auto& [name, value] : identifiers) {
    (*request.mutable_identifiers())[name] = value;
  }
  request.set_reconnect(reconnect);
  v1::DisconnectClientsResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  return ToAbsl(Stub(grpc_port)->Disconnect(&context, request, &response));
}

absl::Status Transmit(int grpc_port, const std::string& sid,
                      const std::string& identifier, const std::string& data) {
  v1::TransmitRequest request;
  request.set_sid(sid);
  request.set_identifier(identifier);
  request.set_data(data);
  v1::TransmitResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  return ToAbsl(Stub(grpc_port)->Transmit(&context, request, &response));
}

absl::StatusOr<int> HealthStatus(int grpc_port) {
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", grpc_port),
                                     grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  // HealthCheckRequest{service: ""} encodes to zero bytes.
  grpc::Slice empty;
  grpc::ByteBuffer request(&empty, 1);
  auto call = stub.PrepareUnaryCall(&context, "/grpc.health.v1.Health/Check",
                                    request, &cq);
  call->StartCall();
  grpc::ByteBuffer response;
  grpc::Status status;
  call->Finish(&response, &status, reinterpret_cast<void*>(1));
  void* tag = nullptr;
  bool ok = false;
  if (!cq.Next(&tag, &ok) || !ok) {
    return absl::UnavailableError("health check did not complete");
  }
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  if (!status.ok()) return ToAbsl(status);
  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) return absl::DataLossError("no reply");
  std::string bytes;
  for (const auto& slice : slices) {
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  // HealthCheckResponse{status = 1}: field 1, varint.
  if (bytes.empty()) return 0;
  if (bytes.size() != 2 || bytes[0] != 0x08) {
    return absl::DataLossError("unexpected HealthCheckResponse");
  }
  return static_cast<int>(bytes[1]);
}

}  // namespace cable::testing
