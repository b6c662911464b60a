#include "cable/gateway/stream_sequencer.h"

#include <utility>

namespace cable::gateway {

StreamSequencer::Step StreamSequencer::Offer(const StreamPosition& position,
                                             absl::string_view data) {
  Step step;
  if (anchoring_) {
    // Held until Anchored says where the stream starts (or, when that
    // takes too long, from the first waiting one).
    if (position.epoch != epoch_) waiting_.clear();
    epoch_ = position.epoch;
    step.epoch = epoch_;
    waiting_.emplace(position.offset, std::string(data));
    if (waiting_.size() <= kMaxWaiting) return step;
    anchoring_ = false;
    next_ = waiting_.begin()->first;
    Drain(step);
    return step;
  }
  if (epoch_.empty() && next_ == 1 && !delivered_) {
    // Anchored on a stream with no history yet: it starts at 1, in the
    // epoch its first append gave it.
    epoch_ = position.epoch;
  }
  if (next_ == 0 || position.epoch != epoch_) {
    // The first message, or the history was lost and offsets start over:
    // whatever waited belongs to the old numbering (rare: dropped).
    waiting_.clear();
    epoch_ = position.epoch;
    fetching_ = false;
    delivered_ = false;
    next_ = position.offset;
  }
  step.epoch = epoch_;
  if (position.offset < next_) {
    if (delivered_) return step;  // delivered already
    next_ = position.offset;      // nothing was: start here instead
  }
  waiting_.emplace(position.offset, std::string(data));
  Drain(step);
  if (waiting_.size() > kMaxWaiting) Skip(step);
  return step;
}

StreamSequencer::Step StreamSequencer::Anchored(
    absl::StatusOr<HistoryPage> page) {
  Step step;
  step.epoch = epoch_;
  if (!anchoring_) return step;  // given up on meanwhile
  anchoring_ = false;
  if (page.ok() && page->epoch.empty()) {
    // No history yet: whatever comes was appended after the stream went
    // live, from offset 1 in the epoch of what waits (or comes first).
    next_ = 1;
    if (waiting_.empty()) epoch_.clear();
  } else if (page.ok() && (waiting_.empty() || page->epoch == epoch_)) {
    epoch_ = page->epoch;
    next_ = page->last_offset + 1;
  } else {
    next_ = 0;  // (no history to anchor on: the first message will)
  }
  step.epoch = epoch_;
  if (waiting_.empty()) return step;
  if (next_ == 0 || waiting_.begin()->first < next_) {
    next_ = waiting_.begin()->first;
  }
  Drain(step);
  if (waiting_.size() > kMaxWaiting) Skip(step);
  return step;
}

StreamSequencer::Step StreamSequencer::Fetched(
    absl::StatusOr<HistoryPage> page) {
  Step step;
  step.epoch = epoch_;
  fetching_ = false;
  if (page.ok() && page->epoch == epoch_) {
    for (HistoryEntry& entry : page->entries) {
      if (entry.offset >= next_) {
        waiting_.emplace(entry.offset, std::move(entry.data));
      }
    }
  }
  const std::uint64_t before = next_;
  Drain(step);  // (asks for the next hole, if one is left)
  if (waiting_.empty() || next_ != before) {
    failed_fetches_ = 0;
    return step;
  }
  // Nothing came to fill the hole. The page may predate it (a second hole
  // opened while the read was out), or the history was slow or
  // unreachable: ask again, a few times. A history that says it cannot
  // have it (another epoch, trimmed) is not asked again.
  const bool hopeless =
      !page.ok() &&
      (page.status().code() == absl::StatusCode::kFailedPrecondition ||
       page.status().code() == absl::StatusCode::kOutOfRange);
  if (!hopeless && ++failed_fetches_ < kFetchAttempts) return step;
  failed_fetches_ = 0;
  fetching_ = false;
  step.fetch_after.reset();
  Skip(step);
  return step;
}

void StreamSequencer::Drain(Step& step) {
  for (auto it = waiting_.begin(); it != waiting_.end() && it->first == next_;
       it = waiting_.erase(it)) {
    step.deliver.push_back({it->first, std::move(it->second)});
    ++next_;
    delivered_ = true;
  }
  if (!waiting_.empty() && !fetching_) {
    fetching_ = true;
    step.fetch_after = StreamPosition{epoch_, next_ - 1};
  }
}

void StreamSequencer::Skip(Step& step) {
  for (auto& [offset, data] : waiting_) {
    step.deliver.push_back({offset, std::move(data)});
    next_ = offset + 1;
    delivered_ = true;
  }
  waiting_.clear();
}

}  // namespace cable::gateway
