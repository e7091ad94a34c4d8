"""A client agent (no -server): no raftd; its own services and membership work; catalog
reads say that no server is known, as Consul's do, until it joins one (gossip issue)."""
import tempfile

from harness import Agent, check, finish, run_cli, wait_for

ADDR = "127.0.0.27"
args = ["-data-dir=" + tempfile.mkdtemp(prefix="consul-it-client-"), "-node=client-node"]
with Agent(ADDR, args, config={"service": {"name": "app", "port": 3000}}) as a:
    roles = wait_for(lambda: len(a.roles()) == 4 and a.roles(), 5)
    check(roles and "consul-raftd" not in roles, "a client runs four roles, no raftd: %r" % roles)
    check(wait_for(lambda: a.http("GET", "/v1/agent/services", timeout_s=1)[0] == 200, 5), "agent API up")
    status, _, services = a.get_json("/v1/agent/services")
    check(services and "app" in services, "its own service is registered locally: %r" % services)
    rc, out, _ = run_cli(["members"], addr=a.http_addr())
    row = out.splitlines()[1].split() if rc == 0 and len(out.splitlines()) == 2 else []
    check(row[:4] == ["client-node", ADDR + ":8301", "alive", "client"] and row[-1] == "<default>",
          "members shows a client: %r" % out)
    status, _, body = a.http("GET", "/v1/catalog/nodes")
    check(status == 500 and body == b"No known Consul servers", "catalog without a server: %d %r" % (status, body))
    rcode, ans, _, _ = a.dig("client-node.node.consul")
    check(rcode == "SERVFAIL" and not ans, "DNS without a catalog: SERVFAIL (%s)" % rcode)
    check(a.stop() == 0, "clean stop")
finish()
