"""The README's tour against a real dev agent: members, catalog, DNS, KV, headers."""
import base64
import json
import socket
import time

from harness import Agent, check, finish, run_cli, wait_for

ADDR = "127.0.0.21"
HOST = socket.gethostname()
CONFIG = {"service": {"name": "web", "tags": ["v1"], "port": 8080,
                      "check": {"id": "web-ttl", "ttl": "30s"}}}

with Agent(ADDR, ["-dev", "-node=tour-node"], config=CONFIG) as a:
    t0 = time.monotonic()
    check(a.wait_leader(), "leader elected and /v1/status/leader answers")
    print("     leader after %.0f ms" % ((time.monotonic() - t0) * 1000))

    status, headers, body = a.http("GET", "/v1/status/leader")
    check(body.strip() == b'"%s:8300"' % ADDR.encode(), "leader is this server: %r" % body)
    status, headers, peers = a.get_json("/v1/status/peers")
    check(peers == ["%s:8300" % ADDR], "peers lists this server: %r" % peers)

    # consul members, with Consul's columns
    rc, out, err = run_cli(["members"], addr=a.http_addr())
    lines = out.splitlines()
    check(rc == 0 and len(lines) == 2, "members prints a header and one row: %r %r" % (out, err))
    check(lines and lines[0].split() == ["Node", "Address", "Status", "Type", "Build", "Protocol", "DC",
                                         "Partition", "Segment"], "members header columns")
    if len(lines) == 2:
        row = lines[1].split()
        check(row[:4] == ["tour-node", ADDR + ":8301", "alive", "server"] and row[6] == "dc1",
              "members row: %r" % row)
    rc, out, err = run_cli(["members", "-status=failed"], addr=a.http_addr())
    check(rc == 2 and out == "", "members -status with no match exits 2")

    # The catalog: node and service registered by checkd's sync
    def web_registered():
        s, h, b = a.get_json("/v1/catalog/service/web")
        return b if s == 200 and b else None
    web = wait_for(web_registered, 5)
    check(web and web[0]["ServiceName"] == "web" and web[0]["ServicePort"] == 8080 and
          web[0]["ServiceTags"] == ["v1"] and web[0]["Node"] == "tour-node" and web[0]["Address"] == ADDR,
          "catalog/service/web: %r" % web)
    status, headers, _ = a.get_json("/v1/catalog/service/web")
    check(int(headers.get("x-consul-index", "0")) > 0, "X-Consul-Index is set and not 0: %r" %
          headers.get("x-consul-index"))
    check(headers.get("x-consul-knownleader") == "true", "X-Consul-KnownLeader: true")
    check(headers.get("x-consul-lastcontact") is not None, "X-Consul-LastContact present")
    check(headers.get("content-type", "").startswith("application/json"), "JSON content type")

    # DNS: the node, and the service once its TTL check passes
    rcode, ans, auth, add = a.dig("tour-node.node.consul")
    check(rcode == "NOERROR" and ans and ans[0][3] == "A" and ans[0][4] == ADDR, "node A record: %r" % ans)
    rcode, ans, auth, add = a.dig("tour-node.node.dc1.consul")
    check(rcode == "NOERROR" and ans and ans[0][4] == ADDR, "node A record with the datacenter")
    rcode, ans, auth, add = a.dig("tour-node.node.consul", "AAAA")
    check(rcode == "NOERROR" and not ans and auth and auth[0][3] == "SOA", "AAAA of an IPv4 node: NODATA + SOA")
    rcode, ans, auth, add = a.dig("nosuch.node.consul")
    check(rcode == "NXDOMAIN" and auth and auth[0][3] == "SOA", "unknown node: NXDOMAIN + SOA")

    rcode, ans, auth, add = a.dig("web.service.consul", "SRV")
    check(rcode in ("NXDOMAIN", "NOERROR") and not ans, "web with a critical TTL check is left out: %r" % ans)
    status, _, _ = a.http("PUT", "/v1/agent/check/pass/web-ttl?note=ok")
    check(status == 200, "TTL pass accepted")

    def srv_answer():
        r = a.dig("web.service.consul", "SRV")
        return r if r[1] else None
    r = wait_for(srv_answer, 5)
    check(r is not None, "web appears in DNS after its check passes")
    if r:
        rcode, ans, auth, add = r
        check(ans[0][3] == "SRV" and ans[0][6] == "8080" and ans[0][7].startswith("tour-node.node."),
              "SRV record: %r" % ans)
        check(any(x[3] == "A" and x[4] == ADDR for x in add), "SRV target's A record in additional: %r" % add)
        rcode, ans, _, _ = a.dig("v1.web.service.consul")
        check(rcode == "NOERROR" and ans and ans[0][4] == ADDR, "TAG.NAME.service.consul A")
        rcode, ans, _, _ = a.dig("v2.web.service.consul")
        check(not ans, "a tag nobody has gives no answer")
        rcode, ans, _, add = a.dig("web.service.consul", "SRV", tcp=True)
        check(ans and ans[0][3] == "SRV", "SRV over TCP")

    status, _, health = a.get_json("/v1/health/service/web?passing")
    check(status == 200 and len(health) == 1 and health[0]["Service"]["Service"] == "web",
          "health/service/web?passing has the instance")

    # KV through the CLI, and the index moving
    _, h1, _ = a.get_json("/v1/catalog/services")
    rc, out, err = run_cli(["kv", "put", "app/config", '{"a":1}'], addr=a.http_addr())
    check(rc == 0 and out.strip() == "Success! Data written to: app/config", "kv put: %r %r" % (out, err))
    rc, out, err = run_cli(["kv", "get", "app/config"], addr=a.http_addr())
    check(rc == 0 and out == '{"a":1}\n', "kv get: %r" % out)
    status, h2, kv = a.get_json("/v1/kv/app/config")
    check(int(h2["x-consul-index"]) > int(h1["x-consul-index"]), "X-Consul-Index moves on a write")
    check(kv[0]["Key"] == "app/config" and base64.b64decode(kv[0]["Value"]) == b'{"a":1}' and
          kv[0]["CreateIndex"] == kv[0]["ModifyIndex"] and kv[0]["LockIndex"] == 0 and kv[0]["Flags"] == 0,
          "KV entry fields: %r" % kv)
    status, _, raw = a.http("GET", "/v1/kv/app/config?raw")
    check(raw == b'{"a":1}', "?raw returns the bytes")
    rc, out, err = run_cli(["kv", "get", "nope"], addr=a.http_addr())
    check(rc == 1 and "Error! No key exists at: nope" in err, "kv get of a missing key")
    rc, out, err = run_cli(["kv", "delete", "app/config"], addr=a.http_addr())
    check(rc == 0 and "Success! Deleted key: app/config" in out, "kv delete")
    status, _, _ = a.http("GET", "/v1/kv/app/config")
    check(status == 404, "deleted key is gone")

    rc, out, err = run_cli(["catalog", "services"], addr=a.http_addr())
    check(rc == 0 and set(out.split()) == {"consul", "web"} or set(out.split()) == {"web"},
          "catalog services: %r" % out)
    rc, out, err = run_cli(["catalog", "nodes"], addr=a.http_addr())
    check(rc == 0 and "tour-node" in out and ADDR in out, "catalog nodes: %r" % out)

    # CONSUL_HTTP_ADDR and -http-addr both work; a wrong address is a clear error
    rc, out, err = run_cli(["members", "-http-addr=" + a.http_addr()])
    check(rc == 0 and "tour-node" in out, "-http-addr is honoured")
    rc, out, err = run_cli(["members"], addr="127.0.0.1:1")
    check(rc == 1 and "connection refused" in err.lower(), "unreachable agent: %r" % err)

    # Clean stop
    # Consul: a server (and -dev) does not leave on SIGTERM, and exits 1 without a leave
    check(a.stop() == 1, "SIGTERM stops the agent, without a leave: exit code 1")
    check(wait_for(lambda: not a.roles(), 3) or not a.roles(), "no role outlives the agent")

finish()
