"""A rendered chart run as local processes: a tiny stand-in for the kubelet,
kube-proxy and cluster DNS, on loopback addresses only.

What maps to what (everything a container would bind or resolve):
- Pod IPs: each pod gets its own loopback address, 127.77.<workload>.<n>.
- Ports: every containerPort of a workload maps to one ephemeral port that
  all its replicas share (as all replicas share the containerPort); the
  port is found free on every replica's address and held until the
  workload starts. Flags and config text naming a containerPort
  (`--port=8080`, `listen: 0.0.0.0:4222`) get the mapped port, and the
  listen address (0.0.0.0) becomes the pod's address. A containerPort that
  nothing in the args, env or config names is an error.
- ClusterIP Services: a TCP proxy per Service port on 127.77.250.<n>,
  round-robin over the ready pods that are not terminating (kube-proxy).
- Headless Services: the ready pods' addresses, as DNS would answer. A gRPC
  target `dns:///<headless>:<port>` becomes `ipv4:<pod>:<p>,<pod>:<p>` (the
  same list gRPC's DNS resolver would get); `<pod>.<headless>` names become
  that pod's address.
- Volumes: ConfigMaps, Secrets, emptyDirs and volume claims become folders
  under the pod's folder; their mount paths in args, env and config files
  are rewritten to those folders. Paths inside the image are mapped by
  `image_paths` (e.g. /opt/cable/python to the stubs made here).
- Commands: the image's programs map to local binaries through `commands`
  (cable-gateway -> $CABLE_GATEWAY, nats-server -> $NATS_SERVER, ...).
- Environment: exactly the container's env (Secret values substituted);
  $(VAR) references expanded as the kubelet does.
- Probes: httpGet (HTTP, or HTTPS without verifying the certificate, as
  the kubelet does), grpc, tcpSocket and exec, within their rendered
  budgets (initialDelaySeconds + periodSeconds x failureThreshold).
- Termination: the pod leaves every endpoint list, preStop runs, then
  SIGTERM; SIGKILL only after terminationGracePeriodSeconds (a failure).
"""

import http.client
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import time

import rendered as rmod
from loopback_net import VipProxy, grpc_health_serving, reserve_shared_port

POLL = 0.1  # probe polling interval here (the rendered period is the budget)


class LoopbackError(Exception):
    """The rendered chart cannot run, or did not behave."""


# --- pods ----------------------------------------------------------------------


class LocalPod:
    """One pod of a workload: one container process (Cable's pods have one)."""

    def __init__(self, workload, name, ip, folder):
        self.workload = workload
        self.name = name
        self.ip = ip
        self.folder = folder
        self.labels = workload.spec["template"]["metadata"].get("labels", {})
        pod_spec = workload.spec["template"]["spec"]
        if len(pod_spec["containers"]) != 1:
            raise LoopbackError(f"{name}: one container per pod is all the loopback runs")
        self.container = pod_spec["containers"][0]
        self.grace = pod_spec.get("terminationGracePeriodSeconds", 30)
        self.proc = None
        self.env = {}
        self.argv = []
        self.started_at = None
        self.first_started_at = None
        self.restarts = []
        self.ready_at = None
        self.ready = False
        self.terminating = False

    def log(self, which):
        path = os.path.join(self.folder, f"{which}.log")
        return open(path, errors="replace").read() if os.path.exists(path) else ""

    def port(self, port):
        """The local port of a containerPort (number or name)."""
        return self.workload.port_map[rmod.resolve_port(self.container, port)]


class Workload:
    def __init__(self, obj, index):
        self.obj = obj
        self.kind = obj["kind"]
        self.name = obj["metadata"]["name"]
        self.spec = obj["spec"]
        self.index = index
        self.pods = []
        self.port_map = {}  # containerPort -> local port
        self.held = []


class LocalCluster:
    """The render's workloads, Services and DNS, on loopback."""

    def __init__(self, rendered, workdir, commands, image_paths):
        self.r = rendered
        self.workdir = workdir
        self.commands = commands
        self.image_paths = image_paths
        self.workloads = {}
        self.vips = {}  # (service name, service port) -> VipProxy
        self.dns = {}  # name -> ("service", Service obj) | ("pod", LocalPod, headless Service)
        self._plan()

    # -- the plan: addresses, ports, names --

    def _plan(self):
        for k, obj in enumerate(self.r.workloads(), start=1):
            w = Workload(obj, k)
            self.workloads[w.name] = w
            for n, pod_name in enumerate(rmod.pod_names(obj), start=1):
                folder = os.path.join(self.workdir, "pods", pod_name)
                os.makedirs(folder, exist_ok=True)
                w.pods.append(LocalPod(w, pod_name, f"127.77.{k}.{n}", folder))
            ips = [p.ip for p in w.pods]
            for cport in w.pods[0].container.get("ports") or []:
                port, held = reserve_shared_port(ips)
                w.port_map[cport["containerPort"]] = port
                w.held += held
        for svc in self.r.kind("Service"):
            for dns_name in self.r.dns_names(svc["metadata"]["name"]):
                self.dns[dns_name] = ("service", svc)
            if svc["spec"].get("clusterIP") == "None":
                # StatefulSet pods get <pod>.<headless> names.
                for w in self.workloads.values():
                    if w.kind == "StatefulSet" and w.spec.get("serviceName") == svc["metadata"]["name"]:
                        for pod in w.pods:
                            for dns_name in self.r.dns_names(svc["metadata"]["name"]):
                                self.dns[f"{pod.name}.{dns_name}"] = ("pod", pod, svc)
        vip = 0
        for svc in self.r.kind("Service"):
            if svc["spec"].get("clusterIP") == "None":
                continue
            vip += 1
            for sp in svc["spec"]["ports"]:
                self.vips[(svc["metadata"]["name"], sp["port"])] = VipProxy(
                    f"127.77.250.{vip}", lambda s=svc, p=sp["port"]: self.endpoints(s, p))
        names = sorted(self.dns, key=len, reverse=True)
        self.dns_re = re.compile(
            r"(?P<pre>dns:///|[a-z][a-z0-9+.-]*://)?(?<![A-Za-z0-9.-])(?P<host>"
            + "|".join(re.escape(n) for n in names) + r"):(?P<port>\d+)(?![0-9])")

    def pods_of(self, svc):
        selector = svc["spec"].get("selector") or {}
        return [p for w in self.workloads.values() for p in w.pods
                if rmod.selects(selector, p.labels)]

    def endpoints(self, svc, service_port):
        """(ip, local port) of the Service's endpoints: ready and not
        terminating (or every started pod with publishNotReadyAddresses)."""
        sp = next((p for p in svc["spec"]["ports"] if p["port"] == service_port), None)
        if sp is None:
            raise LoopbackError(f"Service {svc['metadata']['name']} has no port {service_port}")
        not_ready_ok = svc["spec"].get("publishNotReadyAddresses", False)
        out = []
        for pod in self.pods_of(svc):
            if pod.terminating or pod.proc is None:
                continue
            if pod.ready or not_ready_ok:
                out.append((pod.ip, pod.port(sp.get("targetPort", sp["port"]))))
        return out

    # -- rewriting what a container sees --

    def resolve(self, text):
        """Cluster names in `text` as a client outside the pods reaches
        them (Services' proxies, headless Services' pods)."""
        return self.rewrite(text, None, set())

    def rewrite(self, text, pod, used_ports):
        """`text` as this pod must see it locally (see the module doc)."""
        declared = {p["containerPort"] for p in pod.container.get("ports") or []} if pod else set()

        def dns_sub(m):
            pre, host, port = m.group("pre") or "", m.group("host"), int(m.group("port"))
            entry = self.dns[host]
            if entry[0] == "pod":
                _, target, svc = entry
                sp = next(p for p in svc["spec"]["ports"] if p["port"] == port)
                return f"{pre}{target.ip}:{target.port(sp.get('targetPort', port))}"
            svc = entry[1]
            if svc["spec"].get("clusterIP") != "None":
                ip, local = self.vips[(svc["metadata"]["name"], port)].address
                return f"{pre}{ip}:{local}"
            eps = self.endpoints(svc, port)
            if not eps:
                who = pod.name if pod else "the test"
                raise LoopbackError(f"{who}: {host} resolves to no ready pod yet")
            if pre == "dns:///":
                return "ipv4:" + ",".join(f"{ip}:{p}" for ip, p in eps)
            return ",".join(f"{pre}{ip}:{p}" for ip, p in eps)

        text = self.dns_re.sub(dns_sub, text)
        if pod is None:
            return text

        def listen_sub(m):
            port = int(m.group(2))
            if port not in declared:
                return m.group(0)
            used_ports.add(port)
            return f"{pod.ip}:{pod.workload.port_map[port]}"

        text = re.sub(r"(?<![\w.:\[])(0\.0\.0\.0|\[::\]):(\d+)(?![0-9])", listen_sub, text)

        flag = re.fullmatch(r"(--?[a-z][a-z0-9_]*)=(.*)", text, re.S)
        if flag:
            name, value = flag.groups()
            if value in ("0.0.0.0", "::"):
                return f"{name}={pod.ip}"
            if name.endswith("port") and value.isdigit() and int(value) in declared:
                used_ports.add(int(value))
                return f"{name}={pod.workload.port_map[int(value)]}"
        # One pass over every mount (longest first): a path already mapped
        # to this machine must not be mapped again by a shorter mount (an
        # emptyDir at /tmp would match the local path of /etc/cable/... when
        # the build folder is under /tmp).
        mapping = dict(self.path_map(pod))
        if mapping:
            alternatives = "|".join(re.escape(p) for p in mapping)  # longest first
            text = re.sub(r"(?<![\w/.-])(" + alternatives + r")(?=/|$|[\s\"',;\]])",
                          lambda m: mapping[m.group(1)], text)
        return text

    def path_map(self, pod):
        mounts = [(m["mountPath"].rstrip("/"), os.path.join(pod.folder, "fs" + m["mountPath"]))
                  for m in pod.container.get("volumeMounts") or []]
        return sorted(mounts + list(self.image_paths.items()), key=lambda x: len(x[0]), reverse=True)

    def env_rewrite(self, pod, env, used_ports):
        out = {}
        declared = {p["containerPort"] for p in pod.container.get("ports") or []}
        for k, v in env.items():
            v = self.rewrite(v, pod, used_ports)
            if v in ("0.0.0.0", "::"):
                v = pod.ip
            elif k.endswith("PORT") and v.isdigit() and int(v) in declared:
                used_ports.add(int(v))
                v = str(pod.workload.port_map[int(v)])
            out[k] = v
        return out

    def materialize_volumes(self, pod, used_ports, pod_spec):
        """Writes the pod's volumes into its folder (ConfigMap files are
        rewritten like args: ports, listen addresses, names, paths)."""
        volumes = {v["name"]: v for v in pod_spec.get("volumes") or []}
        claims = {c["metadata"]["name"] for c in pod.workload.spec.get("volumeClaimTemplates") or []}
        for m in pod.container.get("volumeMounts") or []:
            target = os.path.join(pod.folder, "fs" + m["mountPath"])
            os.makedirs(target, exist_ok=True)
            if m["name"] in claims:
                continue
            v = volumes.get(m["name"])
            if v is None:
                raise LoopbackError(f"{pod.name}: volumeMount {m['name']} has no volume")
            if "emptyDir" in v:
                continue
            if "configMap" in v:
                data = self.r.get("ConfigMap", v["configMap"]["name"])["data"]
            elif "secret" in v:
                secret = self.r.get("Secret", v["secret"]["secretName"])
                data = {k: self.r.secret_value(secret["metadata"]["name"], k)
                        for k in list(secret.get("data") or {}) + list(secret.get("stringData") or {})}
            else:
                raise LoopbackError(f"{pod.name}: volume {m['name']}: unsupported kind")
            source = v.get("configMap") or v.get("secret")
            items = source.get("items")
            if items:
                # As the kubelet does: an optional volume leaves out the
                # keys its object lacks; otherwise the pod cannot start.
                missing = [i["key"] for i in items if i["key"] not in data]
                if missing and not source.get("optional"):
                    raise LoopbackError(f"{pod.name}: volume {m['name']} lacks {missing}")
                files = {i["path"]: data[i["key"]] for i in items if i["key"] in data}
            else:
                files = data
            for path, content in files.items():
                with open(os.path.join(target, path), "w") as f:
                    f.write(self.rewrite(content, pod, used_ports))

    # -- running --

    def command(self, argv0):
        if argv0 not in self.commands:
            raise LoopbackError(f"no local program for the image's {argv0!r}")
        return self.commands[argv0]

    def start_pod(self, pod, extra_env=None):
        pod_spec = pod.workload.spec["template"]["spec"]
        if pod_spec.get("enableServiceLinks", True):
            raise LoopbackError(f"{pod.name}: enableServiceLinks must be false (CABLE_* "
                                "service variables would be read as flags)")
        used = set()
        env = rmod.container_env(pod.container, self.r, pod.name, pod.ip)
        self.materialize_volumes(pod, used, pod_spec)
        cmd = list(pod.container.get("command") or []) + list(pod.container.get("args") or [])
        cmd = [self.rewrite(rmod.expand(a, env), pod, used) for a in cmd]
        pod.env = self.env_rewrite(pod, env, used)
        pod.env.update(extra_env or {})
        missing = {p["containerPort"] for p in pod.container.get("ports") or []} - used
        if missing:
            raise LoopbackError(f"{pod.name}: containerPort(s) {sorted(missing)} are bound by "
                                "nothing in the args, env or config")
        pod.argv = [self.command(cmd[0])] + cmd[1:]
        pod.proc = subprocess.Popen(
            pod.argv, env=pod.env, cwd=pod.folder, stdin=subprocess.DEVNULL,
            stdout=open(os.path.join(pod.folder, "stdout.log"), "a"),
            stderr=open(os.path.join(pod.folder, "stderr.log"), "a"),
            start_new_session=True)
        pod.started_at = time.monotonic()
        if pod.first_started_at is None:
            pod.first_started_at = pod.started_at

    def start_workload(self, name):
        w = self.workloads[name]
        for s in w.held:
            s.close()
        w.held = []
        for pod in w.pods:
            self.start_pod(pod)

    # -- probes --

    def probe(self, pod, spec):
        """One probe attempt: True on success."""
        timeout = spec.get("timeoutSeconds", 1)
        try:
            if "httpGet" in spec:
                h = spec["httpGet"]
                scheme = h.get("scheme", "HTTP")
                if scheme == "HTTPS":
                    # The kubelet does not verify the certificate either.
                    conn = http.client.HTTPSConnection(pod.ip, pod.port(h["port"]), timeout=timeout,
                                                       context=ssl._create_unverified_context())
                elif scheme == "HTTP":
                    conn = http.client.HTTPConnection(pod.ip, pod.port(h["port"]), timeout=timeout)
                else:
                    raise LoopbackError(f"{pod.name}: probe scheme {scheme}")
                try:
                    conn.request("GET", h.get("path", "/"))
                    status = conn.getresponse().status
                finally:
                    conn.close()
                return 200 <= status < 400
            if "grpc" in spec:
                return grpc_health_serving(f"{pod.ip}:{pod.port(spec['grpc']['port'])}",
                                           spec["grpc"].get("service", ""), timeout)
            if "tcpSocket" in spec:
                with socket.create_connection((pod.ip, pod.port(spec["tcpSocket"]["port"])), timeout):
                    return True
            if "exec" in spec:
                cmd = spec["exec"]["command"]
                return subprocess.run([self.command(cmd[0])] + cmd[1:], env=pod.env,
                                      timeout=timeout, capture_output=True).returncode == 0
        except (OSError, http.client.HTTPException, subprocess.TimeoutExpired):
            return False
        raise LoopbackError(f"unsupported probe {spec}")

    def wait_ready(self, name, max_restarts=5):
        """Startup probe within its budget, then readiness, then liveness,
        for every pod of the workload. A container that exits first is
        restarted, as restartPolicy Always does (with a shorter back-off),
        and the restart is reported. Returns {pod: (seconds, restarts)}."""
        w = self.workloads[name]
        out = {}
        for pod in w.pods:
            restarts = []
            while True:
                exited = self._probe_until_ready(pod)
                if exited is None:
                    break
                if len(restarts) >= max_restarts:
                    raise LoopbackError(f"{pod.name} exited {len(restarts) + 1} times before "
                                        f"becoming ready; last:\n{exited}")
                restarts.append(exited.strip().splitlines()[-1] if exited.strip() else "exit")
                time.sleep(2 ** (len(restarts) - 1))
                self.start_pod(pod)
            pod.ready = True
            pod.ready_at = time.monotonic()
            pod.restarts = restarts
            out[pod.name] = (pod.ready_at - pod.first_started_at, restarts)
        return out

    def _probe_until_ready(self, pod):
        """None once every probe passed; the stderr tail if the process
        exited first. A probe out of budget is an error."""
        for kind in ("startupProbe", "readinessProbe", "livenessProbe"):
            spec = pod.container.get(kind)
            if not spec:
                continue
            budget = spec.get("initialDelaySeconds", 0) + \
                spec.get("periodSeconds", 10) * spec.get("failureThreshold", 3)
            deadline = time.monotonic() + budget
            while not self.probe(pod, spec):
                if pod.proc.poll() is not None:
                    return f"exit {pod.proc.returncode}: " + pod.log("stderr")[-3000:]
                if time.monotonic() > deadline:
                    raise LoopbackError(f"{pod.name}: {kind} failed for {budget} s\n"
                                        f"{pod.log('stderr')[-3000:]}")
                time.sleep(POLL)
        return None

    def terminate(self, pod):
        """Deletes the pod as Kubernetes does: it leaves the endpoints at
        once, preStop runs, SIGTERM follows, SIGKILL only when the grace
        period runs out. Returns what happened."""
        start = time.monotonic()
        deadline = start + pod.grace
        pod.terminating = True
        pod.ready = False
        pre_stop = (pod.container.get("lifecycle") or {}).get("preStop")
        pre_stop_s = 0.0
        if pre_stop:
            cmd = pre_stop["exec"]["command"]
            subprocess.run([self.command(cmd[0])] + cmd[1:], env=pod.env,
                           timeout=max(1, deadline - time.monotonic()), capture_output=True)
            pre_stop_s = time.monotonic() - start
        sigterm_at = time.monotonic()
        pod.proc.send_signal(signal.SIGTERM)
        killed = False
        try:
            pod.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            killed = True
        kill_group(pod.proc)  # the container's cgroup goes, whatever PID 1 left
        return {"pre_stop_s": pre_stop_s, "sigterm_at": sigterm_at,
                "exit_after_sigterm_s": time.monotonic() - sigterm_at,
                "code": pod.proc.returncode, "killed": killed, "grace": pod.grace,
                "total_s": time.monotonic() - start}

    def run_test_pod(self, pod_obj, timeout):
        """Runs a helm test Pod to completion: (exit code, stdout, stderr)."""
        fake = Workload({"kind": "Pod", "metadata": pod_obj["metadata"],
                         "spec": {"template": {"metadata": pod_obj["metadata"],
                                               "spec": pod_obj["spec"]}}}, 0)
        pod = LocalPod(fake, pod_obj["metadata"]["name"], "127.77.249.1",
                       os.path.join(self.workdir, "pods", pod_obj["metadata"]["name"]))
        shutil.rmtree(pod.folder, ignore_errors=True)  # a new Pod each run
        os.makedirs(pod.folder)
        fake.pods = [pod]
        self.start_pod(pod)
        try:
            pod.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
        kill_group(pod.proc)
        return pod.proc.returncode, pod.log("stdout"), pod.log("stderr"), pod

    def stop_all(self):
        """Stops every pod: gateways, then services, then NATS (each tier
        after the ones that use it, so nobody waits on a NATS that is gone)."""
        for w in self.workloads.values():
            for s in w.held:
                s.close()
        rank = {"gateway": 0, "service": 1}
        tiers = sorted(self.workloads.values(), key=lambda w: rank.get(
            w.spec["template"]["metadata"]["labels"].get("app.kubernetes.io/component"), 2))
        for w in tiers:
            running = [p for p in w.pods if p.proc and p.proc.poll() is None]
            for pod in running:
                pod.proc.send_signal(signal.SIGTERM)
            for pod in running:
                try:
                    pod.proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    pass
                kill_group(pod.proc)
        for v in self.vips.values():
            v.close()


def kill_group(proc):
    """SIGKILL to the process's session (each pod's processes are one
    session, as a container's are one cgroup), then reap it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
