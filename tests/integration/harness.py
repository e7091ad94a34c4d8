"""harness.py: start real agents on loopback addresses and talk to them with real clients.

Every wait has a deadline; every process started is killed by PID at the end.

    with Agent("127.0.0.21", ["-dev"]) as a:
        a.wait_leader()
        status, headers, body = a.http("GET", "/v1/catalog/nodes")
        rcode, answers = a.dig("web.service.consul", "SRV")
"""
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

BUILD = os.environ.get("CONSUL_BUILD_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", "..", "build"))
CONSUL = os.path.join(BUILD, "cli", "consul")
# Daemons stopped by signals would report their live heap as leaks; unit tests keep leak checks.
os.environ["ASAN_OPTIONS"] = "detect_leaks=0:" + os.environ.get("ASAN_OPTIONS", "")
ROLE_NAMES = ("consul-raftd", "consul-gossipd", "consul-checkd", "consul-httpd", "consul-dnsd")

failures = []


def check(cond, what):
    """Records a failed assertion (the test goes on, to report everything) and prints it."""
    if cond:
        print("ok   " + what)
    else:
        print("FAIL " + what)
        failures.append(what)
    return cond


def finish():
    if failures:
        print("%d check(s) failed" % len(failures))
        sys.exit(1)
    print("all checks passed")
    sys.exit(0)


def wait_for(fn, timeout_s, interval_s=0.02):
    """Polls fn until it returns a true value or the deadline passes; returns the last value."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            value = fn()
        except Exception:  # a refused connection while starting is expected
            value = None
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval_s)


def run_cli(args, addr=None, env_extra=None, input_bytes=None, timeout_s=20):
    env = dict(os.environ)
    if addr:
        env["CONSUL_HTTP_ADDR"] = addr
    env.update(env_extra or {})
    p = subprocess.run([CONSUL] + args, capture_output=True, env=env, input=input_bytes, timeout=timeout_s)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def children_of(pid):
    """PIDs and names of the direct children of pid, from /proc."""
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                stat = f.read()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        if ppid == pid:
            out[int(entry)] = name
    return out


def rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class Agent:
    def __init__(self, addr, args, http_port=8500, dns_port=8600, config=None):
        self.addr = addr
        self.http_port = http_port
        self.dns_port = dns_port
        self.tmp = tempfile.mkdtemp(prefix="consul-it-")
        self.args = list(args)
        if config is not None:
            path = os.path.join(self.tmp, "config.json")
            with open(path, "w") as f:
                json.dump(config, f)
            self.args.append("-config-file=" + path)
        self.proc = None
        self.log_path = os.path.join(self.tmp, "agent.log")

    def start(self):
        self.log = open(self.log_path, "ab")
        cmd = [CONSUL, "agent", "-bind=" + self.addr, "-client=" + self.addr,
               "-http-port=%d" % self.http_port, "-dns-port=%d" % self.dns_port] + self.args
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)
        self.started_at = time.monotonic()
        return self

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.kill_all()
        if exc[0] is not None or failures:
            self.dump_log()
        return False

    def dump_log(self, lines=60):
        try:
            with open(self.log_path, "rb") as f:
                tail = f.read().decode(errors="replace").splitlines()[-lines:]
            print("---- agent log (%s) ----\n%s\n----" % (self.addr, "\n".join(tail)))
        except OSError:
            pass

    def roles(self):
        return {name: pid for pid, name in children_of(self.proc.pid).items() if name in ROLE_NAMES}

    def kill_all(self):
        if not self.proc:
            return
        pids = list(self.roles().values())
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def stop(self, timeout_s=10):
        """Graceful stop; returns the exit code."""
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout_s)

    def http_addr(self):
        return "%s:%d" % (self.addr, self.http_port)

    def http(self, method, path, body=None, headers=None, timeout_s=10):
        conn = http.client.HTTPConnection(self.addr, self.http_port, timeout=timeout_s)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            conn.close()

    def get_json(self, path):
        status, headers, body = self.http("GET", path)
        return status, headers, json.loads(body) if body else None

    def wait_leader(self, timeout_s=10):
        def leader():
            status, _, body = self.http("GET", "/v1/status/leader", timeout_s=1)
            return status == 200 and body.strip() not in (b'""', b"")
        return wait_for(leader, timeout_s)

    def dig(self, name, qtype="A", tcp=False):
        """Returns (rcode, answer rows, authority rows, additional rows), rows as lists of fields."""
        cmd = ["dig", "@" + self.addr, "-p", str(self.dns_port), name, qtype, "+time=2", "+tries=1",
               "+noall", "+comments", "+answer", "+authority", "+additional"]
        if tcp:
            cmd.append("+tcp")
        out = subprocess.run(cmd, capture_output=True, timeout=10).stdout.decode()
        m = re.search(r"status: (\w+)", out)
        sections = {"ANSWER": [], "AUTHORITY": [], "ADDITIONAL": []}
        current = None
        for line in out.splitlines():
            h = re.match(r";; (\w+) SECTION:", line)
            if h:
                current = h.group(1)
                continue
            if current in sections and line and not line.startswith(";"):
                sections[current].append(line.split())
        return (m.group(1) if m else None, sections["ANSWER"], sections["AUTHORITY"],
                sections["ADDITIONAL"])


def rpc_call(addr, port, op, args=b"{}", timeout_s=5):
    """One request over the internal framing (common/frame.h, rpc.h) on a TCP RPC port.
    Returns (status, index, body), or None if the server closed the connection."""
    import socket
    import struct
    s = socket.create_connection((addr, port), timeout=timeout_s)
    try:
        s.sendall(struct.pack(">IHHII", len(args), op, 0, 7, os.getpid()) + args)
        data = b""
        while len(data) < 16 or len(data) < 16 + struct.unpack(">I", data[:4])[0]:
            chunk = s.recv(65536)
            if not chunk:
                return None
            data += chunk
        length, _, flags, req_id, _ = struct.unpack(">IHHII", data[:16])
        payload = data[16:16 + length]
        status, _, index, _ = struct.unpack(">IIQI", payload[:20])
        return status, index, payload[24:]
    finally:
        s.close()
