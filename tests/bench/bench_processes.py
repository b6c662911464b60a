"""Processes of the benchmark: the servers (cable-server, cable-service,
cable-gateway), nats-server and cable-loadgen generators, and what /proc
and /metrics say about them."""

import json
import os
import queue
import re
import subprocess
import threading
import time
import urllib.request

CLK_TCK = os.sysconf("SC_CLK_TCK")


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
