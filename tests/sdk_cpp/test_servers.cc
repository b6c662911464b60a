#include "tests/sdk_cpp/test_servers.h"

#include <arpa/inet.h>
#include <grpcpp/security/auth_context.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/server_context.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cable/v1/publisher.grpc.pb.h"

namespace cable::testing {

class FakePublisherServer::Service final : public v1::Publisher::Service {
 public:
  explicit Service(FakePublisherServer& server) : server_(server) {}

  grpc::Status Broadcast(grpc::ServerContext* context,
                         const v1::BroadcastRequest* request,
                         v1::BroadcastResponse* response) override {
    Call call = Record(*context, "Broadcast");
    call.broadcasts.emplace_back(request->stream(), request->data());
    absl::MutexLock lock(&server_.mu_);
    server_.calls_.push_back(std::move(call));
    server_.mu_.AwaitWithTimeout(
        absl::Condition(
            +[](bool* hold) { return !*hold; }, &server_.hold_),
        absl::Seconds(30));
    response->set_accepted(1);
    return server_.broadcast_answer_;
  }

  grpc::Status BroadcastBatch(grpc::ServerContext* context,
                              const v1::BroadcastBatchRequest* request,
                              v1::BroadcastResponse* response) override {
    Call call = Record(*context, "BroadcastBatch");
    for (const auto& b : request->broadcasts()) {
      call.broadcasts.emplace_back(b.stream(), b.data());
    }
    response->set_accepted(
        static_cast<std::uint32_t>(request->broadcasts_size()));
    absl::MutexLock lock(&server_.mu_);
    server_.calls_.push_back(std::move(call));
    return server_.broadcast_answer_;
  }

  grpc::Status GetState(grpc::ServerContext* context,
                        const v1::GetStateRequest*,
                        v1::GetStateResponse* response) override {
    Call call = Record(*context, "GetState");
    response->set_state("{}");
    absl::MutexLock lock(&server_.mu_);
    server_.calls_.push_back(std::move(call));
    return server_.get_state_answer_;
  }

 private:
  static Call Record(const grpc::ServerContext& context, std::string method) {
    Call call;
    call.method = std::move(method);
    const auto& metadata = context.client_metadata();
    if (auto it = metadata.find("authorization"); it != metadata.end()) {
      call.authorization = std::string(it->second.data(), it->second.size());
    }
    auto auth = context.auth_context();
    if (auth) {
      for (const auto& name : auth->FindPropertyValues("x509_common_name")) {
        call.peer_common_name = std::string(name.data(), name.size());
      }
    }
    return call;
  }

  FakePublisherServer& server_;
};

FakePublisherServer::FakePublisherServer(
    int port, std::shared_ptr<grpc::ServerCredentials> credentials)
    : service_(std::make_unique<Service>(*this)) {
  if (!credentials) credentials = grpc::InsecureServerCredentials();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(absl::StrCat("127.0.0.1:", port), credentials,
                           &port_);
  builder.RegisterService(service_.get());
  server_ = builder.BuildAndStart();
  if (!server_ || port_ == 0) {
    throw std::runtime_error(
        absl::StrCat("fake server: cannot listen on ", port));
  }
}

FakePublisherServer::~FakePublisherServer() {
  Release();
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
}

std::string FakePublisherServer::target() const {
  return absl::StrCat("127.0.0.1:", port_);
}

void FakePublisherServer::AnswerBroadcastWith(grpc::Status status) {
  absl::MutexLock lock(&mu_);
  broadcast_answer_ = std::move(status);
}

void FakePublisherServer::AnswerGetStateWith(grpc::Status status) {
  absl::MutexLock lock(&mu_);
  get_state_answer_ = std::move(status);
}

void FakePublisherServer::HoldBroadcasts() {
  absl::MutexLock lock(&mu_);
  hold_ = true;
}

void FakePublisherServer::Release() {
  absl::MutexLock lock(&mu_);
  hold_ = false;
}

std::vector<FakePublisherServer::Call> FakePublisherServer::calls() const {
  absl::MutexLock lock(&mu_);
  return calls_;
}

ClosedPort::ClosedPort() {
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
      getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error("cannot bind a port");
  }
  port_ = ntohs(addr.sin_port);
}

ClosedPort::~ClosedPort() { Release(); }

std::string ClosedPort::target() const {
  return absl::StrCat("127.0.0.1:", port_);
}

void ClosedPort::Release() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

}  // namespace cable::testing
