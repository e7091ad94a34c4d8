"""`consul reload` applies what the config files now say: a service file added shows up in the
catalog, a removed one disappears, an API registration survives, and a broken file keeps the
old definitions while the agent keeps serving."""
import json
import os

from harness import Agent, check, finish, run_cli, wait_for

ADDR = "127.0.0.51"
os.environ["CONSUL_AE_INTERVAL"] = "1s"


def catalog_services(a):
    status, _, body = a.get_json("/v1/catalog/services")
    return body if status == 200 else {}


def agent_services(a):
    status, _, body = a.get_json("/v1/agent/services")
    return body if status == 200 else {}


def write(path, obj):
    with open(path, "w") as f:
        f.write(obj if isinstance(obj, str) else json.dumps(obj))


a = Agent(ADDR, ["-dev", "-node=reload-node"])
conf_dir = os.path.join(a.tmp, "conf.d")
os.mkdir(conf_dir)
write(os.path.join(conf_dir, "base.json"), {"service": {"name": "base", "port": 7000}})
a.args.append("-config-dir=" + conf_dir)

with a:
    check(a.wait_leader(), "the agent elects itself")
    check(wait_for(lambda: "base" in catalog_services(a), 5), "the service from the config dir is in the catalog")
    status, _, _ = a.http("PUT", "/v1/agent/service/register", body=json.dumps({"Name": "api-svc", "Port": 7100}))
    check(status == 200, "a service registered through the API")

    # A new file, then `consul reload`.
    web = os.path.join(conf_dir, "web.json")
    write(web, {"service": {"name": "web", "port": 7200, "tags": ["v1"],
                            "check": {"id": "web-ttl", "ttl": "30s", "status": "passing"}}})
    rc, out, err = run_cli(["reload"], addr=a.http_addr())
    check(rc == 0 and out == "Configuration reload triggered\n", "consul reload prints Consul's line: %r %r" % (out, err))
    check(wait_for(lambda: "web" in catalog_services(a), 5), "the new service file is in the catalog after reload")
    check(wait_for(lambda: a.dig("web.service.consul")[1] != [], 3), "and in DNS")
    check("api-svc" in agent_services(a), "the API-registered service is still there")

    # A changed file replaces the definition.
    write(web, {"service": {"name": "web", "port": 7201, "tags": ["v2"],
                            "check": {"id": "web-ttl", "ttl": "30s", "status": "passing"}}})
    rc, _, _ = run_cli(["reload"], addr=a.http_addr())
    check(rc == 0 and wait_for(lambda: catalog_services(a).get("web") == ["v2"], 5),
          "a changed file replaces the service: %r" % catalog_services(a).get("web"))
    check(agent_services(a).get("web", {}).get("Port") == 7201, "with its new port")

    # A broken definition: the old state stays and the agent keeps serving.
    write(os.path.join(conf_dir, "bad.json"), {"service": {"name": "bad", "port": "not-a-port"}})
    rc, out, err = run_cli(["reload"], addr=a.http_addr())
    check(rc == 1 and "Error reloading" in err and "bad.json" in err and "port" in err,
          "reload with a bad service definition fails, naming the file and the key: %r" % err)
    check(wait_for(lambda: "bad.json" in open(a.log_path, errors="replace").read(), 5),
          "the error is logged with the file name")
    services = agent_services(a)
    check("web" in services and "base" in services and "api-svc" in services and "bad" not in services,
          "the old services are kept: %r" % sorted(services))
    os.remove(os.path.join(conf_dir, "bad.json"))

    # A file that is not even valid JSON: the supervisor refuses the reload.
    write(os.path.join(conf_dir, "broken.json"), "{ not json")
    rc, out, err = run_cli(["reload"], addr=a.http_addr())
    check(rc == 1 and "Error reloading" in err, "a config that does not parse fails the reload: %r" % err)
    check(a.get_json("/v1/agent/services")[0] == 200, "the agent keeps serving")
    os.remove(os.path.join(conf_dir, "broken.json"))

    # Removing the file removes the service; the API one stays.
    os.remove(web)
    rc, _, _ = run_cli(["reload"], addr=a.http_addr())
    check(rc == 0 and wait_for(lambda: "web" not in catalog_services(a), 5),
          "the removed file's service leaves the catalog")
    check(wait_for(lambda: a.dig("web.service.consul")[0] == "NXDOMAIN", 3), "and DNS")
    services = agent_services(a)
    check("api-svc" in services and "base" in services, "the API service and the other file stay: %r" % sorted(services))
    check("api-svc" in catalog_services(a), "the API service is still in the catalog")

    # SIGHUP does the same as `consul reload`.
    write(web, {"service": {"name": "web", "port": 7202}})
    import signal
    a.proc.send_signal(signal.SIGHUP)
    check(wait_for(lambda: "web" in catalog_services(a), 5), "SIGHUP applies the files too")

finish()
