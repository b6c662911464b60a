#include "cable/gateway/reload_signal.h"

#include <pthread.h>
#include <signal.h>

#include <utility>

namespace cable::gateway {

namespace {

sigset_t Hangup() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);
  return set;
}

}  // namespace

void BlockHangupSignal() {
  sigset_t set = Hangup();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

HangupWatcher::HangupWatcher(std::function<void()> on_hangup)
    : thread_([this, on_hangup = std::move(on_hangup)] {
        const sigset_t set = Hangup();
        while (true) {
          int signal_number = 0;
          if (sigwait(&set, &signal_number) != 0) return;
          if (stopping_.load()) return;
          on_hangup();
        }
      }) {}

HangupWatcher::~HangupWatcher() {
  stopping_.store(true);
  // The thread's own SIGHUP wakes its sigwait.
  pthread_kill(thread_.native_handle(), SIGHUP);
  thread_.join();
}

}  // namespace cable::gateway
