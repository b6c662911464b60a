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
  smoke    200 clients for a few seconds (the ctest bench_smoke); fails on
           any loss.

--quick shrinks every scenario (hundreds of clients, short steps).
Binaries come from the build directory unless $CABLE_SERVER, $CABLE_GATEWAY,
$CABLE_SERVICE, $CABLE_LOADGEN, $CABLE_FLOOR or $NATS_SERVER name them.
Only the Python standard library is used.
"""

import argparse
import json
import math
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
P99_LIMIT_MS = 50.0
SATURATED_MS = 1000.0


# ------------------------------------------------------------------ /proc

def proc_sample(pid):
    """RSS bytes and CPU seconds (user + system) of a process."""
    rss = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) * 1024
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is field 3 (state); utime/stime are fields 14/15.
    cpu = (int(fields[11]) + int(fields[12])) / CLK_TCK
    return {"rss": rss, "cpu": cpu}


def metric(http_port, name):
    try:
        with urllib.request.urlopen(
                f"http://127.0.0.1:{http_port}/metrics", timeout=5) as r:
            for line in r.read().decode().splitlines():
                if line.startswith(name + " ") or line.startswith(name + "{"):
                    return float(line.rsplit(" ", 1)[1])
    except OSError:
        pass
    return None


# -------------------------------------------------------------- processes

class Lines:
    """Reads a child's stream line by line on a thread."""

    def __init__(self, stream, keep=None):
        self.q = queue.Queue()
        self.keep = keep
        self.tail = []
        threading.Thread(target=self._run, args=(stream,), daemon=True).start()

    def _run(self, stream):
        for line in stream:
            self.tail = (self.tail + [line])[-50:]
            if self.keep is None or self.keep(line):
                self.q.put(line)
        self.q.put(None)

    def wait_for(self, pattern, timeout, what):
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError(f"{what}: timed out; last output:\n" +
                                   "".join(self.tail))
            try:
                line = self.q.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                raise RuntimeError(f"{what}: exited; last output:\n" +
                                   "".join(self.tail))
            m = re.search(pattern, line)
            if m:
                return m


class Server:
    """A cable binary that prints 'listening http=H:P grpc=H:P'."""

    def __init__(self, name, argv, logdir):
        self.name = name
        self.log = open(os.path.join(logdir, name + ".log"), "w")
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE,
                                     stderr=self.log, text=True)
        self.lines = Lines(self.proc.stdout)
        m = self.lines.wait_for(r"listening http=\S*:(\d+) grpc=\S*:(\d+)",
                                30, name)
        self.http_port = int(m.group(1))
        self.grpc_port = int(m.group(2))
        internal = re.search(r"internal=\S*:(-?\d+)", m.string)
        self.internal_port = int(internal.group(1)) if internal else -1
        self.pid = self.proc.pid

    def sample(self):
        return proc_sample(self.pid)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class Nats:
    def __init__(self, binary, logdir):
        # JetStream: cable-service keeps stateful channels there.
        self.store = os.path.join(logdir, "jetstream")
        self.proc = subprocess.Popen(
            [binary, "-a", "127.0.0.1", "-p", "-1", "-m", "0", "-js",
             "-sd", self.store],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.lines = Lines(self.proc.stderr)
        m = self.lines.wait_for(
            r"Listening for client connections on \S*:(\d+)", 30, "nats")
        self.port = int(m.group(1))
        self.url = f"nats://127.0.0.1:{self.port}"
        self.pid = self.proc.pid

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=15)


class Generator:
    """One cable-loadgen --mode=clients process, driven over stdin."""

    def __init__(self, binary, args):
        self.proc = subprocess.Popen([binary, "--mode=clients"] + args,
                                     stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True,
                                     bufsize=1)
        self.lines = Lines(self.proc.stdout)
        self.errors = Lines(self.proc.stderr, keep=lambda _: False)
        self.pid = self.proc.pid

    def event(self, name, timeout):
        m = self.lines.wait_for(r'^\{"event":"%s".*\}$' % name, timeout,
                                "cable-loadgen")
        return json.loads(m.group(0))

    def send(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def stop(self):
        if self.proc.poll() is None:
            try:
                self.send("quit")
                self.proc.wait(timeout=20)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()


# ------------------------------------------------------------- histograms

def percentiles(hist):
    """hist: {value_ns: count}; returns p50..max in ms like the loadgen."""
    total = sum(hist.values())
    out = {}
    if total == 0:
        return {k: None for k in ("p50", "p90", "p99", "p999", "max")}
    items = sorted(hist.items())
    for name, q in (("p50", .5), ("p90", .9), ("p99", .99), ("p999", .999)):
        rank = int(q * total)
        seen = 0
        for value, count in items:
            seen += count
            if seen > rank:
                out[name] = value / 1e6
                break
    out["max"] = items[-1][0] / 1e6
    return out


# ---------------------------------------------------------------- harness

class Bench:
    def __init__(self, args):
        self.args = args
        self.build = os.path.abspath(args.build)
        self.quick = args.quick
        self.logdir = tempfile.mkdtemp(prefix="cable-bench-")
        self.results = []
        self.room_seq = 0

    def binary(self, env, *parts):
        path = os.environ.get(env) or os.path.join(self.build, *parts)
        if not os.access(path, os.X_OK):
            raise RuntimeError(f"{path} not found (build it, or set ${env})")
        return path

    def loadgen(self):
        return self.binary("CABLE_LOADGEN", "tests", "bench", "cable-loadgen")

    @staticmethod
    def gateway_flags():
        # Big runs: a generous handshake timeout for the connect storm; the
        # per-socket queue bounds stay at their defaults (slow readers are
        # what they are for).
        return ["--host=127.0.0.1", "--port=0", "--log_level=warn",
                "--handshake_timeout=60s"]

    def start_server(self):
        binary = self.binary("CABLE_SERVER", "gateway", "all_in_one",
                             "cable-server")
        return Server("cable-server",
                      [binary, "--grpc_port=0"] + self.gateway_flags(),
                      self.logdir)

    def start_generators(self, clients, ports, subs=1, streams=1, slow=0.0,
                         procs=None, connect_rate=6000, extra=()):
        """Splits `clients` over generator processes (>= 2 from 1,000 on,
        at most 9,000 each); process p connects to ports[p % len(ports)]."""
        if procs is None:
            procs = 1 if clients < 1000 else max(2, math.ceil(clients / 9000))
        self.room_seq += 1
        prefix = f"b{self.room_seq}-"
        gens = []
        offset = 0
        for p in range(procs):
            n = clients // procs + (1 if p < clients % procs else 0)
            gens.append(Generator(self.loadgen(), [
                f"--port={ports[p % len(ports)]}", f"--clients={n}",
                f"--client_offset={offset}",
                f"--subscriptions_per_client={subs}", f"--streams={streams}",
                f"--room_prefix={prefix}", f"--slow_fraction={slow}",
                "--threads=1", f"--connect_rate={connect_rate / procs}",
                f"--max_inflight_connects={max(16, 512 // procs)}",
                "--source_addresses=8", "--connect_timeout=300",
            ] + list(extra)))
            offset += n
        ready = [g.event("ready", 330) for g in gens]
        agg = {
            "clients": sum(r["clients"] for r in ready),
            "ready": sum(r["ready"] for r in ready),
            "failed": sum(r["failed"] + r["rejected"] for r in ready),
            "slow": sum(r["slow"] for r in ready),
            "connect_span_s": max(r["connect_span_s"] for r in ready),
            "ready_p99_ms": max(float(r["ready_p99_ms"]) for r in ready),
        }
        agg["connect_rate"] = (agg["ready"] / agg["connect_span_s"]
                               if agg["connect_span_s"] > 0 else 0)
        if agg["ready"] < agg["clients"]:
            print(f"  warning: only {agg['ready']} of {agg['clients']} "
                  f"clients connected and subscribed", file=sys.stderr)
        return gens, prefix, agg

    def publish(self, grpc_port, step, rate, duration, streams, prefix):
        argv = [self.loadgen(), "--mode=publish",
                f"--grpc=127.0.0.1:{grpc_port}", f"--rate={rate}",
                f"--duration={duration}", f"--step={step}",
                f"--streams={streams}", f"--room_prefix={prefix}",
                # Several messages due at once share one BroadcastBatch;
                # each keeps its own intended send time.
                f"--max_batch={1 if rate < 1000 else 64}"]
        out = subprocess.run(argv, capture_output=True, text=True,
                             timeout=duration + 120)
        for line in out.stdout.splitlines():
            if line.startswith('{"event":"published"'):
                return json.loads(line)
        raise RuntimeError("publisher failed: " + out.stderr[-2000:])

    def step(self, gens, gateways, grpc_port, step, rate, duration, streams,
             prefix, wait_ms, sample_rss=False):
        """One publish step: returns the merged figures."""
        for g in gens:
            g.send(f"step {step}")
        for g in gens:
            g.event("step", 60)
        before = [gw.sample() for gw in gateways]
        rss_max = [0]
        stop = threading.Event()

        def sampler():
            while not stop.wait(0.25):
                try:
                    rss_max[0] = max(rss_max[0],
                                     sum(gw.sample()["rss"] for gw in gateways))
                except OSError:
                    pass

        t = threading.Thread(target=sampler, daemon=True)
        t.start()
        pub = self.publish(grpc_port, step, rate, duration, streams, prefix)
        for g in gens:
            g.send(f"report {step} {pub['published']} {wait_ms}")
        reports = [g.event("report", wait_ms / 1000 + 60) for g in gens]
        stop.set()
        t.join()
        exited = [gw.name for gw in gateways if gw.proc.poll() is not None]
        if exited:
            raise RuntimeError(
                f"{', '.join(exited)} exited during step {step} (rate "
                f"{rate}/s): status {gateways[0].proc.returncode}; see "
                f"{self.logdir}")
        after = [gw.sample() for gw in gateways]
        hist = {}
        for r in reports:
            for value, count in r["hist"]:
                hist[value] = hist.get(value, 0) + count
        received = sum(r["received"] for r in reports)
        expected = sum(r["expected"] for r in reports)
        cpu = sum(a["cpu"] - b["cpu"] for a, b in zip(after, before))
        res = {
            "rate": rate, "duration_s": duration,
            "published": pub["published"], "publish_errors": pub["errors"],
            "publisher_lag_max_ms": float(pub["lag_max_ms"]),
            "expected": expected, "received": received,
            "lost": sum(r["lost"] for r in reports),
            "late": sum(r["late"] for r in reports),
            "reordered": sum(r["reordered"] for r in reports),
            "closed": sum(r["closed"] for r in reports),
            "slow_closed": sum(r["slow_closed"] for r in reports),
            "deliveries_per_s": received / duration,
            "gateway_cpu_s": cpu,
            "cpu_s_per_million": cpu / received * 1e6 if received else None,
            "gateway_rss_mb": sum(a["rss"] for a in after) / 2**20,
            "gateway_rss_max_mb": max(rss_max[0],
                                      sum(a["rss"] for a in after)) / 2**20,
        }
        res.update({k + "_ms": v for k, v in percentiles(hist).items()})
        return res

    # ------------------------------------------------------- scenarios

    def run_steps(self, name, gens, gateways, grpc_port, rates, streams,
                  prefix, duration, wait_ms, extra=None):
        steps = []
        for i, rate in enumerate(rates, 1):
            d = min(max(duration, 10.0 / rate), 3 * duration)
            res = self.step(gens, gateways, grpc_port, i, rate, d, streams,
                            prefix, wait_ms)
            if extra:
                res.update(extra)
            steps.append(res)
            self.row(name, res)
            # The knee is the last step with p99 <= 50 ms and no loss; past
            # it the steps go on (to find the lossless throughput) until a
            # loss, a p99 over SATURATED_MS, or the server falls behind.
            if (res["lost"] > 0 or res["p99_ms"] is None or
                    res["p99_ms"] > SATURATED_MS or res["publish_errors"] or
                    (res["p99_ms"] > P99_LIMIT_MS and self.quick)):
                break
        lossless = [s for s in steps if s["lost"] == 0 and
                    s["p99_ms"] is not None and not s["publish_errors"]]
        ok = [s for s in lossless if s["p99_ms"] <= P99_LIMIT_MS]
        knee = max((s["deliveries_per_s"] for s in ok), default=0)
        at_knee = [s for s in ok if s["deliveries_per_s"] == knee]
        self.knee_cpu = at_knee[0]["cpu_s_per_million"] if at_knee else None
        self.max_lossless = max((s["deliveries_per_s"] for s in lossless
                                 if s["p99_ms"] <= SATURATED_MS), default=0)
        return steps, knee

    def scenario_idle(self):
        out = {}
        counts = [300] if self.quick else [10000, 19500]
        for n in counts:
            server = self.start_server()
            gens = []
            try:
                time.sleep(0.5)
                before = server.sample()
                gens, _, conn = self.start_generators(
                    n, [server.http_port], streams=max(1, n // 10),
                    connect_rate=20000)
                mid = server.sample()
                time.sleep(2 if self.quick else 10)  # idle: pings only
                after = server.sample()
                per_conn = (after["rss"] - before["rss"]) / max(1, conn["ready"])
                res = dict(conn)
                res.update({
                    "connections": conn["ready"],
                    "gateway_rss_before_mb": before["rss"] / 2**20,
                    "gateway_rss_after_mb": after["rss"] / 2**20,
                    "rss_per_connection_kb": per_conn / 1024,
                    "connect_cpu_s": mid["cpu"] - before["cpu"],
                    "idle_cpu_s_per_s": (after["cpu"] - mid["cpu"]) /
                                        (2 if self.quick else 10),
                })
                out[str(n)] = res
                print(f"  idle {conn['ready']:>6} conns: "
                      f"{res['rss_per_connection_kb']:.2f} KB/conn, "
                      f"connect {conn['connect_rate']:.0f}/s, "
                      f"{res['connect_cpu_s']:.2f} CPU s to connect, "
                      f"{res['idle_cpu_s_per_s']:.3f} CPU s/s idle")
            finally:
                for g in gens:
                    g.stop()
                server.stop()
        return out

    def fanout(self, name, clients, rates, ports_gateways, grpc_port,
               subs=1, streams=1, duration=5.0):
        ports, gateways = ports_gateways
        gens, prefix, conn = self.start_generators(clients, ports, subs=subs,
                                                   streams=streams)
        try:
            steps, knee = self.run_steps(
                name, gens, gateways, grpc_port, rates, streams, prefix,
                duration, wait_ms=10000 if self.quick else 5000)
        finally:
            for g in gens:
                g.stop()
        return {"connect": conn, "steps": steps, "knee_deliveries_per_s": knee,
                "knee_cpu_s_per_million": self.knee_cpu,
                "max_lossless_deliveries_per_s": self.max_lossless}

    def one_server_fanout(self, name, clients, rates, quick_clients,
                          quick_rates):
        """Fan-out on one stream of one cable-server."""
        server = self.start_server()
        try:
            if self.quick:
                return self.fanout(name, quick_clients, quick_rates, (
                    [server.http_port], [server]), server.grpc_port,
                    duration=2)
            return self.fanout(name, clients, rates,
                               ([server.http_port], [server]),
                               server.grpc_port)
        finally:
            server.stop()

    def scenario_fanout(self):
        return self.one_server_fanout(
            "fanout", 10000, [1, 10, 50, 100, 200, 300, 500, 1000],
            300, [10, 100])

    def scenario_knee(self):
        return self.one_server_fanout(
            "knee", 1000, [100, 200, 300, 500, 700, 1000, 1500, 2000],
            100, [100, 1000])

    def scenario_streams(self):
        server = self.start_server()
        try:
            if self.quick:
                return self.fanout("streams", 300, [100, 1000],
                                   ([server.http_port], [server]),
                                   server.grpc_port, subs=5, streams=300,
                                   duration=2)
            return self.fanout(
                "streams", 10000, [1000, 5000, 10000, 20000, 40000, 80000],
                ([server.http_port], [server]), server.grpc_port, subs=5,
                streams=10000)
        finally:
            server.stop()

    def scenario_slow(self):
        server = self.start_server()
        gens = []
        try:
            n = 300 if self.quick else 10000
            rate = 50 if self.quick else 50
            duration = 8 if self.quick else 30
            gens, prefix, conn = self.start_generators(
                n, [server.http_port], slow=0.01)
            res = self.step(gens, [server], server.grpc_port, 1, rate,
                            duration, 1, prefix, 10000)
            for g in gens:
                g.send("resume_slow 3000")
            slow = [g.event("slow", 60) for g in gens]
            res.update({
                "slow_clients": sum(s["slow"] for s in slow),
                "slow_closed_by_server": sum(s["closed_by_server"]
                                             for s in slow),
                "slow_told_too_slow": sum(s["told_too_slow"] for s in slow),
                "gateway_slow_disconnects": metric(
                    server.http_port, "cable_slow_disconnects_total"),
            })
            self.row("slow", res)
            print(f"  slow readers: {res['slow_closed_by_server']} of "
                  f"{res['slow_clients']} disconnected by the server "
                  f"({res['slow_told_too_slow']} saw too_slow); gateway RSS "
                  f"max {res['gateway_rss_max_mb']:.1f} MB")
            return {"connect": conn, "steps": [res]}
        finally:
            for g in gens:
                g.stop()
            server.stop()

    def scenario_nats(self):
        nats_bin = (os.environ.get("NATS_SERVER") or shutil.which("nats-server")
                    or "/usr/sbin/nats-server")
        nats = Nats(nats_bin, self.logdir)
        service = None
        gws = []
        try:
            service = Server("cable-service", [
                self.binary("CABLE_SERVICE", "service", "cable_service",
                            "cable-service"),
                "--nats_url=" + nats.url, "--host=127.0.0.1", "--grpc_port=0",
                "--internal_port=0", "--metrics_port=0", "--log_level=warn"],
                self.logdir)
            for i in range(2):
                gws.append(Server(f"cable-gateway-{i}", [
                    self.binary("CABLE_GATEWAY", "gateway", "cable_gateway",
                                "cable-gateway"),
                    "--nats_url=" + nats.url,
                    f"--service=127.0.0.1:{service.internal_port}"]
                    + self.gateway_flags(), self.logdir))
            time.sleep(0.5)
            ports = [g.http_port for g in gws]
            others = [service, nats]
            before = [proc_sample(p.pid) for p in others]
            if self.quick:
                out = self.fanout("nats", 300, [10, 100], (ports, gws),
                                  service.grpc_port, duration=2)
            else:
                out = self.fanout("nats", 10000,
                                  [1, 10, 50, 100, 200, 300, 500, 1000],
                                  (ports, gws), service.grpc_port)
            after = [proc_sample(p.pid) for p in others]
            out["service_cpu_s"] = after[0]["cpu"] - before[0]["cpu"]
            out["nats_cpu_s"] = after[1]["cpu"] - before[1]["cpu"]
            return out
        finally:
            for g in gws:
                g.stop()
            if service:
                service.stop()
            nats.stop()

    def scenario_floor(self):
        out = {}
        n = 300 if self.quick else 9000
        for per_write in (1, 4):
            argv = [self.binary("CABLE_FLOOR", "tests", "bench", "cable-floor"),
                    f"--connections={n}", "--messages=20", "--bytes=300",
                    f"--frames_per_write={per_write}"]
            done = subprocess.run(argv, capture_output=True, text=True,
                                  timeout=300)
            if done.returncode != 0:
                raise RuntimeError("cable-floor failed: " + done.stderr[-2000:])
            res = json.loads(done.stdout.strip().splitlines()[-1])
            out[f"frames_per_write_{per_write}"] = res
            print(f"  floor {n} sockets, {per_write} frame(s) per write: "
                  f"{res['cpu_us_per_write']:.2f} CPU us per write "
                  f"({res['cpu_us_per_frame']:.2f} per frame, "
                  f"{1e6 / res['cpu_us_per_frame']:.0f} frames per CPU s), "
                  f"one round to all {res['round_ms_p50']:.1f} ms, "
                  f"receiver {res['receiver_cpu_us_per_frame']:.2f} CPU us "
                  f"per frame", flush=True)
        return out

    def scenario_smoke(self):
        server = self.start_server()
        try:
            out = self.fanout("smoke", 200, [20, 200],
                              ([server.http_port], [server]), server.grpc_port,
                              subs=2, streams=20, duration=2)
        finally:
            server.stop()
        conn = out["connect"]
        problems = []
        if conn["ready"] != 200:
            problems.append(f"{conn['ready']} of 200 clients ready")
        if len(out["steps"]) != 2:
            problems.append(f"{len(out['steps'])} of 2 steps ran")
        for s in out["steps"]:
            if s["lost"] or s["received"] != s["expected"] or not s["expected"]:
                problems.append(f"rate {s['rate']}: received {s['received']} "
                                f"of {s['expected']}")
            if s["p99_ms"] is None or s["p50_ms"] is None:
                problems.append(f"rate {s['rate']}: no latency figures")
            if s["cpu_s_per_million"] is None:
                problems.append(f"rate {s['rate']}: no CPU figure")
        # Loss or high p99 stops a step series early; the smoke test cares
        # about loss only (a loaded CI machine may be slow).
        out["problems"] = problems
        return out

    # ---------------------------------------------------------- output

    HEADER = (f"{'scenario':<8} {'rate/s':>7} {'deliv/s':>9} {'p50 ms':>8} "
              f"{'p90 ms':>8} {'p99 ms':>8} {'p99.9':>8} {'max ms':>8} "
              f"{'lost':>6} {'CPUs/M':>7} {'RSS MB':>7}")

    def row(self, name, r):
        def f(v, w, p=2):
            return f"{v:>{w}.{p}f}" if isinstance(v, (int, float)) else \
                f"{'-':>{w}}"
        print(f"{name:<8} {r['rate']:>7} {r['deliveries_per_s']:>9.0f} "
              f"{f(r['p50_ms'], 8)} {f(r['p90_ms'], 8)} {f(r['p99_ms'], 8)} "
              f"{f(r['p999_ms'], 8)} {f(r['max_ms'], 8)} {r['lost']:>6} "
              f"{f(r['cpu_s_per_million'], 7)} {r['gateway_rss_mb']:>7.1f}",
              flush=True)


SCENARIOS = ["idle", "fanout", "knee", "streams", "slow", "nats", "floor"]


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
    print(Bench.HEADER, flush=True)
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
            c = res["connect"]
            print(f"  {name}: {c['ready']}/{c['clients']} clients, connect "
                  f"{c['connect_rate']:.0f}/s"
                  + (f", knee (p99 <= {P99_LIMIT_MS:.0f} ms) "
                     f"{res['knee_deliveries_per_s']:.0f} deliveries/s"
                     + (f" ({1e6 / res['knee_cpu_s_per_million']:.0f} per "
                        f"gateway CPU s)" if res.get("knee_cpu_s_per_million")
                        else "") + ", "
                     f"lossless up to "
                     f"{res['max_lossless_deliveries_per_s']:.0f}/s"
                     if "knee_deliveries_per_s" in res else ""), flush=True)
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
