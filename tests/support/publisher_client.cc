#include "tests/support/publisher_client.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cable/v1/publisher.grpc.pb.h"

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

absl::StatusOr<v1::BroadcastResponse> BroadcastWithResponse(
    int grpc_port, const std::string& stream, const std::string& data) {
  v1::BroadcastRequest request;
  request.set_stream(stream);
  request.set_data(data);
  v1::BroadcastResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  if (absl::Status s =
          ToAbsl(Stub(grpc_port)->Broadcast(&context, request, &response));
      !s.ok()) {
    return s;
  }
  return response;
}

absl::Status Broadcast(int grpc_port, const std::string& stream,
                       const std::string& data) {
  return BroadcastWithResponse(grpc_port, stream, data).status();
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

absl::StatusOr<v1::ChannelsResponse> Channels(int grpc_port,
                                              const std::string& pattern) {
  v1::ChannelsRequest request;
  request.set_pattern(pattern);
  v1::ChannelsResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  grpc::Status status = Stub(grpc_port)->Channels(&context, request, &response);
  if (!status.ok()) return ToAbsl(status);
  return response;
}

absl::StatusOr<v1::InfoResponse> Info(int grpc_port) {
  v1::InfoResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  grpc::Status status =
      Stub(grpc_port)->Info(&context, v1::InfoRequest(), &response);
  if (!status.ok()) return ToAbsl(status);
  return response;
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

struct StatePublisher::Impl {
  std::unique_ptr<v1::Publisher::Stub> stub;

  template <class Req, class Resp, class Call>
  absl::StatusOr<Resp> Unary(const Req& request, Call call) {
    Resp response;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(30));
    grpc::Status status = (stub.get()->*call)(&context, request, &response);
    if (!status.ok()) return ToAbsl(status);
    return response;
  }
};

StatePublisher::StatePublisher(int grpc_port)
    : impl_(std::make_unique<Impl>()) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(128 * 1024 * 1024);
  args.SetMaxSendMessageSize(128 * 1024 * 1024);
  impl_->stub = v1::Publisher::NewStub(
      grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", grpc_port),
                                grpc::InsecureChannelCredentials(), args));
}

StatePublisher::~StatePublisher() = default;

absl::StatusOr<bool> StatePublisher::CreateChannel(
    const std::string& name, const std::string& state_json, bool keep_events,
    const std::string& type) {
  v1::CreateChannelRequest request;
  request.set_name(name);
  request.set_state(state_json);
  request.set_type(type);
  request.set_no_events(!keep_events);
  auto response =
      impl_->Unary<v1::CreateChannelRequest, v1::CreateChannelResponse>(
          request, &v1::Publisher::Stub::CreateChannel);
  if (!response.ok()) return response.status();
  return response->created();
}

absl::StatusOr<v1::GetStateResponse> StatePublisher::GetState(
    const std::string& name) {
  v1::GetStateRequest request;
  request.set_name(name);
  return impl_->Unary<v1::GetStateRequest, v1::GetStateResponse>(
      request, &v1::Publisher::Stub::GetState);
}

absl::StatusOr<v1::UpdateStateResponse> StatePublisher::UpdateState(
    const std::string& name, std::uint64_t expected_revision,
    std::optional<std::string> state_json,
    const std::vector<std::string>& events) {
  v1::UpdateStateRequest request;
  request.set_name(name);
  request.set_expected_revision(expected_revision);
  if (state_json) request.set_state(*state_json);
  for (const auto& e : events) request.add_events(e);
  return impl_->Unary<v1::UpdateStateRequest, v1::UpdateStateResponse>(
      request, &v1::Publisher::Stub::UpdateState);
}

absl::StatusOr<std::uint64_t> StatePublisher::DeleteEvents(
    const std::string& name, std::optional<std::uint64_t> keep_num,
    std::optional<std::uint64_t> keep_duration_ms) {
  v1::DeleteEventsRequest request;
  request.set_name(name);
  if (keep_num) request.set_keep_num(*keep_num);
  if (keep_duration_ms) request.set_keep_duration_ms(*keep_duration_ms);
  auto response =
      impl_->Unary<v1::DeleteEventsRequest, v1::DeleteEventsResponse>(
          request, &v1::Publisher::Stub::DeleteEvents);
  if (!response.ok()) return response.status();
  return response->deleted();
}

absl::StatusOr<std::vector<std::string>> StatePublisher::ListChannels(
    std::optional<std::string> type) {
  v1::ListChannelsRequest request;
  if (type) request.set_type(*type);
  auto response =
      impl_->Unary<v1::ListChannelsRequest, v1::ListChannelsResponse>(
          request, &v1::Publisher::Stub::ListChannels);
  if (!response.ok()) return response.status();
  return std::vector<std::string>(response->names().begin(),
                                  response->names().end());
}

}  // namespace cable::testing
