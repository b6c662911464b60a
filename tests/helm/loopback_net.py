"""Loopback networking for localcluster.py: ports shared by a workload's
replicas, kube-proxy's virtual IPs as TCP proxies, the kubelet's gRPC
health probe."""

import socket
import threading


class PortError(Exception):
    """No port could be reserved."""


# --- ports -----------------------------------------------------------------


def reserve_shared_port(ips):
    """A port free on every address in `ips`, with the bound sockets that
    hold it (close them right before the processes bind)."""
    for _ in range(50):
        first = socket.socket()
        first.bind((ips[0], 0))
        port = first.getsockname()[1]
        held = [first]
        try:
            for ip in ips[1:]:
                s = socket.socket()
                held.append(s)
                s.bind((ip, port))
            return port, held
        except OSError:
            for s in held:
                s.close()
    raise PortError(f"no port free on all of {ips}")


# --- kube-proxy --------------------------------------------------------------


class VipProxy:
    """A ClusterIP Service port: TCP round-robin over ready endpoints."""

    def __init__(self, ip, endpoints):
        self.endpoints = endpoints  # callable -> [(ip, port)]
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((ip, 0))
        self.listener.listen(128)
        self.address = self.listener.getsockname()
        self.turn = 0
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client):
        eps = self.endpoints()
        if not eps:
            client.close()  # no endpoints: kube-proxy rejects
            return
        self.turn += 1
        target = eps[self.turn % len(eps)]
        try:
            backend = socket.create_connection(target, timeout=5)
            backend.settimeout(None)
        except OSError:
            client.close()
            return
        for a, b in ((client, backend), (backend, client)):
            threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s, how in ((dst, socket.SHUT_WR), (src, socket.SHUT_RD)):
            try:
                s.shutdown(how)
            except OSError:
                pass

    def close(self):
        self.closed = True
        self.listener.close()


def grpc_health_serving(target, service, timeout):
    """grpc.health.v1.Health/Check, as the kubelet's gRPC probe sends it
    (plaintext, no metadata): True when the answer is SERVING."""
    import grpc

    request = (b"\x0a" + bytes([len(service)]) + service.encode()) if service else b""
    with grpc.insecure_channel(target) as channel:
        check = channel.unary_unary("/grpc.health.v1.Health/Check",
                                    request_serializer=None, response_deserializer=None)
        try:
            return check(request, timeout=timeout) == b"\x08\x01"
        except grpc.RpcError:
            return False
