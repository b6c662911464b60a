#pragma once
// A fixture for the gRPC services' tests (grpc_services_test.cc,
// flush_answer_test.cc).

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "cable/in_memory_pubsub.h"
#include "cable/internal/v1/cable.grpc.pb.h"
#include "cable/service/api_access.h"
#include "cable/service/cable_grpc_service.h"
#include "cable/service/command_handler.h"
#include "cable/service/demo/default_application.h"
#include "cable/service/in_memory_state_store.h"
#include "cable/service/presence.h"
#include "cable/service/presence_command_handler.h"
#include "cable/service/presence_store.h"
#include "cable/service/publisher_grpc_service.h"
#include "cable/service/state_channels.h"
#include "cable/service/state_command_handler.h"
#include "cable/v1/publisher.grpc.pb.h"

namespace cable::service::testing {

// The two gRPC services over `StreamPubSub` (streams), an in-memory control
// bus and state store, on a real in-process server.
template <class StreamPubSub>
class GrpcServicesOver : public ::testing::Test {
 protected:
  GrpcServicesOver()
      : app_(MakeDefaultApplication({})),
        handler_(*app_, pubsub_),
        states_(store_, pubsub_, {.cleanup_interval = absl::ZeroDuration()}),
        presence_(presence_store_, pubsub_,
                  [this] { return store_.AliveWorkers(); },
                  {.sweep_interval = absl::ZeroDuration()}),
        state_handler_(states_, 2),
        presence_handler_(presence_,
                          [this](std::function<void()> work) {
                            state_handler_.Post(std::move(work));
                          }),
        cable_service_(handler_, state_handler_, states_, presence_handler_,
                       open_),
        publisher_service_(pubsub_, control_, states_, state_handler_, open_,
                           nullptr, &presence_) {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(&cable_service_);
    builder.RegisterService(&publisher_service_);
    server_ = builder.BuildAndStart();
    EXPECT_NE(port, 0);
    auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                       grpc::InsecureChannelCredentials());
    cable_ = internal::v1::Cable::NewStub(channel);
    publisher_ = v1::Publisher::NewStub(channel);
  }
  ~GrpcServicesOver() override { server_->Shutdown(); }

  const ApiAccess open_{"test", {}};
  StreamPubSub pubsub_;
  InMemoryPubSub control_;
  std::unique_ptr<Application> app_;
  CommandHandler handler_;
  InMemoryStateStore store_;
  StateChannels states_;
  InMemoryPresenceStore presence_store_;
  // (Before the threads its work is posted to.)
  Presence presence_;
  StateCommandHandler state_handler_;
  PresenceCommandHandler presence_handler_;
  CableGrpcService cable_service_;
  PublisherGrpcService publisher_service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<internal::v1::Cable::Stub> cable_;
  std::unique_ptr<v1::Publisher::Stub> publisher_;
};

}  // namespace cable::service::testing
