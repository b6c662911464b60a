#include "cable/gateway/subscription_set.h"

#include <algorithm>
#include <utility>

namespace cable::gateway {

bool StateGate::Newer(const Update& update) {
  if (update.revision != 0 && update.revision <= revision_) return false;
  if (update.ends_commit) revision_ = update.revision;
  return true;
}

StateGate::Verdict StateGate::Offer(Update update, std::size_t max_held) {
  if (!held_) return Newer(update) ? Verdict::kSend : Verdict::kCovered;
  if (held_updates_.size() >= max_held) return Verdict::kOverflow;
  held_updates_.push_back(std::move(update));
  return Verdict::kHeld;
}

std::vector<SharedFrame> StateGate::Release(
    std::optional<std::uint64_t> after_revision) {
  std::vector<Update> held = std::move(held_updates_);
  held_updates_.clear();
  held_ = false;
  std::vector<SharedFrame> out;
  if (!after_revision) return out;
  revision_ = *after_revision;
  for (auto& update : held) {
    if (Newer(update)) out.push_back(std::move(update.frame));
  }
  return out;
}

SubscriptionSet::Subscription* SubscriptionSet::find(
    absl::string_view identifier) {
  auto it = subscriptions_.find(identifier);
  return it == subscriptions_.end() ? nullptr : &it->second;
}

SubscriptionSet::Subscription& SubscriptionSet::Add(
    const std::string& identifier, internal::v1::CommandKind opened_by) {
  auto [it, inserted] = subscriptions_.try_emplace(identifier);
  if (inserted) it->second.opened_by = opened_by;
  return it->second;
}

std::vector<std::string> SubscriptionSet::Remove(absl::string_view identifier) {
  auto it = subscriptions_.find(identifier);
  if (it == subscriptions_.end()) return {};
  std::vector<std::string> streams = std::move(it->second.streams);
  subscriptions_.erase(it);
  return streams;
}

std::vector<std::string> SubscriptionSet::AddStreams(
    Subscription& sub, const std::vector<std::string>& streams) {
  std::vector<std::string> added;
  for (const auto& s : streams) {
    if (std::find(sub.streams.begin(), sub.streams.end(), s) !=
        sub.streams.end()) {
      continue;
    }
    sub.streams.push_back(s);
    added.push_back(s);
  }
  return added;
}

bool SubscriptionSet::RemoveStream(Subscription& sub,
                                   absl::string_view stream) {
  auto it = std::find(sub.streams.begin(), sub.streams.end(), stream);
  if (it == sub.streams.end()) return false;
  sub.streams.erase(it);
  return true;
}

std::vector<std::string> SubscriptionSet::TakeStreams(Subscription& sub) {
  std::vector<std::string> streams = std::move(sub.streams);
  sub.streams.clear();
  return streams;
}

std::uint64_t SubscriptionSet::set_timers(Subscription& sub,
                                          std::vector<TimerSpec> timers) {
  sub.timers = std::move(timers);
  sub.timer_generation = ++generations_;
  return sub.timer_generation;
}

void SubscriptionSet::StopTimers(Subscription& sub) {
  sub.timers.clear();
  sub.timer_generation = ++generations_;
}

void SubscriptionSet::StopAllTimers() {
  for (auto& [identifier, sub] : subscriptions_) StopTimers(sub);
}

bool SubscriptionSet::timer_current(absl::string_view identifier,
                                    std::uint64_t generation) const {
  auto it = subscriptions_.find(identifier);
  return it != subscriptions_.end() && !it->second.timers.empty() &&
         it->second.timer_generation == generation;
}

std::uint64_t StreamWait::Begin(std::size_t count) {
  ++generation_;
  left_ = count;
  status_ = absl::OkStatus();
  failed_.clear();
  return generation_;
}

bool StreamWait::Settle(std::uint64_t generation, absl::string_view stream,
                        const absl::Status& status) {
  if (generation != generation_ || left_ == 0) return false;
  if (!status.ok()) {
    if (status_.ok()) status_ = status;
    failed_.emplace_back(stream);
  }
  return --left_ == 0;
}

void StreamWait::Abandon() {
  ++generation_;
  left_ = 0;
}

}  // namespace cable::gateway
