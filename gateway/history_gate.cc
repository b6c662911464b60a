#include "cable/gateway/history_gate.h"

#include <utility>

namespace cable::gateway {

HistoryGate::Verdict HistoryGate::Offer(absl::string_view stream,
                                        absl::string_view epoch,
                                        std::uint64_t offset, SharedFrame frame,
                                        std::size_t max_held) {
  if (held_) {
    if (held_frames_.size() >= max_held) return Verdict::kOverflow;
    held_frames_.push_back(
        {std::string(stream), std::string(epoch), offset, std::move(frame)});
    return Verdict::kHeld;
  }
  return Advance(stream, epoch, offset) ? Verdict::kSend : Verdict::kDuplicate;
}

bool HistoryGate::Replay(absl::string_view stream, absl::string_view epoch,
                         std::uint64_t offset) {
  return Advance(stream, epoch, offset);
}

std::vector<SharedFrame> HistoryGate::Release() {
  held_ = false;
  std::vector<SharedFrame> out;
  for (Held& h : held_frames_) {
    if (Advance(h.stream, h.epoch, h.offset)) {
      out.push_back(std::move(h.frame));
    }
  }
  held_frames_.clear();
  held_frames_.shrink_to_fit();
  return out;
}

std::uint64_t HistoryGate::sent(absl::string_view stream) const {
  for (const Cursor& c : cursors_) {
    if (c.stream == stream) return c.offset;
  }
  return 0;
}

bool HistoryGate::Advance(absl::string_view stream, absl::string_view epoch,
                          std::uint64_t offset) {
  for (Cursor& c : cursors_) {
    if (c.stream != stream) continue;
    if (c.epoch == epoch && offset <= c.offset) return false;
    c.epoch = std::string(epoch);
    c.offset = offset;
    return true;
  }
  cursors_.push_back({std::string(stream), std::string(epoch), offset});
  return true;
}

}  // namespace cable::gateway
