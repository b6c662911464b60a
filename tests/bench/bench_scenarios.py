"""The benchmark's scenarios (run.py --help describes each): one method
scenario_NAME per scenario, each returning its results as a dict."""

import json
import os
import shutil
import subprocess
import time

import bench_table
from bench_processes import Nats, Server, metric, proc_sample
from bench_steps import P99_LIMIT_MS, Harness

SCENARIOS = ["idle", "fanout", "knee", "streams", "slow", "nats", "floor",
             "history"]


class Bench(Harness):
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

    def scenario_fanout(self):
        return self.one_server_fanout(
            "fanout", 10000, [1, 10, 50, 100, 200, 300, 500, 1000],
            300, [10, 100])

    def scenario_history(self):
        """The fan-out row at 10 msg/s twice, one run each: with the
        server's default history (every broadcast appended and enveloped)
        and with history off."""
        out = {}
        for name, limit in (("hist-on", 100), ("hist-off", 0)):
            res = self.one_server_fanout(
                name, 10000, [10], 300, [10],
                server_flags=[f"--history_limit={limit}"])
            res["history_limit"] = limit
            bench_table.summary(name, res, P99_LIMIT_MS)
            out[name] = res
        return out

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
            bench_table.row("slow", res)
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
