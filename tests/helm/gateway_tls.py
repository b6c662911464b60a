"""gateway.tls in the loopback: the Secret it names, made here as
cert-manager's CA issuer would make it (tls.crt, tls.key, ca.crt; a test CA
made with the openssl program, never checked in), and the checks only TLS
has: the gateways' port refuses plaintext, and a renewed certificate reaches
new connections only on SIGHUP (which nothing in Kubernetes sends: hence
the restart or reloader docs/operations.md asks for), while connections
already open carry on and a bad renewal keeps the certificate in use.

Used by loopback_test.py when the values set gateway.tls.secretName.
"""

import base64
import hashlib
import http.client
import os
import signal
import socket
import ssl
import subprocess
import time
import urllib.parse


class TlsFailed(Exception):
    """A gateway TLS check failed."""


def _run(openssl, *args, cwd):
    out = subprocess.run([openssl, *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise TlsFailed(f"openssl {' '.join(args[:2])}: {out.stderr.strip()}")


def _fingerprint(der):
    return hashlib.sha256(der).hexdigest()[:16]


def _pem_fingerprint(pem):
    return _fingerprint(ssl.PEM_cert_to_DER_cert(pem))


class GatewayTls:
    """A test CA and server certificates for the gateway Service: its DNS
    names and the loopback addresses standing in for the Service and the
    pods (clients here reach it by those)."""

    def __init__(self, folder, openssl, dns_names, ips):
        self.folder = folder
        self.openssl = openssl
        os.makedirs(folder, exist_ok=True)
        self.ca_path = os.path.join(folder, "ca.crt")
        _run(openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-days", "2", "-subj", "/CN=Cable loopback test CA",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign",
             "-keyout", "ca.key", "-out", "ca.crt", cwd=folder)
        san = ",".join([f"DNS:{n}" for n in dns_names] + [f"IP:{ip}" for ip in ips])
        with open(os.path.join(folder, "server.ext"), "w") as f:
            f.write(f"subjectAltName={san}\nextendedKeyUsage=serverAuth\n"
                    "keyUsage=critical,digitalSignature\nbasicConstraints=CA:FALSE\n"
                    "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n")
        self.dns_names = dns_names
        self.first = self._issue("first", dns_names[0])
        self.renewed = self._issue("renewed", dns_names[0])

    def _issue(self, name, common_name):
        """(certificate PEM, key PEM) of a new server certificate."""
        _run(self.openssl, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-subj", f"/CN={common_name}", "-keyout", f"{name}.key",
             "-out", f"{name}.csr", cwd=self.folder)
        _run(self.openssl, "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
             "-CAcreateserial", "-days", "2", "-extfile", "server.ext", "-out", f"{name}.crt",
             cwd=self.folder)
        read = lambda p: open(os.path.join(self.folder, p)).read()  # noqa: E731
        return read(f"{name}.crt"), read(f"{name}.key")

    def secret(self, name, namespace):
        """The kubernetes.io/tls Secret, holding the first certificate."""
        b64 = lambda s: base64.b64encode(s.encode()).decode()  # noqa: E731
        cert, key = self.first
        return {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
                "metadata": {"name": name, "namespace": namespace},
                "data": {"tls.crt": b64(cert), "tls.key": b64(key),
                         "ca.crt": b64(open(self.ca_path).read())}}

    def client_context(self):
        """Verifies the gateways against the test CA, host names included."""
        return ssl.create_default_context(cafile=self.ca_path)


def served_certificate(ip, port, context, server_hostname):
    """Fingerprint of the certificate a new TLS connection gets (and the
    protocol version), verified by `context`."""
    with socket.create_connection((ip, port), timeout=5) as sock:
        with context.wrap_socket(sock, server_hostname=server_hostname) as tls:
            return _fingerprint(tls.getpeercert(binary_form=True)), tls.version()


def plaintext_refused(ip, port):
    """None when plain HTTP to the port gets no HTTP answer; else what it
    answered."""
    conn = http.client.HTTPConnection(ip, port, timeout=5)
    try:
        conn.request("GET", "/health")
        return f"HTTP {conn.getresponse().status}"
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


def wait_for_log(pod, text, after, timeout):
    """Waits (bounded) until the pod's stderr has `text` past offset
    `after`; returns the line."""
    deadline = time.monotonic() + timeout
    while True:
        log = pod.log("stderr")[after:]
        for line in log.splitlines():
            if text in line:
                return line.strip()
        if pod.proc.poll() is not None:
            raise TlsFailed(f"{pod.name} exited {pod.proc.returncode} while waiting for "
                            f"{text!r}: {log[-1500:]}")
        if time.monotonic() > deadline:
            raise TlsFailed(f"{pod.name}: no {text!r} in its log within {timeout} s: {log[-1500:]}")
        time.sleep(0.05)


def replace_files(folder, files):
    """Writes new contents the way the kubelet updates a mounted Secret:
    each file complete or not at all (write, then rename over)."""
    for name, content in files.items():
        path = os.path.join(folder, name)
        with open(path + ".tmp", "w") as f:
            f.write(content)
        os.replace(path + ".tmp", path)


def check_gateways(cluster, gateways, tls, say):
    """Every gateway pod: plaintext refused, the Secret's certificate
    served over TLS 1.2 or 1.3, verified against ca.crt."""
    context = tls.client_context()
    first = _pem_fingerprint(tls.first[0])
    for pod in gateways.pods:
        port = pod.port(pod.container["ports"][0]["containerPort"])
        answered = plaintext_refused(pod.ip, port)
        if answered is not None:
            raise TlsFailed(f"{pod.name}: plain HTTP to the TLS port got {answered}")
        served, version = served_certificate(pod.ip, port, context, pod.ip)
        if served != first or version not in ("TLSv1.2", "TLSv1.3"):
            raise TlsFailed(f"{pod.name}: served {served} over {version}, expected the Secret's "
                            f"{first} over TLS 1.2/1.3")
    say(f"gateway TLS: {len(gateways.pods)} gateways serve the Secret's certificate ({first}) "
        f"over {version}, verified against its ca.crt; plain HTTP to their port gets no answer")


def check_rotation(cluster, gateways, tls, rt, url, origin, publisher_target, api_key, say):
    """The Secret renewed in one gateway pod's mount, as the kubelet does:
    nothing changes until SIGHUP; then new connections get the renewed
    certificate while a connection opened before keeps receiving; a bad
    key on the next SIGHUP keeps the renewed one. The other gateway, sent
    nothing, keeps the first certificate."""
    context = tls.client_context()
    first, renewed = _pem_fingerprint(tls.first[0]), _pem_fingerprint(tls.renewed[0])
    pod, other = gateways.pods
    port = pod.port(pod.container["ports"][0]["containerPort"])
    mount = os.path.join(pod.folder, "fs/etc/cable/gateway-tls")
    parts = urllib.parse.urlsplit(url)  # straight to this pod, not the Service
    pod_url = urllib.parse.urlunsplit((parts.scheme, f"{pod.ip}:{port}", parts.path, parts.query, ""))
    client = rt.connect_with_retry(pod_url, origin, time.monotonic() + 10, context)
    try:
        ident = client.subscribe({"channel": "ChatChannel", "room": "tls-rotation"})
        replace_files(mount, {"tls.crt": tls.renewed[0], "tls.key": tls.renewed[1]})
        served, _ = served_certificate(pod.ip, port, context, pod.ip)
        if served != first:
            raise TlsFailed(f"{pod.name}: the renewed files were used before any SIGHUP")
        mark = len(pod.log("stderr"))
        pod.proc.send_signal(signal.SIGHUP)
        reloaded = wait_for_log(pod, "TLS reloaded", mark, 10)
        served, _ = served_certificate(pod.ip, port, context, pod.ip)
        if served != renewed:
            raise TlsFailed(f"{pod.name}: after SIGHUP ({reloaded}) served {served}, "
                            f"expected the renewed {renewed}")
        kept, _ = served_certificate(other.ip, port, context, other.ip)
        if kept != first:
            raise TlsFailed(f"{other.name} changed certificate without a SIGHUP")
        with rt.publisher_channel(publisher_target) as channel:
            accepted = rt.broadcast(channel, api_key, "chat:tls-rotation", '{"after":"reload"}', 5)
        if accepted != 1:
            raise TlsFailed(f"Broadcast accepted {accepted}")
        deadline = time.monotonic() + 10
        while True:
            frame = client.next_frame(deadline)
            if frame is None:
                raise TlsFailed("the connection opened before the reload was closed")
            if frame.get("identifier") == ident and frame.get("message") == {"after": "reload"}:
                break

        # A renewal gone wrong (the renewed certificate with the first
        # key): the reload fails, the gateway keeps serving.
        replace_files(mount, {"tls.key": tls.first[1]})
        mark = len(pod.log("stderr"))
        pod.proc.send_signal(signal.SIGHUP)
        failed = wait_for_log(pod, "TLS reload failed", mark, 10)
        served, _ = served_certificate(pod.ip, port, context, pod.ip)
        if served != renewed or pod.proc.poll() is not None:
            raise TlsFailed(f"{pod.name}: after a failed reload served {served} "
                            f"(exit {pod.proc.poll()}), expected the renewed {renewed}")
        replace_files(mount, {"tls.key": tls.renewed[1]})
    finally:
        client.close()
    say(f"gateway TLS: Secret renewed in {pod.name}'s mount: still {first} until SIGHUP, then "
        f"{renewed} for new connections, and a connection opened before got a broadcast "
        f"after it; {other.name}, sent no SIGHUP, kept {first}")
    failed = failed.split("] ")[-1].replace(mount, "/etc/cable/gateway-tls")
    say(f"gateway TLS: a renewal with a mismatched key, then SIGHUP: \"{failed}\"; still "
        f"serving {renewed}")
