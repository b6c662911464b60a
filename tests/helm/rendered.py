"""The rendered chart as data: objects by kind, Services with their
endpoints' ports, pod templates, and Kubernetes' own expansion rules
($(VAR) in args and env, fieldRef, secretKeyRef).

Used by loopback_test.py; nothing here starts a process.
"""

import base64
import hashlib
import re
import subprocess

import yaml


def helm_template(helm, chart, values_files, release, namespace):
    """Runs `helm template` with the values files (later ones override
    earlier ones, as with helm's repeated -f) and returns the rendered
    objects (dicts)."""
    args = [helm, "template", release, chart, "--namespace", namespace]
    for f in values_files:
        args += ["-f", f]
    out = subprocess.run(args, check=True, capture_output=True, text=True, timeout=120).stdout
    return [d for d in yaml.safe_load_all(out) if d]


class Rendered:
    """The objects of one render, indexed the way the loopback needs."""

    def __init__(self, objects, namespace, cluster_domain):
        self.objects = objects
        self.namespace = namespace
        self.cluster_domain = cluster_domain
        self.by_kind = {}
        for o in objects:
            self.by_kind.setdefault(o["kind"], []).append(o)

    def kind(self, kind):
        return self.by_kind.get(kind, [])

    def add(self, obj):
        """An object the chart does not render but expects in the
        namespace (a Secret the values name, as an operator makes it)."""
        self.objects.append(obj)
        self.by_kind.setdefault(obj["kind"], []).append(obj)

    def get(self, kind, name):
        for o in self.kind(kind):
            if o["metadata"]["name"] == name:
                return o
        raise KeyError(f"no {kind} {name} in the render")

    def secret_value(self, name, key):
        """A Secret's value (data is base64, stringData plain); None if absent."""
        secret = self.get("Secret", name)
        if key in (secret.get("stringData") or {}):
            return secret["stringData"][key]
        if key in (secret.get("data") or {}):
            return base64.b64decode(secret["data"][key]).decode()
        return None

    def workloads(self):
        """Deployments and StatefulSets (the test Pod is apart)."""
        return self.kind("StatefulSet") + self.kind("Deployment")

    def test_pods(self):
        return [p for p in self.kind("Pod")
                if (p["metadata"].get("annotations") or {}).get("helm.sh/hook") == "test"]

    def dns_names(self, service_name):
        """Every name a pod in the namespace can use for a Service."""
        ns, domain = self.namespace, self.cluster_domain
        return [f"{service_name}.{ns}.svc.{domain}", f"{service_name}.{ns}.svc",
                f"{service_name}.{ns}", service_name]


def selects(selector, labels):
    return all(labels.get(k) == v for k, v in (selector or {}).items())


def pod_names(workload):
    """Names Kubernetes would give the workload's pods."""
    name = workload["metadata"]["name"]
    replicas = workload["spec"].get("replicas", 1)
    if workload["kind"] == "StatefulSet":
        return [f"{name}-{i}" for i in range(replicas)]
    digest = hashlib.sha256(repr(workload["spec"]["template"]).encode()).hexdigest()
    return [f"{name}-{digest[:10]}-{digest[10 + 5 * i:15 + 5 * i]}" for i in range(replicas)]


VAR_REF = re.compile(r"\$(\$)?\(([A-Za-z_][A-Za-z0-9_]*)\)")


def expand(text, env):
    """Kubernetes' $(VAR) expansion: defined names are replaced, $$(VAR)
    stays literal $(VAR), undefined ones are left as they are."""

    def sub(m):
        if m.group(1):
            return f"$({m.group(2)})"
        return env.get(m.group(2), m.group(0))

    return VAR_REF.sub(sub, text)


def container_env(container, rendered, pod_name, pod_ip):
    """The container's environment as the kubelet builds it, in order:
    values expanded against the variables before them, fieldRefs and
    secretKeyRefs resolved (an optional missing key leaves the name out)."""
    env = {}
    for item in container.get("env") or []:
        name = item["name"]
        if "value" in item:
            env[name] = expand(str(item["value"]), env)
            continue
        source = item["valueFrom"]
        if "fieldRef" in source:
            path = source["fieldRef"]["fieldPath"]
            env[name] = {"metadata.name": pod_name, "metadata.namespace": rendered.namespace,
                         "status.podIP": pod_ip}[path]
        elif "secretKeyRef" in source:
            ref = source["secretKeyRef"]
            value = rendered.secret_value(ref["name"], ref["key"])
            if value is None:
                if not ref.get("optional"):
                    raise KeyError(f"Secret {ref['name']} has no {ref['key']} (not optional)")
                continue
            env[name] = value
        elif "configMapKeyRef" in source:
            ref = source["configMapKeyRef"]
            env[name] = rendered.get("ConfigMap", ref["name"])["data"][ref["key"]]
        else:
            raise ValueError(f"env {name}: unsupported source {source}")
    return env


def resolve_port(container, port):
    """A probe's or Service's port (name or number) as a containerPort."""
    if isinstance(port, int):
        return port
    for p in container.get("ports") or []:
        if p.get("name") == port:
            return p["containerPort"]
    if str(port).isdigit():
        return int(port)
    raise KeyError(f"container {container['name']} has no port named {port}")
