#include "tests/bench/loadgen_publisher.h"

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "tests/bench/loadgen_common.h"

namespace cable::bench {

Publisher::Publisher(const std::string& target, int streams,
                     std::string room_prefix, int payload_bytes, int max_batch,
                     int max_inflight)
    : channel_(grpc::CreateChannel(target, grpc::InsecureChannelCredentials())),
      stub_(v1::Publisher::NewStub(channel_)),
      streams_(std::max(1, streams)),
      room_prefix_(std::move(room_prefix)),
      payload_bytes_(payload_bytes),
      max_batch_(std::max(1, max_batch)),
      max_inflight_(std::max(1, max_inflight)) {
  // Connect and warm up first, so that no measured message pays for the
  // channel's setup.
  channel_->WaitForConnected(std::chrono::system_clock::now() +
                             std::chrono::seconds(10));
  for (int i = 0; i < 3; ++i) {
    grpc::ClientContext context;
    v1::BroadcastRequest request;
    v1::BroadcastResponse response;
    request.set_stream(absl::StrCat("chat:", room_prefix_, "warmup"));
    request.set_data("{}");
    stub_->Broadcast(&context, request, &response);
  }
}

PublishResult Publisher::Run(std::int64_t step, double rate, double duration) {
  result_ = PublishResult();
  const auto total = static_cast<std::int64_t>(std::llround(rate * duration));
  const double interval = 1e9 / rate;
  const std::int64_t start = NowNs() + 2000000;
  std::int64_t i = 0;
  while (i < total) {
    const std::int64_t due = start + static_cast<std::int64_t>(i * interval);
    std::int64_t now = NowNs();
    if (due > now) {
      timespec ts{static_cast<time_t>(due / 1000000000),
                  static_cast<long>(due % 1000000000)};
      clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
      now = NowNs();
    }
    while (inflight_.load() >= max_inflight_) {
      std::this_thread::sleep_for(std::chrono::microseconds(100));
      now = NowNs();
    }
    // Everything due by now goes out, in one batch when allowed.
    auto call = std::make_unique<Call>();
    std::int64_t n = 0;
    while (i + n < total && n < max_batch_) {
      const std::int64_t due_n =
          start + static_cast<std::int64_t>((i + n) * interval);
      if (n > 0 && due_n > now) break;
      v1::BroadcastRequest* req =
          max_batch_ == 1 ? &call->single : call->batch.add_broadcasts();
      Fill(*req, step, i + n, due_n);
      ++n;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      result_.lag.Record(now - due);
    }
    i += n;
    call->messages = n;
    call->start_ns = NowNs();
    inflight_.fetch_add(1);
    Call* raw = call.release();
    auto done = [this, raw](grpc::Status status) { Finish(raw, status); };
    if (max_batch_ == 1) {
      stub_->async()->Broadcast(&raw->context, &raw->single, &raw->response,
                                std::move(done));
    } else {
      stub_->async()->BroadcastBatch(&raw->context, &raw->batch, &raw->response,
                                     std::move(done));
    }
  }
  const std::int64_t deadline = NowNs() + 60LL * 1000000000;
  while (inflight_.load() > 0 && NowNs() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::lock_guard<std::mutex> lock(mu_);
  result_.elapsed_s = static_cast<double>(NowNs() - start) / 1e9;
  result_.published = total;
  return result_;
}

void Publisher::Fill(v1::BroadcastRequest& req, std::int64_t step,
                     std::int64_t i, std::int64_t due) {
  req.set_stream(absl::StrCat("chat:", room_prefix_, i % streams_));
  std::string data =
      absl::StrCat("{\"st\":", step, ",\"i\":", i, ",\"t\":", due, ",\"p\":\"");
  const std::size_t want = static_cast<std::size_t>(payload_bytes_);
  if (data.size() + 2 < want) data.append(want - data.size() - 2, 'x');
  data.append("\"}");
  req.set_data(std::move(data));
}

void Publisher::Finish(Call* call, const grpc::Status& status) {
  const std::int64_t now = NowNs();
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++result_.rpcs;
    result_.rpc.Record(now - call->start_ns);
    if (!status.ok()) {
      result_.errors += call->messages;
      if (result_.first_error.empty()) {
        result_.first_error = status.error_message();
      }
    }
  }
  delete call;
  inflight_.fetch_sub(1);
}

}  // namespace cable::bench
