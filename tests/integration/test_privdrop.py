"""Started as root with -user, every role drops to that user once its sockets are bound; the
supervisor alone keeps root; the data dir stays usable; a user that does not exist is fatal."""
import os
import signal
import pwd
import subprocess
import tempfile

from harness import CONSUL, Agent, check, finish, run_cli, wait_for

USER = "consul-it"
if os.geteuid() != 0:
    check(False, "this test must run as root")
    finish()
try:
    pwd.getpwnam(USER)
except KeyError:
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", USER], check=True)
uid = pwd.getpwnam(USER).pw_uid


def uids(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("Uid:"):
                return [int(x) for x in line.split()[1:]]
            

data_dir = tempfile.mkdtemp(prefix="consul-it-priv-")
args = ["-server", "-bootstrap-expect=1", "-data-dir=" + data_dir, "-node=priv-node", "-user=" + USER]
with Agent("127.0.0.26", args, config={"service": {"name": "svc", "port": 1}}) as a:
    check(a.wait_leader(), "agent up with -user")
    roles = wait_for(lambda: len(a.roles()) == 5 and a.roles(), 5)
    for name, pid in sorted((roles or {}).items()):
        check(uids(pid) == [uid] * 4, "%s runs as %s (real, effective, saved, fs): %r" % (name, USER, uids(pid)))
    check(uids(a.proc.pid)[1] == 0, "the supervisor keeps root")
    rc, _, err = run_cli(["kv", "put", "written", "after-drop"], addr=a.http_addr())
    check(rc == 0, "raftd can write its log after the drop: %r" % err)
    status, _, _ = a.http("PUT", "/v1/agent/service/register", body=b'{"Name": "api", "Port": 2}')
    check(status == 200, "checkd can persist a registration after the drop")
    check(wait_for(lambda: os.path.exists(os.path.join(data_dir, "checkd", "state.json")), 3),
          "checkd's state file exists")
    check(os.stat(os.path.join(data_dir, "raft")).st_uid == uid, "the raft dir belongs to the user")
    # The config file sits in a directory only root may read: the roles, no longer root, reload
    # it from what the supervisor read for them.
    import json
    with open(os.path.join(a.tmp, "config.json"), "w") as f:
        json.dump({"services": [{"name": "svc", "port": 1}, {"name": "added-on-reload", "port": 3}]}, f)
    rc, out, err = run_cli(["reload"], addr=a.http_addr())
    check(rc == 0 and "Configuration reload triggered" in out,
          "consul reload reaches the root supervisor from the dropped httpd: %r %r" % (out, err))
    status, _, services = a.get_json("/v1/agent/services")
    check(status == 200 and "added-on-reload" in services, "the dropped checkd applied the new file: %r" %
          sorted((services or {}).keys()))
    with open(a.log_path, "rb") as f:
        log = f.read().decode(errors="replace")
    check("keeping the old configuration" not in log, "no role failed to reload")
    # Dropping privileges clears the parent-death signal; the roles arm it again, so a crashed
    # supervisor takes the dropped roles with it.
    role_pids = list(a.roles().values())
    os.kill(a.proc.pid, signal.SIGKILL)
    a.proc.wait(timeout=5)

    def roles_gone():
        return not [p for p in role_pids if os.path.exists("/proc/%d" % p) and
                    open("/proc/%d/stat" % p).read().split(") ")[1][0] != "Z"]
    check(wait_for(roles_gone, 2, 0.01), "after a kill -9 of the supervisor, every dropped role ended")

p = subprocess.run([CONSUL, "agent", "-dev", "-bind=127.0.0.26", "-user=no-such-user-xyz"], capture_output=True,
                   timeout=15)
out = (p.stdout + p.stderr).decode()
check(p.returncode != 0 and "no-such-user-xyz" in out, "a missing -user is fatal and named: %r" % out[-300:])
finish()
