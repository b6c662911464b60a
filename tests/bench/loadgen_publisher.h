#pragma once
// cable-loadgen's open-loop publisher: `rate` messages per second through
// cable.v1.Publisher (Broadcast, or BroadcastBatch for messages due at the
// same moment), each stamped with its intended send time, whatever the
// server's answers do.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "cable/v1/publisher.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "tests/bench/histogram.h"

namespace cable::bench {

struct PublishResult {
  std::int64_t published = 0;
  std::int64_t errors = 0;
  std::int64_t rpcs = 0;
  double elapsed_s = 0;
  Histogram lag;  // actual send time minus intended send time
  Histogram rpc;  // RPC round trip
  std::string first_error;
};

class Publisher {
 public:
  // Connects to `target` and warms the channel up.
  Publisher(const std::string& target, int streams, std::string room_prefix,
            int payload_bytes, int max_batch, int max_inflight);

  // Publishes `rate` messages per second for `duration` seconds as step
  // `step`, then waits (up to a minute) for the calls in flight.
  PublishResult Run(std::int64_t step, double rate, double duration);

 private:
  struct Call {
    grpc::ClientContext context;
    v1::BroadcastRequest single;
    v1::BroadcastBatchRequest batch;
    v1::BroadcastResponse response;
    std::int64_t messages = 0;
    std::int64_t start_ns = 0;
  };

  void Fill(v1::BroadcastRequest& req, std::int64_t step, std::int64_t i,
            std::int64_t due);
  void Finish(Call* call, const grpc::Status& status);

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Publisher::Stub> stub_;
  const int streams_;
  const std::string room_prefix_;
  const int payload_bytes_;
  const int max_batch_;
  const int max_inflight_;
  std::atomic<int> inflight_{0};
  std::mutex mu_;
  PublishResult result_;
};

}  // namespace cable::bench
