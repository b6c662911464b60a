#include "tests/sdk_client/test_recorder.h"

#include <utility>

namespace cable::testing {

void Recorder::Add(std::string kind, nlohmann::json value) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    entries_.push_back({std::move(kind), std::move(value)});
  }
  changed_.notify_all();
}

void Recorder::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  entries_.clear();
}

std::vector<Recorder::Entry> Recorder::entries() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_;
}

std::vector<nlohmann::json> Recorder::Values(const std::string& kind) const {
  std::vector<nlohmann::json> out;
  for (const Entry& e : entries()) {
    if (e.kind == kind) out.push_back(e.value);
  }
  return out;
}

std::vector<std::string> Recorder::Kinds() const {
  std::vector<std::string> out;
  for (const Entry& e : entries()) out.push_back(e.kind);
  return out;
}

bool Recorder::WaitUntil(
    const std::function<bool(const std::vector<Entry>&)>& done,
    std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return changed_.wait_for(lock, timeout, [&] { return done(entries_); });
}

bool Recorder::WaitForCount(const std::string& kind, std::size_t n,
                            std::chrono::milliseconds timeout) {
  return WaitUntil(
      [&](const std::vector<Entry>& entries) {
        std::size_t count = 0;
        for (const Entry& e : entries) count += e.kind == kind ? 1 : 0;
        return count >= n;
      },
      timeout);
}

bool Recorder::WaitFor(const std::string& kind,
                       const std::function<bool(const nlohmann::json&)>& match,
                       std::chrono::milliseconds timeout) {
  return WaitUntil(
      [&](const std::vector<Entry>& entries) {
        for (const Entry& e : entries) {
          if (e.kind == kind && match(e.value)) return true;
        }
        return false;
      },
      timeout);
}

JoinOptions Recorder::ChannelHandlers() {
  return {
      .on_initial_state =
          [this](const nlohmann::json& s) { Add("initial_state", s); },
      .on_state = [this](const nlohmann::json& s) { Add("state", s); },
      .on_event = [this](const nlohmann::json& e) { Add("event", e); },
      .on_event_patch =
          [this](const EventPatch& ep) {
            nlohmann::json value = {{"backlog", ep.from_backlog}};
            if (ep.event) value["event"] = *ep.event;
            if (ep.patch) value["patch"] = *ep.patch;
            Add("event_patch", std::move(value));
          },
      .on_rejected = [this] { Add("rejected"); },
      .on_error = [this](const std::string& m) { Add("error", m); },
  };
}

SubscriptionCallbacks Recorder::SubscriptionHandlers() {
  return {
      .connected = [this] { Add("connected"); },
      .rejected = [this] { Add("rejected"); },
      .received = [this](const nlohmann::json& m) { Add("received", m); },
      .disconnected = [this] { Add("disconnected"); },
  };
}

std::function<void(ConnectionStatus)> Recorder::StatusCallback() {
  return [this](ConnectionStatus status) { Add("status", StatusName(status)); };
}

std::string StatusName(ConnectionStatus status) {
  switch (status) {
    case ConnectionStatus::kConnecting:
      return "connecting";
    case ConnectionStatus::kConnected:
      return "connected";
    case ConnectionStatus::kDisconnected:
      return "disconnected";
  }
  return "?";
}

}  // namespace cable::testing
