#pragma once
// In-test stand-ins for a Cable server: a cable.v1.Publisher gRPC server
// that records what it is sent and answers as told, and a port where
// nothing listens.

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace cable::testing {

// A cable.v1.Publisher on 127.0.0.1 that records Broadcast, BroadcastBatch
// and GetState calls (the rest are UNIMPLEMENTED).
class FakePublisherServer final {
 public:
  // One call as the server saw it.
  struct Call {
    std::string method;
    // The `authorization` metadata, if sent.
    std::optional<std::string> authorization;
    // The client certificate's common name under mutual TLS.
    std::string peer_common_name;
    // (stream, data) of each broadcast in it.
    std::vector<std::pair<std::string, std::string>> broadcasts;
  };

  // Listens on `port` (0: any free one) with `credentials` (null:
  // plaintext).
  explicit FakePublisherServer(
      int port = 0,
      std::shared_ptr<grpc::ServerCredentials> credentials = nullptr);
  // Releases held calls and stops the server.
  ~FakePublisherServer();

  int port() const { return port_; }
  std::string target() const;

  // What every later call of this method answers (all OK by default).
  void AnswerBroadcastWith(grpc::Status status);
  void AnswerGetStateWith(grpc::Status status);
  // Broadcast calls block until Release() (at most 30 s).
  void HoldBroadcasts();
  void Release();

  std::vector<Call> calls() const;

 private:
  class Service;
  mutable absl::Mutex mu_;
  std::vector<Call> calls_ ABSL_GUARDED_BY(mu_);
  grpc::Status broadcast_answer_ ABSL_GUARDED_BY(mu_);
  grpc::Status get_state_answer_ ABSL_GUARDED_BY(mu_);
  bool hold_ ABSL_GUARDED_BY(mu_) = false;
  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

// A port on 127.0.0.1 that refuses connections: bound, never listening,
// for as long as this lives (so no other test takes it meanwhile).
class ClosedPort final {
 public:
  ClosedPort();
  ~ClosedPort();
  ClosedPort(const ClosedPort&) = delete;
  ClosedPort& operator=(const ClosedPort&) = delete;

  int port() const { return port_; }
  std::string target() const;
  // Frees the port (for a server to start on it).
  void Release();

 private:
  int fd_ = -1;
  int port_ = 0;
};

}  // namespace cable::testing
