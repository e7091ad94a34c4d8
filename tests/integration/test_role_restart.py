"""kill -9 of a role: the supervisor restarts it, it answers again, the other roles keep serving."""
import os
import signal
import time

from harness import Agent, check, finish, run_cli, wait_for

ADDR = "127.0.0.22"
CONFIG = {"service": {"name": "api", "port": 9000}}

with Agent(ADDR, ["-dev", "-node=restart-node"], config=CONFIG) as a:
    check(a.wait_leader(), "agent up")
    roles = wait_for(lambda: len(a.roles()) == 5 and a.roles(), 5)
    check(roles and set(roles) == {"consul-raftd", "consul-gossipd", "consul-checkd", "consul-httpd",
                                   "consul-dnsd"}, "five roles run as children: %r" % roles)
    check(wait_for(lambda: a.dig("restart-node.node.consul")[1], 5), "DNS answers before the kill")
    rc, out, _ = run_cli(["kv", "put", "before", "kill"], addr=a.http_addr())
    check(rc == 0, "a write before the kills")

    # dnsd: killed, restarted, answering within 2 s; httpd serves all along
    old = roles["consul-dnsd"]
    os.kill(old, signal.SIGKILL)
    t0 = time.monotonic()
    http_ok = 0
    answered_s = None
    while time.monotonic() - t0 < 5:
        status, _, _ = a.http("GET", "/v1/catalog/nodes")
        http_ok += status == 200
        rcode, ans, _, _ = a.dig("restart-node.node.consul")
        if ans:
            answered_s = time.monotonic() - t0
            break
        time.sleep(0.02)
    check(answered_s is not None and answered_s < 2.0, "dnsd answers again %.3f s after kill -9" %
          (answered_s if answered_s is not None else -1))
    check(http_ok > 0, "httpd kept serving while dnsd was down (%d requests)" % http_ok)
    new = a.roles().get("consul-dnsd")
    check(new and new != old, "dnsd has a new pid (%s -> %s)" % (old, new))

    # httpd: killed and back; DNS serves meanwhile
    old = a.roles()["consul-httpd"]
    os.kill(old, signal.SIGKILL)
    rcode, ans, _, _ = a.dig("restart-node.node.consul")
    check(ans, "DNS answers while httpd is down")
    check(wait_for(lambda: a.http("GET", "/v1/status/leader", timeout_s=1)[0] == 200, 3),
          "httpd answers again after kill -9")

    # checkd: back, and the service is still in the catalog
    os.kill(a.roles()["consul-checkd"], signal.SIGKILL)
    time.sleep(0.3)
    check(wait_for(lambda: a.get_json("/v1/catalog/service/api")[2], 5), "service still registered after checkd restart")
    check(wait_for(lambda: a.http("GET", "/v1/agent/services", timeout_s=1)[0] == 200, 3),
          "agent endpoints answer after checkd restart")

    # raftd: back, with the data of this run (the -dev data dir lives until the agent stops)
    os.kill(a.roles()["consul-raftd"], signal.SIGKILL)
    check(wait_for(lambda: a.http("GET", "/v1/kv/before?raw", timeout_s=1)[2] == b"kill", 5),
          "raftd restarted and the write before the kill is there")
    check(wait_for(lambda: a.get_json("/v1/catalog/service/api")[2], 5), "catalog intact after raftd restart")
    check(a.proc.poll() is None, "the supervisor itself kept running")

finish()
