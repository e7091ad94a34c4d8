"""HTTP and TCP checks against real targets started here: an HTTP server whose answer flips
between 200, 429 and 500, a TCP listener that opens and closes; thresholds and flapping;
DNS and ?passing following health; deregister_critical_service_after; a checkd restart that
keeps API registrations; anti-entropy repairing a catalog entry deleted behind its back."""
import http.server
import json
import os
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time

from harness import Agent, check, finish, wait_for

ADDR = "127.0.0.41"
HTTP_PORT = 18081
TCP_PORT = 18082
# Consul's non-user intervals, shortened so the test runs in seconds.
os.environ["CONSUL_CHECK_REAP_INTERVAL"] = "200ms"
os.environ["CONSUL_CHECK_DEREGISTER_INTERVAL_MIN"] = "0s"
os.environ["CONSUL_AE_INTERVAL"] = "1s"

answer = {"code": 200}


class Target(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        key = (self.server.server_port, self.path)
        answer[key] = answer.get(key, 0) + 1
        if self.path == "/health":  # web's check, the one with a header
            answer["ua"] = self.headers.get("User-Agent")
            answer["x"] = self.headers.get("X-Probe")
        body = b"state %d\n" % answer["code"]
        self.send_response(answer["code"])
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer((ADDR, HTTP_PORT), Target)
threading.Thread(target=server.serve_forever, daemon=True).start()


def tcp_listener():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((ADDR, TCP_PORT))
    s.listen(16)
    return s


listener = tcp_listener()

# An HTTPS target with a self-signed certificate: passing with tls_skip_verify, critical without.
HTTPS_PORT = 18083
tls_dir = tempfile.mkdtemp(prefix="consul-it-tls-")
subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", tls_dir + "/key.pem",
                "-out", tls_dir + "/cert.pem", "-days", "1", "-subj", "/CN=localhost"], check=True,
               capture_output=True, timeout=30)
tls_server = http.server.ThreadingHTTPServer((ADDR, HTTPS_PORT), Target)
tls_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
tls_ctx.load_cert_chain(tls_dir + "/cert.pem", tls_dir + "/key.pem")
tls_server.socket = tls_ctx.wrap_socket(tls_server.socket, server_side=True)
threading.Thread(target=tls_server.serve_forever, daemon=True).start()

CONFIG = {"services": [
    {"name": "web", "port": HTTP_PORT, "address": ADDR,
     "check": {"id": "web-http", "http": "http://%s:%d/health" % (ADDR, HTTP_PORT), "interval": "1s",
               "header": {"X-Probe": ["yes"]}}},
    {"name": "db", "port": TCP_PORT, "address": ADDR,
     "check": {"id": "db-tcp", "tcp": "%s:%d" % (ADDR, TCP_PORT), "interval": "1s", "timeout": "500ms"}},
    {"name": "secure", "port": HTTPS_PORT, "checks": [
        {"id": "tls-skip", "http": "https://%s:%d/" % (ADDR, HTTPS_PORT), "interval": "1s", "tls_skip_verify": True},
        {"id": "tls-verify", "http": "https://%s:%d/" % (ADDR, HTTPS_PORT), "interval": "1s",
         "tls_server_name": "localhost"}]},
]}


def agent_check(a, cid):
    status, _, checks = a.get_json("/v1/agent/checks")
    return (checks or {}).get(cid) if status == 200 else None


def status_is(a, cid, want):
    c = agent_check(a, cid)
    return c and c["Status"] == want and c


def catalog_status(a, cid):
    _, _, checks = a.get_json("/v1/health/node/checks-node")
    for c in checks or []:
        if c["CheckID"] == cid:
            return c["Status"]
    return None


data_dir = tempfile.mkdtemp(prefix="consul-it-checks-")
# Not -dev: API registrations persist only with a real data dir, as Consul's.
with Agent(ADDR, ["-server", "-bootstrap-expect=1", "-data-dir=" + data_dir, "-node=checks-node"],
           config=CONFIG) as a:
    check(a.wait_leader(), "agent up")

    # HTTP: 200 passing, with Consul's output and headers
    c = wait_for(lambda: status_is(a, "web-http", "passing"), 5)
    check(c and c["Output"] == "HTTP GET http://%s:%d/health: 200 OK Output: state 200\n" % (ADDR, HTTP_PORT),
          "HTTP 200 is passing, worded as Consul: %r" % (c and c["Output"]))
    check(answer.get("ua") == "Consul Health Check" and answer.get("x") == "yes",
          "the request carries Consul's User-Agent and the check's header: %r %r" % (answer.get("ua"), answer.get("x")))
    check(wait_for(lambda: catalog_status(a, "web-http") == "passing", 3), "the catalog has it passing")
    check(wait_for(lambda: len(a.dig("web.service.consul")[1]) == 1, 3), "DNS answers web while passing")

    answer["code"] = 429
    c = wait_for(lambda: status_is(a, "web-http", "warning"), 4)
    check(c and "429 Too Many Requests Output: state 429" in c["Output"], "HTTP 429 is warning")
    check(wait_for(lambda: len(a.dig("web.service.consul")[1]) == 1, 3), "DNS still answers web while warning")

    answer["code"] = 500
    c = wait_for(lambda: status_is(a, "web-http", "critical"), 4)
    check(c and "500 Internal Server Error" in c["Output"], "HTTP 500 is critical")
    check(wait_for(lambda: catalog_status(a, "web-http") == "critical", 3), "the catalog follows to critical")
    check(wait_for(lambda: a.dig("web.service.consul")[1] == [], 3), "DNS drops web once its check is critical")
    _, _, passing = a.get_json("/v1/health/service/web?passing")
    check(passing == [], "?passing drops it too: %r" % passing)
    answer["code"] = 200
    check(wait_for(lambda: status_is(a, "web-http", "passing"), 4), "back to passing")
    check(wait_for(lambda: len(a.dig("web.service.consul")[1]) == 1, 3), "and back in DNS")

    # HTTPS through OpenSSL, loaded on first use
    c = wait_for(lambda: status_is(a, "tls-skip", "passing"), 5)
    check(c and c["Output"].startswith("HTTP GET https://%s:%d/: 200 OK Output: state" % (ADDR, HTTPS_PORT)),
          "HTTPS with tls_skip_verify passes: %r" % (c and c["Output"]))
    c = wait_for(lambda: status_is(a, "tls-verify", "critical") and agent_check(a, "tls-verify")["Output"] and
                 agent_check(a, "tls-verify"), 5)
    check(c and c["Output"].endswith("tls: failed to verify certificate: x509: certificate signed by unknown authority"),
          "HTTPS with an untrusted certificate is critical: %r" % (c and c["Output"]))

    # TCP: open listener passing; closed critical with Go's dial error
    c = wait_for(lambda: status_is(a, "db-tcp", "passing"), 4)
    check(c and c["Output"] == "TCP connect %s:%d: Success" % (ADDR, TCP_PORT), "TCP passing: %r" % (c and c["Output"]))
    listener.close()
    c = wait_for(lambda: status_is(a, "db-tcp", "critical"), 4)
    check(c and c["Output"] == "dial tcp %s:%d: connect: connection refused" % (ADDR, TCP_PORT),
          "TCP critical once the listener closes: %r" % (c and c["Output"]))
    listener = tcp_listener()
    check(wait_for(lambda: status_is(a, "db-tcp", "passing"), 4), "TCP passing again once it reopens")

    # Thresholds: failures_before_critical=2, success_before_passing=2, through the API
    body = {"Name": "flappy", "Port": HTTP_PORT, "Check": {
        "CheckID": "flappy-http", "HTTP": "http://%s:%d/" % (ADDR, HTTP_PORT), "Interval": "1s",
        "FailuresBeforeCritical": 2, "SuccessBeforePassing": 2, "Status": "passing"}}
    status, _, _ = a.http("PUT", "/v1/agent/service/register", body=json.dumps(body).encode())
    check(status == 200, "service with thresholds registered")
    flappy_hits = lambda: answer.get((HTTP_PORT, "/"), 0)
    wait_for(lambda: flappy_hits() >= 2, 4)
    answer["code"] = 500
    t0 = time.monotonic()
    h0 = flappy_hits()
    wait_for(lambda: flappy_hits() > h0, 3)  # exactly one failure seen (the next is ~1 s away)
    time.sleep(0.3)
    c = agent_check(a, "flappy-http")
    check(c and c["Status"] == "passing" and flappy_hits() == h0 + 1,
          "one failure is held back by failures_before_critical=2")
    c = wait_for(lambda: status_is(a, "flappy-http", "critical"), 4)
    check(c and time.monotonic() - t0 >= 1.0, "critical after the second failure (%.1f s)" % (time.monotonic() - t0))
    # flapping: one success between failures never publishes passing
    h0 = flappy_hits()
    answer["code"] = 200
    wait_for(lambda: flappy_hits() > h0, 3)
    answer["code"] = 500
    h0 = flappy_hits()
    wait_for(lambda: flappy_hits() > h0 + 1, 4)
    check(agent_check(a, "flappy-http")["Status"] == "critical", "a single success amid failures stays critical")
    answer["code"] = 200
    check(wait_for(lambda: status_is(a, "flappy-http", "passing"), 4), "two successes in a row turn it passing")

    # Anti-entropy: a check and a service deleted from the catalog behind the agent's back
    status, _, _ = a.http("PUT", "/v1/catalog/deregister",
                          body=json.dumps({"Node": "checks-node", "ServiceID": "db"}).encode())
    check(status == 200, "catalog deregister of db behind the agent's back")
    check(wait_for(lambda: a.get_json("/v1/catalog/service/db")[2], 4), "anti-entropy puts db back")

    # A checkd restart keeps API registrations (and the service stays in the catalog)
    roles = a.roles()
    os.kill(roles["consul-checkd"], signal.SIGKILL)
    check(wait_for(lambda: a.roles().get("consul-checkd") not in (None, roles["consul-checkd"]), 5),
          "checkd restarted")
    check(wait_for(lambda: agent_check(a, "flappy-http"), 5), "the API-registered check survived the restart")
    check(wait_for(lambda: status_is(a, "flappy-http", "passing"), 5), "and runs again after the restart")

    # deregister_critical_service_after
    body = {"Name": "doomed", "Port": 1, "Check": {"CheckID": "doomed-tcp", "TCP": "%s:1" % ADDR,
                                                   "Interval": "1s", "DeregisterCriticalServiceAfter": "1s"}}
    status, _, _ = a.http("PUT", "/v1/agent/service/register", body=json.dumps(body).encode())
    check(status == 200, "doomed service registered")
    check(wait_for(lambda: a.get_json("/v1/catalog/service/doomed")[2], 3), "doomed is in the catalog")
    gone = wait_for(lambda: a.http("GET", "/v1/agent/service/doomed")[0] == 404, 6)
    check(gone, "the agent deregistered doomed after its check stayed critical")
    check(wait_for(lambda: a.get_json("/v1/catalog/service/doomed")[2] == [], 3), "and the catalog followed")
    check(agent_check(a, "web-http") is not None, "other services stay")

    # Bad input: an HTTP check with an unsupported scheme is critical with Go's words
    body = {"Name": "odd", "CheckID": "odd", "HTTP": "ftp://%s/" % ADDR, "Interval": "1s"}
    a.http("PUT", "/v1/agent/check/register", body=json.dumps(body).encode())
    c = wait_for(lambda: agent_check(a, "odd") and agent_check(a, "odd")["Output"] and agent_check(a, "odd"), 3)
    check(c and c["Output"] == 'Get "ftp://%s/": unsupported protocol scheme "ftp"' % ADDR,
          "unsupported scheme: %r" % (c and c["Output"]))

server.shutdown()
tls_server.shutdown()
listener.close()
finish()
