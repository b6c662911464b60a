#include "cable/gateway/event_loop.h"

#include <boost/asio/post.hpp>
#include <utility>

#include "cable/gateway/session.h"

namespace cable::gateway {

EventLoop::EventLoop() : guard_(boost::asio::make_work_guard(ioc_)) {}

EventLoop::~EventLoop() = default;

void EventLoop::Deliver(std::shared_ptr<Session> session, SharedFrame frame) {
  bool wake;
  {
    absl::MutexLock lock(&mu_);
    wake = pending_.empty();
    pending_.push_back({std::move(session), std::move(frame)});
  }
  if (wake) boost::asio::post(ioc_, [this] { Drain(); });
}

void EventLoop::Drain() {
  {
    absl::MutexLock lock(&mu_);
    batch_.swap(pending_);
  }
  for (auto& d : batch_) {
    if (d.session->QueueBroadcast(std::move(d.frame))) {
      to_flush_.push_back(d.session.get());
    }
  }
  // The batch still holds every session: flush them, then let go.
  for (Session* s : to_flush_) s->FlushBroadcasts();
  to_flush_.clear();
  batch_.clear();
  // Give back what a burst grew the buffers to.
  constexpr std::size_t kKept = 64 * 1024;
  if (batch_.capacity() > kKept) std::vector<Delivery>().swap(batch_);
  if (to_flush_.capacity() > kKept) std::vector<Session*>().swap(to_flush_);
}

}  // namespace cable::gateway
