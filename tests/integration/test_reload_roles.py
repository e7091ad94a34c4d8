"""Config keys that used to be environment knobs (ae_interval, check_reap_interval,
check_deregister_interval_min, script_user), and reloads that change the set of roles: one that
allows script checks starts consul-scriptd (running scripts as script_user), a new script_user
restarts it, one that disallows them stops it; a reload whose check definition is invalid fails
with the file and key, and starts nothing."""
import json
import os
import pwd
import subprocess
import tempfile

from harness import Agent, check, children_of, finish, run_cli, wait_for

ADDR = "127.0.0.72"
USER = "consul-it"
if os.geteuid() != 0:
    check(False, "this test must run as root")
    finish()
try:
    pwd.getpwnam(USER)
except KeyError:
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", USER], check=True)
user_uid = pwd.getpwnam(USER).pw_uid

conf_dir = tempfile.mkdtemp(prefix="consul-it-roles-")
for key in list(os.environ):
    if key.startswith("CONSUL_") and key != "CONSUL_BUILD_DIR":
        del os.environ[key]  # the config keys alone must do it


def write(name, obj):
    with open(os.path.join(conf_dir, name), "w") as f:
        json.dump(obj, f)


write("timing.json", {"ae_interval": "1s", "check_reap_interval": "200ms", "check_deregister_interval_min": "0s",
                      "script_user": USER})
write("base.json", {"service": {"name": "base", "port": 7400}})
write("doomed.json", {"service": {"name": "doomed", "port": 7401, "check": {
    "id": "doomed-ttl", "ttl": "60s", "status": "critical", "deregister_critical_service_after": "1s"}}})


def scriptd_pids(a):
    return [pid for pid, name in children_of(a.proc.pid).items() if name == "consul-scriptd"]


def agent_check(a, cid):
    status, _, checks = a.get_json("/v1/agent/checks")
    return (checks or {}).get(cid) if status == 200 else None


def catalog_services(a):
    return a.get_json("/v1/catalog/services")[2] or {}


with Agent(ADDR, ["-dev", "-node=roles-node", "-config-dir=" + conf_dir]) as a:
    check(a.wait_leader(), "the agent elects itself")
    check(wait_for(lambda: "base" in catalog_services(a), 5), "base is synced")

    # check_reap_interval and check_deregister_interval_min: a critical service goes after 1 s
    check(wait_for(lambda: "doomed" not in (a.get_json("/v1/agent/services")[2] or {}), 5),
          "deregister_critical_service_after 1s applies within seconds (keys, not the 30 s / 1 m defaults)")
    os.remove(os.path.join(conf_dir, "doomed.json"))

    # ae_interval: an entry deleted from the catalog behind the agent's back comes back
    status, _, _ = a.http("PUT", "/v1/catalog/deregister", json.dumps({"Node": "roles-node", "ServiceID": "base"}))
    check(status == 200 and "base" not in catalog_services(a), "base deleted from the catalog directly")
    check(wait_for(lambda: "base" in catalog_services(a), 4), "ae_interval 1s: anti-entropy puts it back")

    check(scriptd_pids(a) == [], "no consul-scriptd while script checks are not allowed")

    # An invalid check: the reload fails with the file and the key, and scriptd is not started
    write("scripts.json", {"enable_local_script_checks": True, "service": {"name": "scripted", "port": 7402,
                           "check": {"id": "whoami", "args": ["/bin/sh", "-c", "echo uid=$(id -u)"],
                                     "interval": "soon"}}})
    rc, out, err = run_cli(["reload"], addr=a.http_addr())
    check(rc == 1 and "scripts.json" in err and "interval" in err,
          "consul reload fails naming the file and the key: %r %r" % (out, err))
    check(scriptd_pids(a) == [], "and starts no consul-scriptd")
    check(agent_check(a, "whoami") is None, "and registers nothing")

    # Fixed: the reload starts scriptd, whose scripts run as script_user
    write("scripts.json", {"enable_local_script_checks": True, "service": {"name": "scripted", "port": 7402,
                           "check": {"id": "whoami", "args": ["/bin/sh", "-c", "echo uid=$(id -u)"],
                                     "interval": "1s"}}})
    rc, out, err = run_cli(["reload"], addr=a.http_addr())
    check(rc == 0, "consul reload: %r %r" % (out, err))
    check(wait_for(lambda: len(scriptd_pids(a)) == 1, 5), "a reload that allows script checks starts consul-scriptd")
    c = wait_for(lambda: (agent_check(a, "whoami") or {}).get("Status") == "passing" and agent_check(a, "whoami"), 8)
    check(c and ("uid=%d" % user_uid) in c["Output"], "the script check passes, run as script_user: %r" % c)

    # A new script_user: scriptd starts again as the new user's runner
    first_pid = scriptd_pids(a)
    write("timing.json", {"ae_interval": "1s", "check_reap_interval": "200ms", "check_deregister_interval_min": "0s",
                          "script_user": "nobody"})
    rc, out, err = run_cli(["reload"], addr=a.http_addr())
    check(rc == 0, "consul reload with another script_user: %r" % err)
    nobody = pwd.getpwnam("nobody").pw_uid
    c = wait_for(lambda: ("uid=%d" % nobody) in (agent_check(a, "whoami") or {}).get("Output", "")
                 and agent_check(a, "whoami"), 8)
    check(c and c["Status"] == "passing", "scripts now run as the new script_user: %r" % (c or {}).get("Output"))
    check(len(scriptd_pids(a)) == 1 and scriptd_pids(a) != first_pid, "by a restarted consul-scriptd: %r -> %r"
          % (first_pid, scriptd_pids(a)))

    # Disallowed again: scriptd stops and is not restarted
    pid = scriptd_pids(a)[0] if scriptd_pids(a) else None
    os.remove(os.path.join(conf_dir, "scripts.json"))
    rc, out, err = run_cli(["reload"], addr=a.http_addr())
    check(rc == 0, "consul reload without script checks: %r" % err)
    check(wait_for(lambda: scriptd_pids(a) == [], 5), "consul-scriptd is stopped")
    check(pid is not None and not os.path.exists("/proc/%d" % pid) or pid is None, "its process is gone")
    check(wait_for(lambda: "scripted" not in (a.get_json("/v1/agent/services")[2] or {}), 3), "and the service left")
    check(a.get_json("/v1/agent/services")[0] == 200, "the agent keeps serving")

    # Reloads that overlap wait for each other: every caller gets an answer, and a success
    import concurrent.futures
    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda _: run_cli(["reload"], addr=a.http_addr()), range(6)))
    check(all(rc == 0 for rc, _, _ in results), "six overlapping reloads all succeed: %r" % [r[0] for r in results])

finish()
