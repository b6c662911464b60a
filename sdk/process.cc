#include "cable/process.h"

#include <pthread.h>
#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>

#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/synchronization/mutex.h"
#include "cable/env_flags.h"

namespace cable {
namespace {

sigset_t StopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

}  // namespace

void BlockStopSignals() {
  sigset_t set = StopSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int WaitForStopSignal() {
  sigset_t set = StopSignals();
  int signal_number = 0;
  sigwait(&set, &signal_number);
  return signal_number;
}

void DisableMutexDebugChecks() {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
}

void ParseFlags(int argc, char** argv, const std::string& usage) {
  absl::SetProgramUsageMessage(
      usage +
      "\nEvery flag can also be set as CABLE_<FLAG> in the "
      "environment (e.g. CABLE_PORT=9000); the command line wins.");
  if (auto status = ApplyEnvironmentToFlags(); !status.ok()) {
    std::fprintf(stderr, "%s\n", std::string(status.message()).c_str());
    std::exit(2);
  }
  absl::ParseCommandLine(argc, argv);
}

void SetUpLogging(const std::string& level) {
  spdlog::set_default_logger(spdlog::stderr_color_mt("cable"));
  spdlog::set_level(spdlog::level::from_str(level));
}

}  // namespace cable
