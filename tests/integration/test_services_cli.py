"""`consul services register|deregister` (flags and files) with Consul's output lines, and
/v1/agent/health/service/name/:name and /id/:id with Consul's aggregated status and codes
(200 passing, 429 warning, 503 critical or maintenance, 404 unknown)."""
import json
import os

from harness import Agent, check, finish, run_cli, wait_for

ADDR = "127.0.0.53"
os.environ["CONSUL_AE_INTERVAL"] = "1s"


def catalog_services(a):
    status, _, body = a.get_json("/v1/catalog/services")
    return body if status == 200 else {}


with Agent(ADDR, ["-dev", "-node=svc-node"]) as a:
    cli = lambda *args: run_cli(list(args), addr=a.http_addr())
    check(a.wait_leader(), "the agent elects itself")

    rc, out, err = cli("services", "register", "-name=web", "-id=web1", "-port=8080", "-tag=v1", "-tag=blue",
                       "-address=10.1.2.3", "-meta=team=edge")
    check(rc == 0 and out == "Registered service: web\n", "register from flags: %r %r" % (out, err))
    _, _, svc = a.get_json("/v1/agent/service/web1")
    check(svc and svc["Service"] == "web" and svc["Port"] == 8080 and svc["Tags"] == ["v1", "blue"]
          and svc["Address"] == "10.1.2.3" and svc["Meta"] == {"team": "edge"}, "the agent has it as given: %r" % svc)
    check(wait_for(lambda: "web" in catalog_services(a), 5), "and the catalog")

    path = os.path.join(a.tmp, "svcs.json")
    with open(path, "w") as f:
        json.dump({"services": [
            {"name": "api", "port": 9000,
             "checks": [{"id": "api-ttl", "ttl": "60s", "status": "passing"}]},
            {"id": "api2", "name": "api", "port": 9001,
             "checks": [{"id": "api2-ttl", "ttl": "60s", "status": "passing"}]}]}, f)
    rc, out, err = cli("services", "register", path)
    check(rc == 0 and out == "Registered service: api\nRegistered service: api\n", "register from a file: %r %r" % (out, err))

    # The agent's health endpoints.
    status, headers, body = a.get_json("/v1/agent/health/service/name/api")
    check(status == 200 and [e["AggregatedStatus"] for e in body] == ["passing", "passing"]
          and sorted(e["Service"]["ID"] for e in body) == ["api", "api2"]
          and all(len(e["Checks"]) == 1 for e in body), "by name: 200, both passing: %r" % body)
    a.http("PUT", "/v1/agent/check/warn/api2-ttl?note=slow")
    status, _, body = a.get_json("/v1/agent/health/service/name/api")
    check(status == 429 and sorted(e["AggregatedStatus"] for e in body) == ["passing", "warning"],
          "one instance warning: 429 %r" % status)
    status, _, body = a.http("GET", "/v1/agent/health/service/name/api?format=text")
    check(status == 429 and body == b"warning", "as text: %r" % body)
    status, _, body = a.get_json("/v1/agent/health/service/id/api2")
    check(status == 429 and body["AggregatedStatus"] == "warning" and body["Service"]["ID"] == "api2"
          and body["Checks"][0]["Output"] == "slow", "by id: the instance with its checks: %r" % (body,))
    status, _, body = a.get_json("/v1/agent/health/service/id/api")
    check(status == 200 and body["AggregatedStatus"] == "passing", "the other instance passes: %r" % status)
    a.http("PUT", "/v1/agent/check/fail/api2-ttl")
    status, _, body = a.get_json("/v1/agent/health/service/name/api")
    check(status == 503, "one instance critical: 503 (%r)" % status)
    a.http("PUT", "/v1/agent/check/pass/api2-ttl")
    a.http("PUT", "/v1/agent/service/maintenance/api?enable=true")
    status, _, body = a.get_json("/v1/agent/health/service/id/api")
    check(status == 503 and body["AggregatedStatus"] == "maintenance", "maintenance: 503 %r" % body["AggregatedStatus"])
    a.http("PUT", "/v1/agent/service/maintenance/api?enable=false")
    status, _, body = a.get_json("/v1/agent/health/service/name/web")
    check(status == 200 and body[0]["AggregatedStatus"] == "passing" and body[0]["Checks"] == [],
          "a service without checks passes: %r" % body)
    status, _, body = a.http("GET", "/v1/agent/health/service/name/nope")
    check(status == 404 and json.loads(body) == [], "unknown name: 404 []: %r" % body)
    status, _, body = a.http("GET", "/v1/agent/health/service/name/nope?format=text")
    check(status == 404 and body == b"ServiceName nope Not Found", "unknown name as text: %r" % body)
    status, _, body = a.http("GET", "/v1/agent/health/service/id/nope")
    check(status == 404, "unknown id: 404 %r" % body)

    # Deregistration: by id, and from the same file.
    rc, out, err = cli("services", "deregister", "-id=web1")
    check(rc == 0 and out == "Deregistered service: web1\n", "deregister -id: %r %r" % (out, err))
    check(wait_for(lambda: "web" not in catalog_services(a), 5), "web leaves the catalog")
    rc, out, err = cli("services", "deregister", path)
    check(rc == 0 and out == "Deregistered service: api\nDeregistered service: api2\n", "deregister a file: %r %r" % (out, err))
    check(a.get_json("/v1/agent/services")[2] == {}, "nothing is left on the agent")

    # Bad input.
    rc, _, err = cli("services", "register")
    check(rc == 1 and "requires at least one argument or flags" in err, "register without anything: %r" % err)
    rc, _, err = cli("services", "register", "-name=x", "-port=http")
    check(rc == 1 and "invalid value" in err, "a bad port: %r" % err)
    rc, _, err = cli("services", "deregister", "-id=nope")
    check(rc == 1 and 'Error deregistering service "nope"' in err, "deregistering an unknown id fails: %r" % err)
    rc, _, err = cli("services", "register", os.path.join(a.tmp, "missing.json"))
    check(rc == 1 and "missing.json" in err, "a missing file: %r" % err)
    bad = os.path.join(a.tmp, "bad.json")
    with open(bad, "w") as f:
        json.dump({"service": {"name": "bad", "port": "nope"}}, f)
    rc, _, err = cli("services", "register", bad)
    check(rc == 1 and 'Error registering service "bad"' in err and "400" in err, "an invalid definition: %r" % err)

finish()
