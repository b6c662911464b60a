#!/usr/bin/env python3
"""The chart without a cluster. Two commands (ctest runs each):

  chart_test.py lint      helm lint --strict, with the defaults and with
                          every ci/*.yaml value set
  chart_test.py validate  helm template over every ci/*.yaml; every object
                          validated strictly (unknown fields rejected)
                          against Kubernetes 1.31's schemas by
                          kubernetes-validate, ServiceMonitors against
                          schemas/servicemonitor.json; then what the chart
                          promises, checked on each render (security
                          contexts, probes, shutdown timing, the headless
                          target, PDB and HPA targets, secrets only from
                          Secrets, NetworkPolicy rules); values.schema.json
                          must reject unknown values

Environment: CABLE_HELM, the helm binary. Run with the venv tests/helm
makes (kubernetes-validate, jsonschema, PyYAML).
"""

import json
import os
import pathlib
import re
import subprocess
import sys

sys.dont_write_bytecode = True

import jsonschema  # noqa: E402
import kubernetes_validate  # noqa: E402
import yaml  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
CHART = HERE.parents[1] / "helm" / "cable"
KUBERNETES = "1.31.0"
RELEASE, NAMESPACE = "cable", "cable-ci"
CRD_SCHEMAS = {("monitoring.coreos.com/v1", "ServiceMonitor"): HERE / "schemas" / "servicemonitor.json"}


def helm(*args, check=True):
    return subprocess.run([os.environ["CABLE_HELM"], *args], capture_output=True, text=True,
                          timeout=120, check=check)


def value_sets():
    sets = sorted(CHART.glob("ci/*.yaml"))
    if not sets:
        sys.exit("no ci/*.yaml value sets")
    return sets


def lint():
    problems = []
    for values in [None] + value_sets():
        args = ["lint", "--strict", str(CHART)] + (["-f", str(values)] if values else [])
        out = helm(*args, check=False)
        text = out.stdout + out.stderr
        bad = [line for line in text.splitlines() if "[ERROR]" in line or "[WARNING]" in line]
        name = values.name if values else "defaults"
        if out.returncode != 0 or bad:
            problems.append(f"{name}: helm lint --strict exited {out.returncode}\n" + "\n".join(bad or [text]))
        else:
            print(f"helm lint --strict ({name}): ok")
    return problems


# --- what the chart promises, on one render --------------------------------


def pod_specs(objects):
    for o in objects:
        if o["kind"] in ("Deployment", "StatefulSet"):
            yield o, o["spec"]["template"]["spec"], o["spec"]["template"]["metadata"].get("labels", {})
        elif o["kind"] == "Pod":
            yield o, o["spec"], o["metadata"].get("labels", {})


def flag(container, name):
    for a in container.get("args") or []:
        if a.startswith(f"--{name}="):
            return a.split("=", 1)[1]
    return None


def seconds(duration):
    m = re.fullmatch(r"(\d+)s", duration or "")
    return int(m.group(1)) if m else None


def promises(objects, values_name):
    """Problems with what the chart promises, as strings."""
    out = []
    by = {}
    for o in objects:
        by.setdefault(o["kind"], {})[o["metadata"]["name"]] = o
    secrets = set(by.get("Secret", {}))
    values = yaml.safe_load((CHART / "ci" / values_name).read_text()) or {}
    existing = (values.get("secrets") or {}).get("existingSecret")
    if existing:
        secrets.add(existing)
        if by.get("Secret"):
            out.append("existingSecret is set, yet the chart rendered a Secret")
    secret_values = set()
    for s in by.get("Secret", {}).values():
        secret_values |= {v for v in (s.get("data") or {}).values()}

    for obj, spec, labels in pod_specs(objects):
        name = f"{obj['kind']} {obj['metadata']['name']}"
        psc = spec.get("securityContext") or {}
        if not psc.get("runAsNonRoot") or (psc.get("seccompProfile") or {}).get("type") != "RuntimeDefault":
            out.append(f"{name}: pod securityContext needs runAsNonRoot and seccomp RuntimeDefault")
        if spec.get("enableServiceLinks") is not False:
            out.append(f"{name}: enableServiceLinks must be false (CABLE_* service variables)")
        if spec.get("automountServiceAccountToken") is not False:
            out.append(f"{name}: the service account token must not be mounted")
        for c in spec["containers"]:
            sc = c.get("securityContext") or {}
            if sc.get("allowPrivilegeEscalation") is not False or not sc.get("readOnlyRootFilesystem") \
                    or (sc.get("capabilities") or {}).get("drop") != ["ALL"]:
                out.append(f"{name}/{c['name']}: container securityContext must forbid privilege "
                           "escalation, drop ALL capabilities, mount the root read-only")
            res = c.get("resources") or {}
            if not res.get("requests") or "memory" not in (res.get("limits") or {}):
                out.append(f"{name}/{c['name']}: needs resource requests and a memory limit")
            for e in c.get("env") or []:
                # A secret's whole value, or a long part of one: a short
                # value such as a timeout ("30") may appear by chance inside
                # a randomly generated secret.
                if "value" in e and e["name"].startswith("CABLE_") and any(
                        e["value"] and (e["value"] == s or (len(e["value"]) >= 8 and e["value"] in s))
                        for s in map(_b64, secret_values)):
                    out.append(f"{name}: env {e['name']} holds a secret value in plain text")
                ref = (e.get("valueFrom") or {}).get("secretKeyRef")
                if ref and ref["name"] not in secrets:
                    out.append(f"{name}: env {e['name']} reads Secret {ref['name']}, which is not there")
            if obj["kind"] == "Pod":
                continue
            for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                if probe not in c:
                    out.append(f"{name}: no {probe}")
            pre = (((c.get("lifecycle") or {}).get("preStop") or {}).get("exec") or {}).get("command")
            grace = spec.get("terminationGracePeriodSeconds", 30)
            component = labels.get("app.kubernetes.io/component")
            if component in ("gateway", "service"):
                if obj["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] != 0:
                    out.append(f"{name}: rolling updates must keep maxUnavailable 0")
                if not pre or pre[0] != "sleep":
                    out.append(f"{name}: preStop must be a drain sleep")
                    continue
                drain = int(pre[1])
                after = seconds(flag(c, "shutdown_timeout")) if component == "gateway" else 2
                if grace <= drain + after:
                    out.append(f"{name}: terminationGracePeriodSeconds {grace} must exceed preStop "
                               f"{drain} s + shutdown {after} s")
            if component == "service":
                presence = values.get("presence") or {}
                for key, option, default in (("ttl", "presence_ttl", "15s"),
                                             ("sweepInterval", "presence_sweep_interval", "1s")):
                    want = str(presence.get(key) or default)
                    if flag(c, option) != want:
                        out.append(f"{name}: --{option}={flag(c, option)}, values say presence.{key} {want}")
            if component == "gateway":
                session = values.get("session") or {}
                for key, option, default in (("ttl", "session_ttl", "5m"),
                                             ("restoreHistoryWait", "restore_history_wait", "5s")):
                    want = str(session.get(key) or default)
                    if flag(c, option) != want:
                        out.append(f"{name}: --{option}={flag(c, option)}, values say session.{key} {want}")
                if c["livenessProbe"].get("httpGet", {}).get("path") != "/health":
                    out.append(f"{name}: liveness must be /health")
                if c["startupProbe"].get("httpGet", {}).get("path") != "/ready":
                    out.append(f"{name}: the startup probe must wait for /ready")
                out += gateway_tls_promises(name, spec, c)
                target = flag(c, "service") or ""
                m = re.fullmatch(r"dns:///([^.]+)\.([^.]+)\.svc\.[^:]+:(\d+)", target)
                headless = by.get("Service", {}).get(m.group(1)) if m else None
                if not headless or headless["spec"].get("clusterIP") != "None" or \
                        int(m.group(3)) not in [p["port"] for p in headless["spec"]["ports"]]:
                    out.append(f"{name}: --service={target} must name a headless Service's port")
            if component == "service":
                tls = any(flag(c, f) for f in ("internal_tls_cert",)) and flag(c, "grpc_tls_cert")
                kind = "tcpSocket" if tls else "grpc"
                if kind not in c["readinessProbe"]:
                    out.append(f"{name}: readiness should be a {kind} probe")

    out += gateway_tls_objects(by, values)
    for svc in by.get("Service", {}).values():
        for p in svc["spec"]["ports"]:
            if not p.get("appProtocol"):
                out.append(f"Service {svc['metadata']['name']}: port {p['name']} has no appProtocol")
        selector = svc["spec"].get("selector")
        if not any(all(labels.get(k) == v for k, v in selector.items())
                   for _, _, labels in pod_specs(objects)):
            out.append(f"Service {svc['metadata']['name']} selects no pod")
    for pdb in by.get("PodDisruptionBudget", {}).values():
        sel = pdb["spec"]["selector"]["matchLabels"]
        if not any(all(labels.get(k) == v for k, v in sel.items())
                   for o, _, labels in pod_specs(objects) if o["kind"] != "Pod"):
            out.append(f"PDB {pdb['metadata']['name']} selects no workload")
    for hpa in by.get("HorizontalPodAutoscaler", {}).values():
        ref = hpa["spec"]["scaleTargetRef"]
        target = by.get(ref["kind"], {}).get(ref["name"])
        if not target:
            out.append(f"HPA {hpa['metadata']['name']} scales {ref['name']}, which is not rendered")
        elif "replicas" in target["spec"]:
            out.append(f"{ref['name']}: replicas must be left to the HPA")
    for np in by.get("NetworkPolicy", {}).values():
        if np["metadata"]["name"].endswith("-service"):
            internal = [r for r in np["spec"]["ingress"] if r["ports"][0]["port"] == "internal"]
            peers = internal[0]["from"] if internal else []
            if len(peers) != 1 or peers[0].get("podSelector", {}).get("matchLabels", {}).get(
                    "app.kubernetes.io/component") != "gateway":
                out.append("NetworkPolicy: the internal port must admit gateways only")
    return out


GATEWAY_TLS_DIR = "/etc/cable/gateway-tls"


def gateway_tls_promises(name, spec, c):
    """With --tls_cert the gateway's files come from a read-only Secret
    mount and every probe speaks HTTPS; without it, none does."""
    out = []
    cert, key = flag(c, "tls_cert"), flag(c, "tls_key")
    probes = [c[p] for p in ("startupProbe", "livenessProbe", "readinessProbe") if p in c]
    schemes = {p.get("httpGet", {}).get("scheme", "HTTP") for p in probes}
    if not cert and not key:
        if schemes != {"HTTP"}:
            out.append(f"{name}: probes use {sorted(schemes)} without --tls_cert")
        return out
    if (cert, key) != (f"{GATEWAY_TLS_DIR}/tls.crt", f"{GATEWAY_TLS_DIR}/tls.key"):
        out.append(f"{name}: --tls_cert={cert} --tls_key={key}, expected both in {GATEWAY_TLS_DIR}")
    if schemes != {"HTTPS"}:
        out.append(f"{name}: with --tls_cert every probe must use scheme HTTPS, got {sorted(schemes)}")
    mount = next((m for m in c.get("volumeMounts") or [] if m["mountPath"] == GATEWAY_TLS_DIR), None)
    volume = next((v for v in spec.get("volumes") or [] if mount and v["name"] == mount["name"]), None)
    if not mount or not mount.get("readOnly") or not volume or "secret" not in volume:
        out.append(f"{name}: {GATEWAY_TLS_DIR} must be a read-only Secret mount")
    else:
        keys = {i["key"] for i in volume["secret"].get("items") or []}
        if keys and not {"tls.crt", "tls.key"} <= keys:
            out.append(f"{name}: the gateway TLS volume leaves out tls.crt or tls.key")
    return out


def gateway_tls_objects(by, values):
    """What follows gateway.tls outside the Deployment: the Service's
    appProtocol, the helm test's URL and CA, the ServiceMonitor's scheme."""
    out = []
    secret = ((values.get("gateway") or {}).get("tls") or {}).get("secretName")
    want_app = "kubernetes.io/wss" if secret else "kubernetes.io/ws"
    for svc in by.get("Service", {}).values():
        if svc["spec"]["selector"].get("app.kubernetes.io/component") != "gateway":
            continue
        for p in svc["spec"]["ports"]:
            if p.get("appProtocol") != want_app:
                out.append(f"Service {svc['metadata']['name']}: appProtocol {p.get('appProtocol')}, "
                           f"expected {want_app}")
    for pod in by.get("Pod", {}).values():
        env = {e["name"]: e for e in pod["spec"]["containers"][0].get("env") or []}
        url = (env.get("CABLE_TEST_WS_URL") or {}).get("value", "")
        if not url.startswith("wss://" if secret else "ws://"):
            out.append(f"Pod {pod['metadata']['name']}: CABLE_TEST_WS_URL {url} with "
                       f"gateway.tls.secretName={secret!r}")
        if secret:
            volumes = {v["name"]: v for v in pod["spec"].get("volumes") or []}
            items = [i["key"] for v in volumes.values()
                     if (v.get("secret") or {}).get("secretName") == secret
                     for i in v["secret"].get("items") or [{"key": "*"}]]
            if items != ["ca.crt"]:
                out.append(f"Pod {pod['metadata']['name']}: must mount ca.crt of {secret} and "
                           f"nothing else (got {items})")
    for sm in by.get("ServiceMonitor", {}).values():
        if sm["spec"]["selector"]["matchLabels"].get("app.kubernetes.io/component") != "gateway":
            continue
        for e in sm["spec"]["endpoints"]:
            if e.get("scheme", "http") != ("https" if secret else "http") or \
                    bool(e.get("tlsConfig")) != bool(secret):
                out.append(f"ServiceMonitor {sm['metadata']['name']}: scheme {e.get('scheme')} "
                           f"with gateway.tls.secretName={secret!r}")
    return out


def _b64(value):
    import base64

    try:
        return base64.b64decode(value).decode()
    except ValueError:
        return ""


def validate_object(obj):
    """None, or why the object is not valid."""
    key = (obj.get("apiVersion"), obj.get("kind"))
    if key in CRD_SCHEMAS:
        try:
            jsonschema.validate(obj, json.loads(CRD_SCHEMAS[key].read_text()))
        except jsonschema.ValidationError as e:
            return f"{e.message} at {'/'.join(map(str, e.absolute_path))}"
        return None
    try:
        kubernetes_validate.validate(obj, KUBERNETES, strict=True)
    except kubernetes_validate.utils.ValidationError as e:
        return f"{e.message} at {'/'.join(map(str, e.path))}"
    except kubernetes_validate.utils.SchemaNotFoundError:
        return f"no schema for {key[0]} {key[1]} in Kubernetes {KUBERNETES}"
    return None


def validate():
    problems = []
    # Strictness is real: an unknown field fails, and so does a bad value.
    probe = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x"},
             "spec": {"ports": [{"port": 80}], "clusterIPs": "None", "bogus": 1}}
    if validate_object(probe) is None:
        problems.append("kubernetes-validate accepted an unknown field: validation is not strict")
    bogus = helm("template", RELEASE, str(CHART), "--set", "gateway.bogus=1", check=False)
    if bogus.returncode == 0 or "bogus" not in bogus.stderr:
        problems.append("values.schema.json accepted an unknown value gateway.bogus")
    for values in value_sets():
        out = helm("template", RELEASE, str(CHART), "--namespace", NAMESPACE, "-f", str(values),
                   check=False)
        if out.returncode != 0:
            problems.append(f"{values.name}: helm template failed: {out.stderr.strip()}")
            continue
        objects = [o for o in yaml.safe_load_all(out.stdout) if o]
        bad = []
        for o in objects:
            why = validate_object(o)
            if why:
                bad.append(f"{o.get('kind')} {o.get('metadata', {}).get('name')}: {why}")
        bad += promises(objects, values.name)
        kinds = {}
        for o in objects:
            kinds[o["kind"]] = kinds.get(o["kind"], 0) + 1
        summary = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
        if bad:
            problems += [f"{values.name}: {b}" for b in bad]
        else:
            print(f"{values.name}: {len(objects)} objects valid against Kubernetes {KUBERNETES} "
                  f"(strict) and as the chart promises: {summary}")
    return problems


def main():
    if not os.environ.get("CABLE_HELM"):
        sys.exit("CABLE_HELM is not set (the helm binary)")
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command not in ("lint", "validate"):
        sys.exit("usage: chart_test.py lint|validate")
    problems = lint() if command == "lint" else validate()
    for p in problems:
        print(f"FAIL {p}", file=sys.stderr)
    print(f"{0 if problems else 1} passed, {1 if problems else 0} failed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
