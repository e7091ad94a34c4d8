#!/usr/bin/env python3
"""checks_1000.py: one dev agent with 1,000 services and 2,000 checks (TTL, HTTP and TCP in
turn, 10 s interval; the TTL checks are passed every 10 s by this script), against targets this
script starts (one HTTP server, one TCP listener). Reports checkd's CPU over a minute, its RSS,
and the time from a TTL check failing to its service leaving DNS answers (median of several).

    python3 bench/checks_1000.py [BUILD_DIR] [MEASURE_SECS] [FAILURES]
"""
import http.client
import http.server
import json
import os
import random
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

BUILD = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "build")
MEASURE_S = float(sys.argv[2]) if len(sys.argv) > 2 else 60.0
FAILURES = int(sys.argv[3]) if len(sys.argv) > 3 else 9
ADDR = "127.0.0.91"
HTTP_PORT, DNS_PORT = 8500, 8600
SERVICES = 1000
INTERVAL = "10s"
CONSUL = os.path.join(BUILD, "cli", "consul")
CLK_TCK = os.sysconf("SC_CLK_TCK")


# ---- targets ----

class Ok(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"ok\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def start_http_target():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Ok)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server.server_address[1]


def start_tcp_target():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(512)

    def accept_loop():
        while True:
            conn, _ = s.accept()
            conn.close()
    threading.Thread(target=accept_loop, daemon=True).start()
    return s.getsockname()[1]


# ---- the agent ----

def definitions(http_port, tcp_port):
    services, ttl_checks = [], []
    for i in range(SERVICES):
        checks = []
        for j in range(2):
            cid = "svc%d-c%d" % (i, j)
            kind = (2 * i + j) % 3
            if kind == 0:
                checks.append({"id": cid, "ttl": "30s", "status": "passing"})
                ttl_checks.append((i, cid))
            elif kind == 1:
                checks.append({"id": cid, "http": "http://127.0.0.1:%d/health" % http_port, "interval": INTERVAL,
                               "status": "passing"})
            else:
                checks.append({"id": cid, "tcp": "127.0.0.1:%d" % tcp_port, "interval": INTERVAL,
                               "status": "passing"})
        services.append({"name": "svc%d" % i, "port": 20000 + i, "checks": checks})
    return {"services": services}, ttl_checks


def http_req(method, path, timeout=10):
    c = http.client.HTTPConnection(ADDR, HTTP_PORT, timeout=timeout)
    try:
        c.request(method, path)
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def children(pid):
    out = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = open("/proc/%s/stat" % entry).read()
            except OSError:
                continue
            name = stat[stat.index("(") + 1:stat.rindex(")")]
            if int(stat[stat.rindex(")") + 2:].split()[1]) == pid:
                out[name] = int(entry)
    return out


def cpu_ticks(pid):
    stat = open("/proc/%d/stat" % pid).read()
    fields = stat[stat.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def status_kb(pid, key):
    for line in open("/proc/%d/status" % pid):
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


# ---- DNS, by hand, so polling costs no process per query ----

def dns_answers(name, sock, qid):
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\x00" + struct.pack(">HH", 1, 1)
    sock.sendto(q, (ADDR, DNS_PORT))
    while True:
        data = sock.recv(4096)
        if struct.unpack(">H", data[:2])[0] == qid:
            return struct.unpack(">H", data[6:8])[0]


def main():
    http_port, tcp_port = start_http_target(), start_tcp_target()
    conf, ttl_checks = definitions(http_port, tcp_port)
    tmp = tempfile.mkdtemp(prefix="consul-bench-checks-")
    conf_path = os.path.join(tmp, "services.json")
    with open(conf_path, "w") as f:
        json.dump(conf, f)
    log = open(os.path.join(tmp, "agent.log"), "wb")
    agent = subprocess.Popen([CONSUL, "agent", "-dev", "-node=bench", "-bind=" + ADDR, "-client=" + ADDR,
                              "-config-file=" + conf_path], stdout=log, stderr=subprocess.STDOUT)
    stop = threading.Event()
    try:
        t0 = time.monotonic()
        while time.monotonic() - t0 < 60:
            try:
                status, body = http_req("GET", "/v1/catalog/services", timeout=2)
                if status == 200 and len(json.loads(body)) >= SERVICES + 1:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        else:
            sys.exit("the services did not reach the catalog in 60 s (log: %s)" % log.name)
        print("1,000 services in the catalog %.1f s after start" % (time.monotonic() - t0))

        # Keep the TTL checks passing every 10 s, spread over the period, as their owners would.
        def ttl_keeper():
            i = 0
            period = 10.0 / len(ttl_checks)
            conn = http.client.HTTPConnection(ADDR, HTTP_PORT, timeout=10)
            while not stop.is_set():
                _, cid = ttl_checks[i % len(ttl_checks)]
                conn.request("PUT", "/v1/agent/check/pass/" + cid)
                conn.getresponse().read()
                i += 1
                time.sleep(period)
        threading.Thread(target=ttl_keeper, daemon=True).start()

        pid = children(agent.pid).get("consul-checkd")
        time.sleep(12)  # every HTTP/TCP check has run at least once
        status, body = http_req("GET", "/v1/health/state/critical")
        print("critical checks before measuring: %d" % len(json.loads(body)))
        ticks0, w0 = cpu_ticks(pid), time.monotonic()
        rss_samples = []
        while time.monotonic() - w0 < MEASURE_S:
            time.sleep(1)
            rss_samples.append(status_kb(pid, "VmRSS"))
        cpu = (cpu_ticks(pid) - ticks0) / CLK_TCK / (time.monotonic() - w0) * 100
        print("checkd CPU over %.0f s: %.1f %% of one core" % (MEASURE_S, cpu))
        print("checkd RSS: median %.1f MB, max %.1f MB (VmHWM %.1f MB)" % (
            statistics.median(rss_samples) / 1024, max(rss_samples) / 1024, status_kb(pid, "VmHWM") / 1024))
        roles = children(agent.pid)
        total = sum(status_kb(p, "VmRSS") for p in list(roles.values()) + [agent.pid])
        print("whole agent RSS: %.1f MB (%s)" % (total / 1024, ", ".join(
            "%s %.1f" % (n.replace("consul-", ""), status_kb(p, "VmRSS") / 1024) for n, p in sorted(roles.items()))))

        # Failing TTL checks: time until the service's name no longer answers. The keeper
        # stops first so it cannot pass a check just failed (their TTL is 30 s).
        stop.set()
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.settimeout(2)
        rng = random.Random(1)
        delays = []
        for n, (svc, cid) in enumerate(rng.sample(ttl_checks, FAILURES)):
            name = "svc%d.service.consul" % svc
            if dns_answers(name, sock, 1000 + n) == 0:
                continue
            t = time.monotonic()
            http_req("PUT", "/v1/agent/check/fail/" + cid)
            qid = 2000 + 10 * n
            while dns_answers(name, sock, qid) > 0:
                qid += 1
                if time.monotonic() - t > 30:
                    break
                time.sleep(0.001)
            delays.append((time.monotonic() - t) * 1000)
        print("check failing -> service out of DNS: median %.1f ms, min %.1f, max %.1f (%d services)" % (
            statistics.median(delays), min(delays), max(delays), len(delays)))
    finally:
        stop.set()
        agent.send_signal(signal.SIGTERM)
        try:
            agent.wait(10)
        except subprocess.TimeoutExpired:
            agent.kill()


if __name__ == "__main__":
    main()
