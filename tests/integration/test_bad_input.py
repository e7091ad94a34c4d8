"""Bad input gets a clear error and harms nothing: config, flags, ports, HTTP, DNS."""
import json
import os
import socket
import subprocess
import tempfile
import time

from harness import CONSUL, Agent, check, finish, run_cli, wait_for

tmp = tempfile.mkdtemp(prefix="consul-it-bad-")


def agent_exit(args, timeout_s=10):
    p = subprocess.run([CONSUL, "agent"] + args, capture_output=True, timeout=timeout_s)
    return p.returncode, (p.stdout + p.stderr).decode(errors="replace")


# A malformed config file: exit non-zero, naming the file
bad = os.path.join(tmp, "bad.json")
with open(bad, "w") as f:
    f.write('{"ports": {"http": "eighty"}}')
rc, out = agent_exit(["-dev", "-bind=127.0.0.24", "-config-file=" + bad])
check(rc != 0 and bad in out and "ports.http" in out, "bad config value names file and key: %r" % out[-300:])

broken = os.path.join(tmp, "broken.json")
with open(broken, "w") as f:
    f.write('{"node_name": "x",')
rc, out = agent_exit(["-dev", "-bind=127.0.0.24", "-config-file=" + broken])
check(rc != 0 and broken in out, "malformed JSON names the file: %r" % out[-300:])

rc, out = agent_exit(["-dev", "-no-such-flag"])
check(rc != 0 and "-no-such-flag" in out, "unknown flag is named: %r" % out[-200:])

rc, out = agent_exit(["-server", "-bootstrap-expect=1", "-bind=127.0.0.24"])
check(rc != 0 and "data_dir" in out.replace("-", "_"), "server without a data dir: %r" % out[-200:])

# A port already in use: the agent fails to start, saying which
squatter = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
squatter.bind(("127.0.0.24", 8500))
squatter.listen(1)
t0 = time.monotonic()
rc, out = agent_exit(["-dev", "-bind=127.0.0.24", "-client=127.0.0.24"], timeout_s=20)
check(rc != 0 and "8500" in out and "in use" in out, "port in use is fatal and named: %r" % out[-400:])
print("     failed start took %.2f s" % (time.monotonic() - t0))
squatter.close()

with Agent("127.0.0.24", ["-dev", "-node=bad-input"], config={"log_level": "info"}) as a:
    check(a.wait_leader(), "agent up")

    # Malformed HTTP: 400 for that client, everyone else unaffected
    for raw in [b"GARBAGE\r\n\r\n", b"GET /v1/status/leader HTTP/9.9\r\n\r\n",
                b"GET /v1/kv/x HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
                b"GET /v1/kv/x HTTP/1.1\r\n" + b"X: " + b"a" * 70000 + b"\r\n\r\n",
                b"\x00\x01\x02\xff" * 100]:
        s = socket.create_connection((a.addr, a.http_port), timeout=5)
        try:
            s.sendall(raw)
            s.shutdown(socket.SHUT_WR)
            reply = s.recv(4096)
        except OSError:
            reply = b""
        finally:
            s.close()
        check(reply == b"" or reply.startswith(b"HTTP/1.1 4") or reply.startswith(b"HTTP/1.0 4"),
              "malformed request %r... -> %r" % (raw[:20], reply[:40]))
    status, _, _ = a.http("GET", "/v1/status/leader")
    check(status == 200, "httpd still serves after malformed requests")

    status, _, body = a.http("PUT", "/v1/agent/service/register", body=b'{"Name": ')
    check(status == 400, "malformed JSON body: 400 (%d %r)" % (status, body))
    status, _, body = a.http("PUT", "/v1/agent/service/register", body=b'{"Port": 80}')
    check(status == 400, "service without a name: 400 (%d %r)" % (status, body))
    status, _, services = a.get_json("/v1/agent/services")
    check(services == {}, "nothing registered by the bad requests: %r" % services)
    status, headers, _ = a.http("DELETE", "/v1/status/leader")
    check(status == 405, "a method the path does not take: 405 (%d)" % status)
    status, _, _ = a.http("GET", "/v1/no/such/path")
    check(status == 404, "unknown path: 404 (%d)" % status)

    # Malformed DNS: no crash, the next query answers
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.settimeout(1)
    for junk in [b"", b"\x00", b"\x12\x34\x01\x00\x00\x01", os.urandom(64), b"\xff" * 600,
                 b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\xc0\x0c\x00\x01\x00\x01"]:
        u.sendto(junk, (a.addr, a.dns_port))
        try:
            u.recv(4096)
        except socket.timeout:
            pass
    u.close()
    s = socket.create_connection((a.addr, a.dns_port), timeout=2)
    s.sendall(b"\xff\xff" + b"\x00" * 10)
    s.close()
    rcode, ans, _, _ = a.dig("bad-input.node.consul")
    check(rcode == "NOERROR" and ans, "dnsd answers after malformed packets")
    check(a.proc.poll() is None and len(a.roles()) == 5, "no role died: %r" % a.roles())

    # SIGHUP reloads without restarting any role; a now-broken config file keeps the old one
    before = a.roles()
    a.proc.send_signal(1)
    time.sleep(0.3)
    check(a.roles() == before, "SIGHUP restarts no role: %r -> %r" % (before, a.roles()))
    with open(os.path.join(a.tmp, "config.json"), "w") as f:
        f.write('{"log_level": ')
    a.proc.send_signal(1)
    time.sleep(0.3)
    with open(a.log_path, "rb") as f:
        log = f.read().decode(errors="replace")
    check("keeping the old one" in log and "config.json" in log, "a broken file on reload is reported, old config kept")
    check(a.roles() == before and a.http("GET", "/v1/status/leader")[0] == 200, "still serving after the bad reload")

finish()
