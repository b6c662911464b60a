#!/usr/bin/env python3
"""The rendered chart, run: every Deployment and StatefulSet of
`helm template -f helm/cable/ci/loopback-values.yaml` (or of the values
files given as arguments, relative to helm/cable/ci, layered in order)
started as local processes with exactly their command, args and env (Secret values
substituted), on loopback addresses (localcluster.py says how names, ports,
volumes and commands are mapped), then:

1. the bundled NATS StatefulSet (its rendered nats.conf) forms a 3-node
   JetStream cluster; services, then gateways, start and pass their
   rendered startup, readiness and liveness probes within their budgets;
2. the chart's helm test Pod runs (its rendered script, command and env):
   WebSocket subscribe, Publisher Broadcast, message received;
3. with 8 clients subscribed across both gateways and a publisher sending
   numbered broadcasts through the Publisher Service, one service pod and
   then one gateway pod are deleted as Kubernetes would (out of the
   endpoints, preStop, SIGTERM, SIGKILL only after the grace period). The
   gateway's clients must get disconnect{server_restart, reconnect: true}
   after every message acknowledged before its preStop began, and reconnect
   to the other gateway; every broadcast must be accepted, and every client
   must receive every message published while it was subscribed, in order,
   once;
4. the helm test runs again against what is left.

With gateway.tls.secretName set (ci/loopback-gateway-tls-values.yaml), the
Secret it names is made here (gateway_tls.py: a test CA and a certificate
for the gateway Service, made with the openssl program), the probes speak
HTTPS, every client wss:// verifying against its ca.crt, and before step 3
each gateway must refuse plaintext and serve that certificate, and a
renewal must reach new connections on SIGHUP only (gateway_tls.py).

Environment: CABLE_HELM (helm binary), CABLE_GATEWAY, CABLE_SERVICE,
CABLE_SERVER (paths of the binaries), NATS_SERVER (default
/usr/sbin/nats-server), CABLE_WORK_DIR (optional; default a temp folder),
OPENSSL (the openssl program, for gateway TLS; default: from PATH).
Run it with a Python whose grpc is Debian's python3-grpcio and that has
PyYAML (the venv tests/helm makes with --system-site-packages).
"""

import importlib.util
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True

import yaml  # noqa: E402

import gateway_tls  # noqa: E402
import localcluster  # noqa: E402
import rendered as rmod  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parents[2]
CHART = REPO / "helm" / "cable"
DEFAULT_VALUES = ["loopback-values.yaml"]
RELEASE, NAMESPACE = "cable", "cable-loopback"
CLIENTS = 8
RATE = 100  # broadcasts per second


def say(line):
    print(f"loopback: {line}", flush=True)


class Failed(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failed(message)


def load_roundtrip():
    spec = importlib.util.spec_from_file_location("roundtrip", CHART / "files" / "roundtrip.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def generate_stubs(out_dir):
    """The Publisher stubs, as the image's test stage makes them."""
    os.makedirs(out_dir, exist_ok=True)
    subprocess.run(
        [shutil.which("protoc") or "/usr/bin/protoc", f"-I{REPO / 'proto'}",
         f"--python_out={out_dir}", f"--grpc_python_out={out_dir}",
         "--plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin",
         "cable/v1/publisher.proto"], check=True, timeout=60)
    sys.path.insert(0, out_dir)
    return out_dir


class Subscriber(threading.Thread):
    """An Action Cable client that reconnects as @rails/actioncable does
    after a disconnect, and records every message per connection."""

    def __init__(self, rt, url, origin, room, stop, tls_context=None):
        super().__init__(daemon=True)
        self.rt, self.url, self.origin, self.room, self.stop = rt, url, origin, room, stop
        self.tls_context = tls_context
        self.segments = []
        self.error = None
        self.confirmed = threading.Event()

    def last_seq(self):
        for seg in reversed(self.segments):
            if seg["seqs"]:
                return seg["seqs"][-1]
        return 0

    def run(self):
        try:
            while not self.stop.is_set():
                client = self.rt.connect_with_retry(self.url, self.origin, time.monotonic() + 20,
                                                    self.tls_context)
                seg = {"gateway": client.sid.split(".", 1)[0], "seqs": [], "disconnect": None}
                ident = client.subscribe({"channel": "ChatChannel", "room": self.room})
                seg["confirmed_at"] = time.monotonic()
                self.segments.append(seg)
                self.confirmed.set()
                while True:
                    try:
                        frame = client.next_frame(time.monotonic() + 0.3)
                    except TimeoutError:
                        if self.stop.is_set():
                            client.close()
                            return
                        continue
                    except (ConnectionError, OSError):
                        frame = None
                    if frame is None:
                        seg["closed_at"] = time.monotonic()
                        break
                    if frame.get("type") == "disconnect":
                        seg["disconnect"] = frame
                        seg["disconnect_at"] = time.monotonic()
                    elif frame.get("identifier") == ident and "message" in frame:
                        seg["seqs"].append(frame["message"]["seq"])
                if seg["disconnect"] is None:
                    raise Failed(f"connection to {seg['gateway']} closed without a disconnect")
        except Exception as e:  # reported by the main thread
            self.error = f"{type(e).__name__}: {e}"


class Publisher(threading.Thread):
    """Numbered broadcasts, one after another, through the Publisher
    Service. UNAVAILABLE (no connection) is retried, and so is CANCELLED,
    which a service answers for calls that reach it as it shuts down; a
    retry that published twice would show as a duplicate at the clients,
    which fails the test."""

    def __init__(self, rt, target, key, stream):
        super().__init__(daemon=True)
        self.rt, self.target, self.key, self.stream = rt, target, key, stream
        self.stop = threading.Event()
        self.records = []
        self.error = None

    def run(self):
        import grpc

        try:
            with self.rt.publisher_channel(self.target) as channel:
                seq = 0
                while not self.stop.is_set():
                    seq += 1
                    rec = {"seq": seq, "started": time.monotonic(), "retries": 0, "cancelled": 0}
                    while True:
                        try:
                            accepted = self.rt.broadcast(channel, self.key, self.stream,
                                                         json.dumps({"seq": seq}), 5)
                            break
                        except grpc.RpcError as e:
                            if rec["retries"] + rec["cancelled"] >= 50:
                                raise
                            if e.code() == grpc.StatusCode.UNAVAILABLE:
                                rec["retries"] += 1
                            elif e.code() == grpc.StatusCode.CANCELLED:
                                rec["cancelled"] += 1
                            else:
                                raise
                            time.sleep(0.05)
                    if accepted != 1:
                        raise Failed(f"Broadcast {seq} accepted {accepted}")
                    rec["acked"] = time.monotonic()
                    self.records.append(rec)
                    time.sleep(1 / RATE)
        except Exception as e:
            self.error = f"{type(e).__name__}: {e}"


def component(obj):
    return obj["spec"]["template"]["metadata"]["labels"].get("app.kubernetes.io/component")


def start_everything(cluster):
    order = {"nats": 0, "service": 1, "gateway": 2}
    workloads = sorted(cluster.workloads.values(), key=lambda w: order.get(component(w.obj), 9))
    for w in workloads:
        cluster.start_workload(w.name)
        times = cluster.wait_ready(w.name)
        ports = ", ".join(f"{c}->{p}" for c, p in sorted(w.port_map.items()))
        for pod in w.pods:
            seconds, restarts = times[pod.name]
            again = "".join(f"; restarted after: {r[:160]}" for r in restarts)
            say(f"{w.kind} {pod.name} at {pod.ip} (ports {ports}) ready in {seconds:.1f} s{again}")
        say(f"  {w.name}: {' '.join(os.path.basename(a) if i == 0 else a for i, a in enumerate(w.pods[0].argv))}")


def run_helm_test(cluster, r, label, tls=False):
    pods = r.test_pods()
    check(len(pods) == 1, f"expected one helm test Pod, found {len(pods)}")
    code, out, err, _ = cluster.run_test_pod(pods[0], timeout=90)
    check(code == 0, f"helm test Pod ({label}) exited {code}: {err.strip() or out.strip()}")
    if tls:  # the Secret has a ca.crt here: the test must have used it
        check("(wss://" in out and "certificate verified" in out,
              f"helm test Pod ({label}) did not verify the gateways' certificate: {out.strip()}")
    say(f"helm test ({label}): {out.strip()}")


def shutdown_scenario(cluster, r, rt, test_env, tls_context):
    gateways = next(w for w in cluster.workloads.values() if component(w.obj) == "gateway")
    services = next(w for w in cluster.workloads.values() if component(w.obj) == "service")
    url = cluster.resolve(test_env["CABLE_TEST_WS_URL"])
    url += "?token=" + rt.hs256_token(test_env["CABLE_TEST_JWT_SECRET"], "loopback")
    publisher_target = cluster.resolve(test_env["CABLE_TEST_PUBLISHER"])
    key = test_env["CABLE_TEST_API_KEY"].split(",")[0]
    room = "loopback"
    stop = threading.Event()
    subs = [Subscriber(rt, url, test_env.get("CABLE_TEST_ORIGIN"), room, stop, tls_context)
            for _ in range(CLIENTS)]
    for s in subs:
        s.start()
        check(s.confirmed.wait(20), f"a client was not subscribed within 20 s: {s.error}")
    first = {s.segments[0]["gateway"] for s in subs}
    check(first == {p.name for p in gateways.pods},
          f"clients should be spread over every gateway, got {sorted(first)}")
    say(f"{CLIENTS} clients subscribed to chat:{room} through the gateway Service "
        f"({sum(s.segments[0]['gateway'] == gateways.pods[0].name for s in subs)} on each of "
        f"{len(gateways.pods)} gateways)")

    pub = Publisher(rt, publisher_target, key, f"chat:{room}")
    pub.start()
    time.sleep(1)
    victim_service = services.pods[0]
    svc = cluster.terminate(victim_service)
    check(not svc["killed"] and svc["code"] == 0,
          f"{victim_service.name}: exit {svc['code']}, killed={svc['killed']}\n"
          f"{victim_service.log('stderr')[-2000:]}")
    say(f"deleted service pod {victim_service.name} under load: preStop {svc['pre_stop_s']:.1f} s, "
        f"SIGTERM -> exit {svc['code']} after {svc['exit_after_sigterm_s']:.2f} s "
        f"(grace {svc['grace']} s)")
    time.sleep(0.5)
    victim = gateways.pods[0]
    term_start = time.monotonic()
    acked_before_prestop = max((p["seq"] for p in pub.records if p["acked"] <= term_start), default=0)
    gw = cluster.terminate(victim)
    acked_before_sigterm = max((p["seq"] for p in pub.records if p["acked"] <= gw["sigterm_at"]), default=0)
    check(not gw["killed"] and gw["code"] == 0,
          f"{victim.name}: exit {gw['code']}, killed={gw['killed']}\n{victim.log('stderr')[-2000:]}")
    say(f"deleted gateway pod {victim.name}: preStop {gw['pre_stop_s']:.1f} s, SIGTERM -> exit "
        f"{gw['code']} after {gw['exit_after_sigterm_s']:.2f} s (grace {gw['grace']} s)")

    moved = [s for s in subs if s.segments[0]["gateway"] == victim.name]
    deadline = time.monotonic() + 20
    while any(len(s.segments) < 2 and not s.error for s in moved) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1)
    pub.stop.set()
    pub.join(15)
    check(pub.error is None, f"publisher: {pub.error}")
    n = pub.records[-1]["seq"]
    deadline = time.monotonic() + 15
    while any(s.last_seq() < n and not s.error for s in subs) and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    for s in subs:
        s.join(5)
    retries = sum(p["retries"] for p in pub.records)
    cancelled = [p["seq"] for p in pub.records if p["cancelled"]]
    check([p["seq"] for p in pub.records] == list(range(1, n + 1)), "a broadcast was skipped")
    publisher_line = (f"publisher: {n} broadcasts accepted through the Publisher Service, none failed; "
        f"retried: {retries} after UNAVAILABLE, {len(cancelled)} after CANCELLED from the "
        f"terminating service {cancelled} (no client got any message twice, so none had "
        "been published)")

    started = {p["seq"]: p["started"] for p in pub.records}
    for i, s in enumerate(subs):
        check(s.error is None, f"client {i}: {s.error}")
        segs = s.segments
        if segs[0]["gateway"] != victim.name:
            check(len(segs) == 1, f"client {i} on {segs[0]['gateway']} was disconnected")
            check(segs[0]["seqs"] == list(range(1, n + 1)),
                  f"client {i} on {segs[0]['gateway']}: got {len(segs[0]['seqs'])} of {n}, "
                  f"not 1..{n} in order once")
            continue
        d = segs[0]["disconnect"]
        check(d == {"type": "disconnect", "reason": "server_restart", "reconnect": True},
              f"client {i}: expected disconnect server_restart, got {d}")
        k = len(segs[0]["seqs"])
        check(segs[0]["seqs"] == list(range(1, k + 1)), f"client {i}: gap or repeat before the disconnect")
        check(k >= acked_before_prestop,
              f"client {i}: had {k} messages at the disconnect, {acked_before_prestop} were "
              "acknowledged before the preStop began")
        check(len(segs) == 2 and segs[1]["gateway"] != victim.name,
              f"client {i} did not reconnect to another gateway: {[g['gateway'] for g in segs]}")
        after = segs[1]["seqs"]
        due = [q for q in range(1, n + 1) if started[q] > segs[1]["confirmed_at"]]
        check(after and after == list(range(after[0], n + 1)) and after[0] > k,
              f"client {i}: after reconnecting got {after[:3]}..{after[-3:]}, not a run to {n}")
        check(not due or after[0] <= due[0],
              f"client {i}: missed {due[0]} published after its resubscription")
    say(publisher_line)
    stayed = [s for s in subs if s not in moved]
    gaps = [s.segments[1]["seqs"][0] - len(s.segments[0]["seqs"]) - 1 for s in moved]
    say(f"{len(stayed)} clients on {gateways.pods[1].name}: every one of the {n} messages, "
        f"in order, once")
    say(f"{len(moved)} clients on {victim.name}: disconnect {{reason: server_restart, reconnect: "
        f"true}} after at least messages 1..{min(len(s.segments[0]['seqs']) for s in moved)} "
        f"(acknowledged before preStop: {acked_before_prestop}, before SIGTERM: "
        f"{acked_before_sigterm}); reconnected to {gateways.pods[1].name} and got every message "
        f"published after resubscribing, in order, once (published while reconnecting, "
        f"before their new subscription: {min(gaps)}-{max(gaps)})")


def merged(base, over):
    """helm's merge of values files: maps merge, anything else is replaced."""
    out = dict(base)
    for k, v in over.items():
        out[k] = merged(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def make_gateway_tls(cluster, r, secret_name, workdir):
    """The Secret gateway.tls.secretName names, made and added to the
    render; its certificate names the gateway Service and the addresses
    that stand in for it and its pods here."""
    gateways = next(w for w in cluster.workloads.values() if component(w.obj) == "gateway")
    svc = next(s for s in r.kind("Service")
               if rmod.selects(s["spec"]["selector"], gateways.pods[0].labels))
    vip = cluster.vips[(svc["metadata"]["name"], svc["spec"]["ports"][0]["port"])].address[0]
    openssl = os.environ.get("OPENSSL") or shutil.which("openssl") or "/usr/bin/openssl"
    tls = gateway_tls.GatewayTls(os.path.join(workdir, "gateway-tls"), openssl,
                                 r.dns_names(svc["metadata"]["name"]),
                                 [vip] + [p.ip for p in gateways.pods])
    r.add(tls.secret(secret_name, NAMESPACE))
    say(f"Secret {secret_name} (kubernetes.io/tls, with ca.crt) made with a test CA; its "
        f"certificate names {svc['metadata']['name']} and {vip} (the Service's address here)")
    return tls, gateways


def main():
    for var in ("CABLE_HELM", "CABLE_GATEWAY", "CABLE_SERVICE"):
        if not os.environ.get(var):
            print(f"loopback: {var} is not set", file=sys.stderr)
            return 2
    nats = os.environ.get("NATS_SERVER") or "/usr/sbin/nats-server"
    workdir = os.environ.get("CABLE_WORK_DIR") or tempfile.mkdtemp(prefix="cable-loopback-")
    if os.path.isdir(os.path.join(workdir, "pods")):
        shutil.rmtree(os.path.join(workdir, "pods"))
    os.makedirs(workdir, exist_ok=True)
    began = time.monotonic()
    value_files = [CHART / "ci" / f for f in (sys.argv[1:] or DEFAULT_VALUES)]
    objects = rmod.helm_template(os.environ["CABLE_HELM"], str(CHART), [str(f) for f in value_files],
                                 RELEASE, NAMESPACE)
    values = {}
    for f in value_files:
        values = merged(values, yaml.safe_load(f.read_text()) or {})
    r = rmod.Rendered(objects, NAMESPACE, values.get("clusterDomain", "cluster.local"))
    sources = " + ".join(str(f.relative_to(REPO)) for f in value_files)
    say(f"rendered {len(objects)} objects from {sources} "
        f"({', '.join(f'{len(v)} {k}' for k, v in sorted(r.by_kind.items()))})")
    stubs = generate_stubs(os.path.join(workdir, "stubs"))
    rt = load_roundtrip()
    commands = {
        "cable-gateway": os.environ["CABLE_GATEWAY"],
        "cable-service": os.environ["CABLE_SERVICE"],
        "cable-server": os.environ.get("CABLE_SERVER", "cable-server"),
        "nats-server": nats,
        "python3": "/usr/bin/python3",
        "sleep": shutil.which("sleep") or "/bin/sleep",
    }
    cluster = localcluster.LocalCluster(r, workdir, commands, {"/opt/cable/python": stubs})
    secret_name = ((values.get("gateway") or {}).get("tls") or {}).get("secretName")
    ok = False
    try:
        tls, tls_context = None, None
        if secret_name:
            tls, gateways = make_gateway_tls(cluster, r, secret_name, workdir)
            tls_context = tls.client_context()
        start_everything(cluster)
        test_pod = r.test_pods()[0]
        test_env = rmod.container_env(test_pod["spec"]["containers"][0], r, "test", "127.77.249.1")
        run_helm_test(cluster, r, "all pods up", tls=bool(tls))
        if tls:
            check(test_env["CABLE_TEST_WS_URL"].startswith("wss://"), "the helm test does not use wss://")
            gateway_tls.check_gateways(cluster, gateways, tls, say)
            url = cluster.resolve(test_env["CABLE_TEST_WS_URL"]) + "?token=" + \
                rt.hs256_token(test_env["CABLE_TEST_JWT_SECRET"], "loopback")
            gateway_tls.check_rotation(
                cluster, gateways, tls, rt, url, test_env.get("CABLE_TEST_ORIGIN"),
                cluster.resolve(test_env["CABLE_TEST_PUBLISHER"]),
                test_env["CABLE_TEST_API_KEY"].split(",")[0], say)
        shutdown_scenario(cluster, r, rt, test_env, tls_context)
        run_helm_test(cluster, r, "after the deletions", tls=bool(tls))
        ok = True
    except (Failed, localcluster.LoopbackError, gateway_tls.TlsFailed) as e:
        print(f"loopback: FAILED: {e}", file=sys.stderr)
    finally:
        cluster.stop_all()
        if not ok:
            for w in cluster.workloads.values():
                for pod in w.pods:
                    tail = pod.log("stderr")[-1500:]
                    if tail:
                        print(f"--- {pod.name} stderr (tail)\n{tail}", file=sys.stderr)
    say(f"{'passed' if ok else 'FAILED'} in {time.monotonic() - began:.1f} s (work folder {workdir})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
