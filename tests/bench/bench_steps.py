"""The benchmark's harness: starts cable-server and the generators, runs
publish steps (publisher, generators' reports, the gateways' CPU and RSS
around each) and series of steps up to the knee."""

import json
import math
import os
import subprocess
import sys
import tempfile
import threading

import bench_table
from bench_processes import Generator, Server

P99_LIMIT_MS = 50.0
SATURATED_MS = 1000.0


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


class Harness:
    def __init__(self, args):
        self.args = args
        self.build = os.path.abspath(args.build)
        self.quick = args.quick
        self.logdir = tempfile.mkdtemp(prefix="cable-bench-")
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

    def start_server(self, extra=()):
        """cable-server with the gateway flags and `extra`."""
        binary = self.binary("CABLE_SERVER", "gateway", "all_in_one",
                             "cable-server")
        return Server("cable-server",
                      [binary, "--grpc_port=0"] + self.gateway_flags()
                      + list(extra), self.logdir)

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
            bench_table.row(name, res)
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
                          quick_rates, server_flags=()):
        """Fan-out on one stream of one cable-server (started with
        `server_flags`)."""
        server = self.start_server(server_flags)
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
