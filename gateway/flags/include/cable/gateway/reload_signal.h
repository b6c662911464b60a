#pragma once
// SIGHUP in the shipped mains: "read the TLS certificate and key again".

#include <atomic>
#include <functional>
#include <thread>

namespace cable::gateway {

// Blocks SIGHUP in this thread and every thread started after it (call
// before starting any, as cable::BlockStopSignals); a HangupWatcher then
// takes it. Unblocked, SIGHUP ends the process.
void BlockHangupSignal();

// Runs `on_hangup` on a thread of its own for every SIGHUP, until
// destroyed. SIGHUP must be blocked (BlockHangupSignal).
class HangupWatcher final {
 public:
  explicit HangupWatcher(std::function<void()> on_hangup);
  ~HangupWatcher();
  HangupWatcher(const HangupWatcher&) = delete;
  HangupWatcher& operator=(const HangupWatcher&) = delete;

 private:
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace cable::gateway
