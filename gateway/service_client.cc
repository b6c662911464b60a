#include "gateway/service_client.h"

#include <grpcpp/grpcpp.h>

#include <atomic>

#include "cable/v1/cable.grpc.pb.h"

namespace cable::gateway {
namespace {

absl::Status ToAbsl(const grpc::Status& s) {
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      s.error_message());
}

// One unary call: owns its context and messages until gRPC completes it.
template <class Req, class Resp>
struct Call {
  grpc::ClientContext context;
  Req request;
  Resp response;
  ServiceClient::Callback<Resp> done;
};

}  // namespace

struct ServiceClient::Impl {
  std::shared_ptr<grpc::ChannelInterface> channel;
  // Whether the latest completed call reached the service. The in-process
  // channel has no connectivity state, so outcomes are what tells.
  std::atomic<bool> reachable{true};
  std::unique_ptr<v1::Cable::Stub> stub;
  std::chrono::milliseconds timeout;

  // `start(context, request, response, on_done)` issues the async call.
  template <class Req, class Resp, class Start>
  void call(const Req& request, Callback<Resp> done, Start start) {
    auto* c = new Call<Req, Resp>;
    c->request = request;
    c->done = std::move(done);
    c->context.set_deadline(std::chrono::system_clock::now() + timeout);
    start(&c->context, &c->request, &c->response,
          [this, c](grpc::Status status) {
            std::unique_ptr<Call<Req, Resp>> owned(c);
            const auto code = status.error_code();
            reachable.store(code != grpc::StatusCode::UNAVAILABLE &&
                                code != grpc::StatusCode::DEADLINE_EXCEEDED,
                            std::memory_order_relaxed);
            if (status.ok()) {
              owned->done(std::move(owned->response));
            } else {
              owned->done(ToAbsl(status));
            }
          });
  }
};

ServiceClient::ServiceClient(std::shared_ptr<grpc::ChannelInterface> channel,
                             std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>()) {
  impl_->stub = v1::Cable::NewStub(channel);
  impl_->channel = std::move(channel);
  impl_->timeout = timeout;
}

ServiceClient::~ServiceClient() = default;

void ServiceClient::connect(const v1::ConnectRequest& request,
                            Callback<v1::ConnectResponse> done) {
  impl_->call(request, std::move(done),
              [stub = impl_->stub.get()](auto* ctx, auto* req, auto* resp,
                                         auto on_done) {
                stub->async()->Connect(ctx, req, resp, std::move(on_done));
              });
}

void ServiceClient::command(const v1::CommandRequest& request,
                            Callback<v1::CommandResponse> done) {
  impl_->call(request, std::move(done),
              [stub = impl_->stub.get()](auto* ctx, auto* req, auto* resp,
                                         auto on_done) {
                stub->async()->Command(ctx, req, resp, std::move(on_done));
              });
}

void ServiceClient::disconnect(const v1::DisconnectRequest& request,
                               Callback<v1::DisconnectResponse> done) {
  impl_->call(request, std::move(done),
              [stub = impl_->stub.get()](auto* ctx, auto* req, auto* resp,
                                         auto on_done) {
                stub->async()->Disconnect(ctx, req, resp, std::move(on_done));
              });
}

bool ServiceClient::ready() const {
  return impl_->reachable.load(std::memory_order_relaxed);
}

}  // namespace cable::gateway
