// The gRPC adapters against a real in-process server, called through the
// generated stubs.

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>

#include "cable/in_memory_pubsub.h"
#include "cable/internal/v1/cable.grpc.pb.h"
#include "cable/protocol.h"
#include "cable/service/api_access.h"
#include "cable/service/cable_grpc_service.h"
#include "cable/service/command_handler.h"
#include "cable/service/demo/default_application.h"
#include "cable/service/grpc_status.h"
#include "cable/service/in_memory_state_store.h"
#include "cable/service/publisher_grpc_service.h"
#include "cable/service/state_channels.h"
#include "cable/service/state_command_handler.h"
#include "cable/v1/publisher.grpc.pb.h"
#include "tests/service/grpc_fixture.h"
#include "tests/service/test_util.h"

namespace cable::service {
namespace {

using ::cable::service::testing::StreamRecorder;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

using GrpcServicesTest = testing::GrpcServicesOver<InMemoryPubSub>;

TEST_F(GrpcServicesTest, ConnectCommandDisconnect) {
  grpc::ClientContext connect_context;
  internal::v1::ConnectRequest connect;
  connect.set_sid("sid-1");
  connect.mutable_env()->set_url("/cable?user=ann");
  internal::v1::ConnectResponse connected;
  ASSERT_TRUE(cable_->Connect(&connect_context, connect, &connected).ok());
  EXPECT_EQ(connected.status(), internal::v1::STATUS_SUCCESS);
  EXPECT_EQ(connected.identifiers().at("current_user"), "ann");

  const std::string id = R"({"channel":"ChatChannel","room":"r"})";
  grpc::ClientContext command_context;
  internal::v1::CommandRequest command;
  command.set_kind(internal::v1::COMMAND_KIND_SUBSCRIBE);
  command.set_identifier(id);
  *command.mutable_identifiers() = connected.identifiers();
  internal::v1::CommandResponse subscribed;
  ASSERT_TRUE(cable_->Command(&command_context, command, &subscribed).ok());
  EXPECT_EQ(subscribed.status(), internal::v1::STATUS_SUCCESS);
  EXPECT_THAT(subscribed.streams(), ElementsAre("chat:r"));
  EXPECT_THAT(subscribed.transmissions(),
              ElementsAre(protocol::ConfirmFrame(id)));

  grpc::ClientContext disconnect_context;
  internal::v1::DisconnectRequest disconnect;
  disconnect.add_subscriptions()->set_identifier(id);
  internal::v1::DisconnectResponse disconnected;
  ASSERT_TRUE(
      cable_->Disconnect(&disconnect_context, disconnect, &disconnected).ok());
  EXPECT_EQ(disconnected.status(), internal::v1::STATUS_SUCCESS);
}

TEST_F(GrpcServicesTest, ApplicationErrorsAreNotTransportErrors) {
  grpc::ClientContext context;
  internal::v1::CommandRequest command;
  command.set_kind(internal::v1::COMMAND_KIND_SUBSCRIBE);
  command.set_identifier("not json");
  internal::v1::CommandResponse response;
  ASSERT_TRUE(cable_->Command(&context, command, &response).ok());
  EXPECT_EQ(response.status(), internal::v1::STATUS_ERROR);
  EXPECT_THAT(response.error_msg(), HasSubstr("not valid JSON"));
}

TEST_F(GrpcServicesTest, Broadcast) {
  StreamRecorder recorder(pubsub_, "news");
  grpc::ClientContext context;
  v1::BroadcastRequest request;
  request.set_stream("news");
  request.set_data(R"({"headline":"x"})");
  v1::BroadcastResponse response;
  ASSERT_TRUE(publisher_->Broadcast(&context, request, &response).ok());
  EXPECT_EQ(response.accepted(), 1u);
  EXPECT_THAT(recorder.messages(), ElementsAre(R"({"headline":"x"})"));
}

TEST_F(GrpcServicesTest, BroadcastToEmptyStreamIsInvalid) {
  grpc::ClientContext context;
  v1::BroadcastRequest request;
  request.set_data("x");
  v1::BroadcastResponse response;
  grpc::Status status = publisher_->Broadcast(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("stream must not be empty"));
}

TEST_F(GrpcServicesTest, DisconnectGoesToEveryGatewayOnTheControlBus) {
  StreamRecorder recorder(control_, "all");
  grpc::ClientContext context;
  v1::DisconnectClientsRequest request;
  (*request.mutable_identifiers())["current_user"] = "bob";
  request.set_reconnect(true);
  v1::DisconnectClientsResponse response;
  ASSERT_TRUE(publisher_->Disconnect(&context, request, &response).ok());
  ASSERT_EQ(recorder.messages().size(), 1u);
  internal::v1::ControlMessage message;
  ASSERT_TRUE(message.ParseFromString(recorder.messages()[0]));
  ASSERT_TRUE(message.has_disconnect());
  EXPECT_EQ(message.disconnect().identifiers().at("current_user"), "bob");
  EXPECT_TRUE(message.disconnect().reconnect());

  grpc::ClientContext empty_context;
  v1::DisconnectClientsRequest empty;
  grpc::Status status =
      publisher_->Disconnect(&empty_context, empty, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(recorder.messages().size(), 1u);
}

TEST_F(GrpcServicesTest, BroadcastBatchKeepsOrder) {
  StreamRecorder a(pubsub_, "a");
  StreamRecorder b(pubsub_, "b");
  grpc::ClientContext context;
  v1::BroadcastBatchRequest request;
  for (const auto& [stream, data] :
       std::vector<std::pair<std::string, std::string>>{
           {"a", "1"}, {"b", "x"}, {"a", "2"}, {"a", "3"}, {"b", "y"}}) {
    v1::BroadcastRequest* broadcast = request.add_broadcasts();
    broadcast->set_stream(stream);
    broadcast->set_data(data);
  }
  v1::BroadcastResponse response;
  ASSERT_TRUE(publisher_->BroadcastBatch(&context, request, &response).ok());
  EXPECT_EQ(response.accepted(), 5u);
  EXPECT_THAT(a.messages(), ElementsAre("1", "2", "3"));
  EXPECT_THAT(b.messages(), ElementsAre("x", "y"));
}

TEST_F(GrpcServicesTest, BroadcastBatchValidatesEverythingFirst) {
  StreamRecorder a(pubsub_, "a");
  grpc::ClientContext context;
  v1::BroadcastBatchRequest request;
  request.add_broadcasts()->set_stream("a");
  request.add_broadcasts()->set_stream("");
  v1::BroadcastResponse response;
  grpc::Status status =
      publisher_->BroadcastBatch(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("broadcasts[1]"));
  EXPECT_THAT(a.messages(), IsEmpty());
}

TEST(GrpcStatusTest, ConvertsCodeAndMessage) {
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  grpc::Status status = ToGrpcStatus(absl::PermissionDeniedError("no"));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(status.error_message(), "no");
  EXPECT_EQ(ToGrpcStatus(absl::UnavailableError("")).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

}  // namespace
}  // namespace cable::service
