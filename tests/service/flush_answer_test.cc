// Calls that publish answer from the pub/sub's flush completion, never by
// blocking a thread on it: a PubSub whose flushes the test completes by
// hand shows the answer waiting for the flush, and a call that published
// nothing answering at once.

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "cable/command_kind.h"
#include "cable/forwarding_pubsub.h"
#include "cable/in_memory_pubsub.h"
#include "cable/internal/v1/cable.grpc.pb.h"
#include "cable/service/api_access.h"
#include "cable/service/cable_grpc_service.h"
#include "cable/service/command_handler.h"
#include "cable/service/demo/default_application.h"
#include "cable/service/in_memory_state_store.h"
#include "cable/service/publisher_grpc_service.h"
#include "cable/service/state_channels.h"
#include "cable/service/state_command_handler.h"
#include "cable/v1/publisher.grpc.pb.h"
#include "tests/service/grpc_fixture.h"

namespace cable::service {
namespace {

constexpr absl::Duration kWait = absl::Seconds(10);

// The InMemoryPubSub under HeldFlushPubSub: a base, so that it is built
// before ForwardingPubSub takes it.
struct InMemoryBackend {
  InMemoryPubSub backend;
};

// InMemoryPubSub whose flushes wait until the test completes them.
class HeldFlushPubSub final : private InMemoryBackend, public ForwardingPubSub {
 public:
  HeldFlushPubSub() : ForwardingPubSub(backend) {}

  void Flush(PubSubDone done) override {
    absl::MutexLock lock(&mu_);
    held_.push_back(std::move(done));
  }

  // Waits until `n` flushes are held.
  bool AwaitHeld(std::size_t n) {
    absl::MutexLock lock(&mu_);
    auto enough = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return held_.size() >= n;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), kWait);
  }
  std::size_t held() {
    absl::MutexLock lock(&mu_);
    return held_.size();
  }
  // Completes every held flush with `status`.
  void Complete(absl::Status status) {
    std::vector<PubSubDone> done;
    {
      absl::MutexLock lock(&mu_);
      done.swap(held_);
    }
    for (PubSubDone& d : done) std::move(d)(status);
  }

 private:
  absl::Mutex mu_;
  std::vector<PubSubDone> held_ ABSL_GUARDED_BY(mu_);
};

internal::v1::CommandRequest ChatCommand(const std::string& command,
                                         const std::string& data = "") {
  internal::v1::CommandRequest request;
  request.set_kind(protocol::CommandKindNamed(command).value_or(
      internal::v1::COMMAND_KIND_UNSPECIFIED));
  request.set_identifier(R"({"channel":"ChatChannel","room":"r"})");
  request.set_data(data);
  (*request.mutable_identifiers())["current_user"] = "ann";
  return request;
}

TEST(CommandHandlerFlush, APublishingCommandAnswersOnlyOnceFlushed) {
  HeldFlushPubSub pubsub;
  std::unique_ptr<Application> app = MakeDefaultApplication({});
  CommandHandler handler(*app, pubsub);

  // Publishes nothing: answered inline, no flush.
  bool subscribed = false;
  handler.Command(ChatCommand("subscribe"),
                  [&](internal::v1::CommandResponse r) {
                    EXPECT_EQ(r.status(), internal::v1::STATUS_SUCCESS);
                    subscribed = true;
                  });
  EXPECT_TRUE(subscribed);
  EXPECT_EQ(pubsub.held(), 0u);

  // Publishes: the answer waits for the flush.
  absl::Notification answered;
  handler.Command(
      ChatCommand("message", R"({"action":"speak","message":"hi"})"),
      [&](internal::v1::CommandResponse r) {
        EXPECT_EQ(r.status(), internal::v1::STATUS_SUCCESS);
        answered.Notify();
      });
  ASSERT_EQ(pubsub.held(), 1u);
  EXPECT_FALSE(answered.HasBeenNotified());
  pubsub.Complete(absl::OkStatus());
  EXPECT_TRUE(answered.HasBeenNotified());

  // A failed flush is logged; the command's answer still goes out.
  absl::Notification answered_anyway;
  handler.Command(ChatCommand("message", R"({"action":"speak","message":"x"})"),
                  [&](internal::v1::CommandResponse r) {
                    EXPECT_EQ(r.status(), internal::v1::STATUS_SUCCESS);
                    answered_anyway.Notify();
                  });
  pubsub.Complete(absl::UnavailableError("no server"));
  EXPECT_TRUE(answered_anyway.HasBeenNotified());
}

// Completes the held flushes first, so that no call waits on shutdown.
class GrpcFlushTest : public testing::GrpcServicesOver<HeldFlushPubSub> {
 protected:
  ~GrpcFlushTest() override { pubsub_.Complete(absl::CancelledError("over")); }
};

TEST_F(GrpcFlushTest, BroadcastAnswersFromTheFlushCompletion) {
  for (const absl::Status& flushed :
       {absl::OkStatus(), absl::UnavailableError("flush failed")}) {
    absl::Notification returned;
    grpc::Status status;
    v1::BroadcastResponse response;
    std::thread caller([&] {
      grpc::ClientContext context;
      v1::BroadcastRequest request;
      request.set_stream("news");
      request.set_data("x");
      status = publisher_->Broadcast(&context, request, &response);
      returned.Notify();
    });
    // The handler broadcast and asked for a flush; only its completion
    // can finish the call.
    ASSERT_TRUE(pubsub_.AwaitHeld(1));
    EXPECT_FALSE(returned.HasBeenNotified());
    pubsub_.Complete(flushed);
    caller.join();
    EXPECT_EQ(status.error_code(),
              static_cast<grpc::StatusCode>(flushed.code()));
    EXPECT_EQ(response.accepted(), flushed.ok() ? 1u : 0u);
  }
}

TEST_F(GrpcFlushTest, CommandThatPublishedAnswersFromTheFlushCompletion) {
  absl::Notification returned;
  grpc::Status status;
  internal::v1::CommandResponse response;
  std::thread caller([&] {
    grpc::ClientContext context;
    status = cable_->Command(
        &context,
        ChatCommand("message", R"({"action":"speak","message":"hi"})"),
        &response);
    returned.Notify();
  });
  ASSERT_TRUE(pubsub_.AwaitHeld(1));
  EXPECT_FALSE(returned.HasBeenNotified());
  pubsub_.Complete(absl::OkStatus());
  caller.join();
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.status(), internal::v1::STATUS_SUCCESS);
}

}  // namespace
}  // namespace cable::service
