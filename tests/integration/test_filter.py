"""?filter= and ?node-meta= through real HTTP: Consul's expression language on the catalog,
health and agent list endpoints, a 400 naming the problem for a bad expression, and blocking
queries that still block and still carry X-Consul-Index."""
import json
import threading
import time
import urllib.parse

from harness import Agent, check, finish, wait_for

ADDR = "127.0.0.71"
CONFIG = {"services": [
    {"name": "web", "id": "web-a", "port": 7001, "tags": ["primary", "v1"], "meta": {"team": "blue"}},
    {"name": "web", "id": "web-b", "port": 7002, "tags": ["v2"]},
    {"name": "db", "port": 5432, "check": {"id": "db-ttl", "ttl": "60s", "status": "critical"}},
]}


def short(body):
    """What a message shows of a reply: the IDs (or node names) it holds, not whole entries."""
    if isinstance(body, dict) and "Services" in body:
        body = body["Services"]
    if isinstance(body, dict):
        return sorted(body)
    if isinstance(body, list):
        return [e.get("ServiceID") or e.get("CheckID") or (e.get("Node") if isinstance(e.get("Node"), str) else
                (e.get("Node") or {}).get("Node")) or e.get("ID") for e in body if isinstance(e, dict)]
    return body


def q(expr):
    return urllib.parse.quote(expr, safe="")


def ids(body, key="ID"):
    return sorted(e[key] for e in body)


def external(node, meta, service, port):
    return json.dumps({"Node": node, "Address": "10.1.0.%d" % port, "NodeMeta": meta,
                       "Service": {"ID": service + str(port), "Service": service, "Port": port},
                       "Check": {"CheckID": "ext" + str(port), "Name": "ext", "Status": "passing",
                                 "ServiceID": service + str(port)}})


with Agent(ADDR, ["-dev", "-node=filter-node"], config=CONFIG) as a:
    check(a.wait_leader(), "the agent elects itself")
    for node, meta, port in (("ext1", {"env": "prod", "rack": "r1"}, 1), ("ext2", {"env": "dev"}, 2)):
        status, _, body = a.http("PUT", "/v1/catalog/register", external(node, meta, "api", port))
        check(status == 200, "register external node %s: %d %r" % (node, status, body))
    check(wait_for(lambda: len(a.get_json("/v1/catalog/service/web")[2]) == 2, 10), "web's two instances synced")

    # agent endpoints: maps filtered by value
    status, _, body = a.get_json("/v1/agent/services?filter=" + q('Service == web and "primary" in Tags'))
    check(status == 200 and sorted(body) == ["web-a"], "agent/services: web with tag primary: %r" % short(body))
    status, _, body = a.get_json("/v1/agent/services?filter=" + q("Meta.team is empty"))
    check(status == 200 and sorted(body) == ["db", "web-b"], "agent/services: no team meta: %r" % sorted(body or {}))
    status, _, body = a.get_json("/v1/agent/checks?filter=" + q("Status == critical"))
    check(status == 200 and sorted(body) == ["db-ttl"], "agent/checks by status: %r" % short(body))

    # catalog
    status, h, body = a.get_json("/v1/catalog/service/web?filter=" + q("ServicePort != 7001"))
    check(status == 200 and ids(body, "ServiceID") == ["web-b"], "catalog/service with !=: %r" % short(body))
    check("x-consul-index" in h, "a filtered reply keeps X-Consul-Index")
    status, _, body = a.get_json("/v1/catalog/service/web?filter=" + q("ServiceTags contains v2 or ServiceMeta.team == blue"))
    check(status == 200 and ids(body, "ServiceID") == ["web-a", "web-b"], "or / contains / map member: %r" % short(body))
    status, _, body = a.get_json("/v1/catalog/nodes?filter=" + q("Meta.env matches `^pro`"))
    check(status == 200 and [n["Node"] for n in body] == ["ext1"], "catalog/nodes with matches: %r" % short(body))
    status, _, body = a.http("GET", "/v1/catalog/node/filter-node?filter=" + q("Port > 1"))
    check(status == 400, "a bad expression gets 400 (%d)" % status)
    status, _, body = a.get_json("/v1/catalog/node/filter-node?filter=" + q("Service == db"))
    check(status == 200 and sorted(body["Services"]) == ["db"] and body["Node"]["Node"] == "filter-node",
          "catalog/node filters its Services: %r" % short(body))
    status, _, body = a.get_json("/v1/catalog/node-services/filter-node?filter=" + q("Port == 7002"))
    check(status == 200 and [s["ID"] for s in body["Services"]] == ["web-b"], "catalog/node-services: %r" % short(body))

    # health
    status, _, body = a.get_json("/v1/health/service/api?filter=" + q("Node.Meta.env == dev"))
    check(status == 200 and [e["Node"]["Node"] for e in body] == ["ext2"], "health/service by Node.Meta: %r" % short(body))
    status, _, body = a.get_json("/v1/health/state/critical?filter=" + q("ServiceName == db"))
    check(status == 200 and ids(body, "CheckID") == ["db-ttl"], "health/state critical for db: %r" % short(body))
    status, _, body = a.get_json("/v1/health/node/filter-node?filter=" + q("not (CheckID == serfHealth)"))
    check(status == 200 and ids(body, "CheckID") == ["db-ttl"], "health/node with not: %r" % short(body))
    status, _, body = a.get_json("/v1/health/checks/api?filter=" + q('Node == "ext1"'))
    check(status == 200 and ids(body, "CheckID") == ["ext1"], "health/checks: %r" % short(body))

    # ?node-meta=, repeatable: every pair must hold
    status, _, body = a.get_json("/v1/catalog/nodes?node-meta=env:prod")
    check(status == 200 and [n["Node"] for n in body] == ["ext1"], "catalog/nodes?node-meta: %r" % short(body))
    status, _, body = a.get_json("/v1/catalog/service/api?node-meta=env:prod&node-meta=rack:r2")
    check(status == 200 and body == [], "two pairs, one not held: nothing: %r" % short(body))
    status, _, body = a.get_json("/v1/catalog/service/api?node-meta=env:prod&node-meta=rack:r1")
    check(status == 200 and [e["Node"] for e in body] == ["ext1"], "two pairs held: %r" % short(body))
    status, _, body = a.get_json("/v1/health/service/api?node-meta=env:dev&filter=" + q("Service.Port == 2"))
    check(status == 200 and [e["Node"]["Node"] for e in body] == ["ext2"], "node-meta with a filter: %r" % short(body))

    # a bad expression: 400 with the reason and where, nothing asked of the owner
    status, _, body = a.http("GET", "/v1/health/service/web?filter=" + q("Service.ID ==="))
    text = body.decode()
    check(status == 400 and text.startswith("Failed to create boolean expression evaluator: 1:14 (13):"),
          "bad expression: 400 %r" % text)
    status, _, body = a.http("GET", "/v1/agent/services?filter=" + q('(Service == "web"'))
    check(status == 400 and "Unmatched parentheses" in body.decode(), "unmatched parenthesis: %d %r" % (status, body))

    # a pretty, filtered reply is still JSON
    status, _, body = a.http("GET", "/v1/catalog/service/web?pretty&filter=" + q('ServiceID == "web-a"'))
    check(status == 200 and body.startswith(b'[\n    {\n        "') and len(json.loads(body)) == 1,
          "pretty and filtered: %r" % body[:40])

    # a blocking query with a filter blocks until the index moves, then answers filtered
    _, h, _ = a.get_json("/v1/catalog/service/web")
    index = int(h["x-consul-index"])
    result = {}

    def blocked():
        t0 = time.monotonic()
        result["reply"] = a.get_json("/v1/catalog/service/web?index=%d&wait=5s&filter=%s" % (index, q("ServicePort == 7003")))
        result["elapsed"] = time.monotonic() - t0

    t = threading.Thread(target=blocked)
    t.start()
    time.sleep(0.5)
    reg = json.dumps({"ID": "web-c", "Name": "web", "Port": 7003})
    a.http("PUT", "/v1/agent/service/register", reg)
    t.join(10)
    status, h, body = result.get("reply", (0, {}, None))
    check(status == 200 and ids(body or [], "ServiceID") == ["web-c"] and int(h["x-consul-index"]) > index
          and 0.3 < result["elapsed"] < 4.5,
          "blocking query with a filter woke on the change: %r after %.2fs" % (body, result.get("elapsed", -1)))

finish()
