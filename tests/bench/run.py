#!/usr/bin/python3
"""Cable benchmarks: starts the servers, drives them with cable-loadgen,
reads the gateway's RSS and CPU time from /proc, prints a table and writes
JSON.

    tests/bench/run.py --build BUILD_DIR [--scenario NAME ...] [--quick]
                       [--out results.json]

Scenarios (default: all but smoke, in this order):
  idle     10k idle connections, one subscription each (10 clients per
           room), then as many as one gateway's open-file limit allows:
           gateway RSS per connection and connect rate (Connect and
           Subscribe calls included).
  fanout   10k subscribers on one stream, 256-byte messages, publish rate
           stepped up until p99 > 50 ms or a message is lost: p50/p99 per
           step, the knee in deliveries/s.
  knee     fanout with 1,000 subscribers, where one message's fan-out fits
           in 50 ms on this machine: the knee in deliveries/s and the
           gateway's deliveries per CPU second there.
  streams  10k clients x 5 subscriptions over 10k streams, rate stepped up.
  slow     fan-out to 10k subscribers of which 1% stop reading: gateway RSS
           over time, slow clients disconnected, the others' p99.
  nats     fanout through NATS: nats-server, cable-service, two
           cable-gateways, subscribers split between them.
  floor    no Cable: cable-floor writes a 300-byte frame to 9,000
           loopback sockets from one thread (1 and 4 frames per write):
           what the kernel alone costs per delivery on this machine.
  history  the fanout row at 10 msg/s (10k subscribers) twice, one run
           each: hist-on with the server's default history
           (--history_limit=100: every broadcast appended to the stream's
           history and enveloped), hist-off with --history_limit=0.
  smoke    200 clients for a few seconds (the ctest bench_smoke); fails on
           any loss.

--quick shrinks every scenario (hundreds of clients, short steps).
Binaries come from the build directory unless $CABLE_SERVER, $CABLE_GATEWAY,
$CABLE_SERVICE, $CABLE_LOADGEN, $CABLE_FLOOR or $NATS_SERVER name them.
Only the Python standard library is used.
"""

import argparse
import json
import os
import shutil
import sys
import time

import bench_table
from bench_scenarios import SCENARIOS, Bench
from bench_steps import P99_LIMIT_MS

# The parts, each in this folder: bench_processes.py (servers, nats-server,
# generators, /proc), bench_steps.py (the harness: publish steps, series of
# steps, the knee), bench_scenarios.py (one method per scenario),
# bench_table.py (what is printed).


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--build", required=True, help="CMake build directory")
    ap.add_argument("--scenario", action="append",
                    choices=SCENARIOS + ["smoke"],
                    help="run only these (repeatable)")
    ap.add_argument("--quick", action="store_true",
                    help="hundreds of clients, short steps")
    ap.add_argument("--out", help="write the results as JSON here")
    args = ap.parse_args()
    bench = Bench(args)
    results = {"machine": {"cpus": os.cpu_count(),
                           "kernel": os.uname().release,
                           "cpu": cpu_model()},
               "quick": args.quick, "scenarios": {}}
    failed = False
    print(bench_table.HEADER, flush=True)
    for name in args.scenario or SCENARIOS:
        started = time.monotonic()
        try:
            res = getattr(bench, "scenario_" + name)()
        except Exception as e:  # noqa: BLE001 - report and go on
            print(f"{name}: FAILED: {e}", file=sys.stderr)
            res = {"error": str(e)}
            failed = True
        res["wall_s"] = time.monotonic() - started
        if isinstance(res, dict) and "connect" in res:
            bench_table.summary(name, res, P99_LIMIT_MS)
        if res.get("problems"):
            print(f"{name}: FAILED: " + "; ".join(res["problems"]),
                  file=sys.stderr)
            failed = True
        results["scenarios"][name] = res
    if args.out:
        with open(args.out, "w") as f:
            json.dump(results, f, indent=2)
    if failed:
        print(f"server logs kept in {bench.logdir}", file=sys.stderr)
    else:
        shutil.rmtree(bench.logdir, ignore_errors=True)
    return 1 if failed else 0


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


if __name__ == "__main__":
    sys.exit(main())
