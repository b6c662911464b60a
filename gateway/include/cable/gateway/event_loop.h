#pragma once

#include <array>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "cable/gateway/frame_sink.h"

namespace cable::gateway {

class Session;

// One event-loop thread and the connections that live on it. Its
// io_context is run by exactly one thread, so it is every one of its
// connections' strand: a handler posted to it never runs concurrently with
// another handler of the same connection.
//
// Broadcasts reach the loop in batches: `deliver` (any thread) queues a
// frame for a session and wakes the loop only when the queue was empty, so
// a message to 10k subscribers costs one wake-up per loop, not one post per
// socket; the loop then hands each session its frames and flushes every
// socket once, several frames per write when several came.
class EventLoop final {
 public:
  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  boost::asio::io_context& context() { return ioc_; }
  // Runs the loop on the calling thread until stop().
  void Run() { ioc_.run(); }
  void Stop() { ioc_.stop(); }

  // Any thread: `frame` goes to `session` in the next batch.
  void Deliver(std::shared_ptr<Session> session, SharedFrame frame);

  // Loop thread only: where this loop's sessions read their sockets into.
  // A read is parsed before the next one starts (the WebSocket reader
  // copies what it keeps), so one buffer serves every session on the loop
  // and an idle connection holds none.
  absl::Span<char> read_buffer() { return absl::MakeSpan(read_buffer_); }

 private:
  struct Delivery {
    std::shared_ptr<Session> session;
    SharedFrame frame;
  };
  void Drain();

  boost::asio::io_context ioc_{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type>
      guard_;
  absl::Mutex mu_;
  std::vector<Delivery> pending_ ABSL_GUARDED_BY(mu_);
  // Loop thread only: the batch being handed out, kept for its capacity.
  std::vector<Delivery> batch_;
  std::vector<Session*> to_flush_;
  std::array<char, 16 * 1024> read_buffer_;
};

}  // namespace cable::gateway
