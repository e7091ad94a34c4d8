"""Maintenance mode: `consul maint` and the agent endpoints add Consul's critical
_service_maintenance:<id> / _node_maintenance checks; the service leaves DNS and ?passing
while in maintenance and comes back after."""
import json
import os

from harness import Agent, check, finish, run_cli, wait_for

ADDR = "127.0.0.52"
os.environ["CONSUL_AE_INTERVAL"] = "1s"
NODE_DEFAULT = "Maintenance mode is enabled for this node, but no reason was provided. This is a default message."
SERVICE_DEFAULT = ("Maintenance mode is enabled for this service, but no reason was provided. "
                   "This is a default message.")

CONFIG = {"service": {"name": "web", "port": 7300, "check": {"id": "web-ttl", "ttl": "60s", "status": "passing"}}}


def in_dns(a):
    return len(a.dig("web.service.consul", "SRV")[1]) == 1


def passing(a):
    status, _, body = a.get_json("/v1/health/service/web?passing")
    return body if status == 200 else None


def agent_check(a, check_id):
    return a.get_json("/v1/agent/checks")[2].get(check_id)


with Agent(ADDR, ["-dev", "-node=maint-node"], config=CONFIG) as a:
    cli = lambda *args: run_cli(list(args), addr=a.http_addr())
    check(a.wait_leader(), "the agent elects itself")
    check(wait_for(lambda: in_dns(a), 5), "web is in DNS while its check passes")

    rc, out, err = cli("maint", "-enable", "-service=web", "-reason=upgrading web")
    check(rc == 0 and out == "Service maintenance is now enabled\n", "consul maint -enable -service: %r %r" % (out, err))
    c = agent_check(a, "_service_maintenance:web")
    check(c and c["Status"] == "critical" and c["Notes"] == "upgrading web" and c["ServiceID"] == "web"
          and c["Name"] == "Service Maintenance Mode",
          "the agent has Consul's critical maintenance check with the reason as notes: %r" % c)
    check(wait_for(lambda: not in_dns(a), 5), "web leaves DNS in maintenance")
    check(wait_for(lambda: passing(a) == [], 3), "and ?passing")
    rc, out, _ = cli("maint")
    check(rc == 0 and out == "Service:\n  ID:     web\n  Reason: upgrading web\n\n",
          "consul maint lists it as Consul does: %r" % out)

    rc, out, _ = cli("maint", "-disable", "-service=web")
    check(rc == 0 and out == "Service maintenance is now disabled\n", "consul maint -disable -service: %r" % out)
    check(agent_check(a, "_service_maintenance:web") is None, "the maintenance check is gone")
    check(wait_for(lambda: in_dns(a), 5), "web is back in DNS")
    check(wait_for(lambda: passing(a) and len(passing(a)) == 1, 3), "and in ?passing")

    # The node: every service on it leaves.
    status, _, _ = a.http("PUT", "/v1/agent/maintenance?enable=true")
    check(status == 200, "PUT /v1/agent/maintenance?enable=true")
    c = agent_check(a, "_node_maintenance")
    check(c and c["Status"] == "critical" and c["Notes"] == NODE_DEFAULT and c["ServiceID"] == "",
          "node maintenance check with Consul's default reason: %r" % c)
    check(wait_for(lambda: not in_dns(a), 5), "web leaves DNS while the node is in maintenance")
    check(wait_for(lambda: passing(a) == [], 3), "and ?passing")
    rc, out, _ = cli("maint")
    check(out == "Node:\n  Name:   maint-node\n  Reason: %s\n\n" % NODE_DEFAULT, "consul maint lists the node: %r" % out)
    rc, out, _ = cli("maint", "-disable")
    check(rc == 0 and out == "Node maintenance is now disabled\n", "consul maint -disable: %r" % out)
    check(wait_for(lambda: in_dns(a), 5), "web is back in DNS after node maintenance")

    # The endpoint with its default reason, and bad input.
    status, _, _ = a.http("PUT", "/v1/agent/service/maintenance/web?enable=true")
    check(status == 200 and agent_check(a, "_service_maintenance:web")["Notes"] == SERVICE_DEFAULT,
          "service maintenance without a reason gets Consul's default text")
    status, _, _ = a.http("PUT", "/v1/agent/service/maintenance/web?enable=false")
    check(status == 200 and agent_check(a, "_service_maintenance:web") is None, "and ?enable=false ends it")
    status, _, body = a.http("PUT", "/v1/agent/service/maintenance/nope?enable=true")
    check(status == 404 and body == b'No service registered with ID "nope"', "unknown service: 404 %r" % body)
    status, _, body = a.http("PUT", "/v1/agent/maintenance")
    check(status == 400 and body == b"Missing value for enable", "missing enable: 400 %r" % body)
    status, _, body = a.http("PUT", "/v1/agent/maintenance?enable=maybe")
    check(status == 400 and b"Invalid value for enable" in body, "bad enable: 400 %r" % body)
    rc, out, err = cli("maint", "-enable", "-service=nope")
    check(rc == 1 and "Error enabling service maintenance" in err and "No service registered" in err,
          "consul maint on an unknown service fails: %r" % err)
    rc, _, err = cli("maint", "-enable", "-disable")
    check(rc == 1 and "Only one of -enable or -disable may be provided" in err, "conflicting flags refused")
    rc, out, _ = cli("maint")
    check(rc == 0 and out == "", "nothing in maintenance lists nothing: %r" % out)

finish()
