#pragma once
// What every Cable server's main does the same way: flags from the
// environment and the command line, logging to stderr, stop signals.

#include <string>

namespace cable {

// Blocks SIGTERM and SIGINT in this thread and every thread started after
// it (call first in main); WaitForStopSignal then takes them.
void BlockStopSignals();
// Waits for SIGTERM or SIGINT; returns the signal number.
int WaitForStopSignal();

// Applies CABLE_<FLAG> environment variables, then parses the command line
// (which wins). Exits with a message on a bad value.
void ParseFlags(int argc, char** argv, const std::string& usage);

// Turns off Abseil's check of every Mutex acquisition for lock-order
// cycles: a debugging aid that Debian's Abseil leaves on, about 3 % of a
// gateway's CPU under fan-out. Servers call it; tests keep the check.
void DisableMutexDebugChecks();

// Logs go to stderr (stdout is kept for the "listening" line); `level` is
// trace, debug, info, warn, error or off.
void SetUpLogging(const std::string& level);

}  // namespace cable
