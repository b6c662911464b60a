#include "cable/gateway/write_queue.h"

#include <utility>

namespace cable::gateway {

bool WriteQueue::Push(SharedFrame frame, bool reply) {
  std::size_t& bytes = reply ? reply_bytes_ : bytes_;
  const std::size_t limit = reply ? limits_.max_reply_bytes : limits_.max_bytes;
  if (frames_.size() >= limits_.max_frames ||
      (bytes > 0 && bytes + frame->size() > limit)) {
    return false;
  }
  bytes += frame->size();
  frames_.push_back({std::move(frame), reply});
  return true;
}

void WriteQueue::PushUnbounded(std::string bytes) {
  reply_bytes_ += bytes.size();
  frames_.push_back(
      {std::make_shared<const std::string>(std::move(bytes)), true});
}

std::size_t WriteQueue::Gather(std::span<absl::string_view> out) const {
  std::size_t n = 0;
  for (auto it = frames_.begin(); it != frames_.end() && n < out.size();
       ++it, ++n) {
    out[n] = absl::string_view(*it->frame).substr(n == 0 ? offset_ : 0);
  }
  return n;
}

std::size_t WriteQueue::Consume(std::size_t written) {
  std::size_t sent = 0;
  while (written > 0 && !frames_.empty()) {
    const std::size_t left = frames_.front().frame->size() - offset_;
    if (written < left) {
      offset_ += written;
      break;
    }
    written -= left;
    offset_ = 0;
    unqueued(frames_.front());
    frames_.pop_front();
    ++sent;
  }
  return sent;
}

void WriteQueue::DropUnwritten() {
  while (frames_.size() > (offset_ > 0 ? 1u : 0u)) {
    unqueued(frames_.back());
    frames_.pop_back();
  }
}

void WriteQueue::unqueued(const Queued& queued) {
  (queued.reply ? reply_bytes_ : bytes_) -= queued.frame->size();
}

}  // namespace cable::gateway
