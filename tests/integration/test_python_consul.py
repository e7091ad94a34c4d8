"""Debian's python3-consul (0.7.1), a real client library, against our agent."""
import time

import consul

from harness import Agent, check, finish, wait_for

ADDR = "127.0.0.25"

with Agent(ADDR, ["-dev", "-node=py-node"]) as a:
    check(a.wait_leader(), "agent up")
    c = consul.Consul(host=ADDR, port=8500)

    check(c.status.leader() == ADDR + ":8300", "status.leader")
    check(c.kv.put("py/key", "hello"), "kv.put")
    index, data = c.kv.get("py/key")
    check(data and data["Value"] == b"hello" and int(index) > 0, "kv.get: %r" % (data,))
    check(c.kv.put("py/other", "x", cas=0) and not c.kv.put("py/other", "y", cas=0), "kv.put cas=0 only creates")
    index, keys = c.kv.get("py/", keys=True)
    check(keys == ["py/key", "py/other"], "kv.get keys: %r" % keys)
    index, entries = c.kv.get("py", recurse=True)
    check([e["Key"] for e in entries] == ["py/key", "py/other"], "kv.get recurse")
    check(c.kv.delete("py", recurse=True), "kv.delete recurse")
    index, data = c.kv.get("py/key")
    check(data is None, "deleted")

    check(c.agent.service.register("cache", service_id="cache1", port=6379, tags=["redis"],
                                   check=consul.Check.ttl("10s")), "agent.service.register with a TTL check")
    services = c.agent.services()
    check("cache1" in services and services["cache1"]["Service"] == "cache" and services["cache1"]["Port"] == 6379,
          "agent.services: %r" % services)
    checks = c.agent.checks()
    check("service:cache1" in checks and checks["service:cache1"]["Status"] == "critical",
          "agent.checks has the TTL check, critical: %r" % checks)
    check(c.agent.check.ttl_pass("service:cache1", notes="warm"), "agent.check.ttl_pass (GET in 0.7.1)")

    def passing():
        index, nodes = c.health.service("cache", passing=True)
        return nodes
    nodes = wait_for(passing, 5)
    check(nodes and nodes[0]["Service"]["ID"] == "cache1" and nodes[0]["Node"]["Node"] == "py-node",
          "health.service passing: %r" % nodes)
    index, svc = c.catalog.service("cache")
    check(svc and svc[0]["ServicePort"] == 6379, "catalog.service")
    index, nodes = c.catalog.nodes()
    check(any(n["Node"] == "py-node" for n in nodes), "catalog.nodes")
    index, catalog_services = c.catalog.services()
    check("cache" in catalog_services, "catalog.services")
    check(c.agent.check.ttl_fail("service:cache1"), "ttl_fail")
    check(wait_for(lambda: not passing(), 5), "a failing check removes it from ?passing")
    check(c.agent.service.deregister("cache1"), "agent.service.deregister (GET in 0.7.1)")
    check(wait_for(lambda: not c.catalog.service("cache")[1], 5), "deregistered from the catalog")
    members = c.agent.members()
    check(len(members) == 1 and members[0]["Name"] == "py-node" and members[0]["Status"] == 1, "agent.members")
    me = c.agent.self()
    check(me["Config"]["NodeName"] == "py-node" and me["Config"]["Datacenter"] == "dc1", "agent.self")

    # A blocking query returns when the index moves
    index, _ = c.kv.get("blocking")
    t0 = time.monotonic()
    import threading
    threading.Timer(0.3, lambda: c.kv.put("blocking", "now")).start()
    index2, data = c.kv.get("blocking", index=index, wait="5s")
    waited = time.monotonic() - t0
    check(data and data["Value"] == b"now" and 0.2 < waited < 4, "blocking query woke on the write (%.2f s)" % waited)

finish()
