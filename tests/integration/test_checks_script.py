"""Script checks, run by consul-scriptd and never inside checkd: exit codes flipped through a
file (0 passing, 1 warning, other critical), a hanging script that also started a child,
killed with its whole process group at its timeout, scripts run as an unprivileged user
while scriptd keeps only what switching to that user takes, and Consul's refusals."""
import json
import os
import pwd
import subprocess
import tempfile
import time

from harness import CONSUL, Agent, check, children_of, finish, wait_for

ADDR = "127.0.0.42"
USER = "consul-it"
if os.geteuid() != 0:
    check(False, "this test must run as root")
    finish()
try:
    pwd.getpwnam(USER)
except KeyError:
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", USER], check=True)
nobody = pwd.getpwnam("nobody").pw_uid

work = tempfile.mkdtemp(prefix="consul-it-scripts-")
os.chmod(work, 0o755)  # the script user reads the exit code file
exit_file = os.path.join(work, "exit")
with open(exit_file, "w") as f:
    f.write("0")
os.chmod(exit_file, 0o644)
hang = os.path.join(work, "hang.sh")
with open(hang, "w") as f:
    f.write("#!/bin/sh\nsleep 300 &\necho child=$!\nsleep 300\n")
os.chmod(hang, 0o755)

CONFIG = {"enable_local_script_checks": True, "services": [
    {"name": "scripted", "port": 1, "checks": [
        {"id": "flip", "args": ["/bin/sh", "-c", "echo uid=$(id -u); exit $(cat %s)" % exit_file], "interval": "1s"},
        {"id": "hang", "args": [hang], "interval": "1s", "timeout": "1s"},
    ]}]}


def agent_check(a, cid):
    status, _, checks = a.get_json("/v1/agent/checks")
    return (checks or {}).get(cid) if status == 200 else None


def status_is(a, cid, want):
    c = agent_check(a, cid)
    return c and c["Status"] == want and c


def proc_status(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return line.split()[1:]
    return None


data_dir = tempfile.mkdtemp(prefix="consul-it-scriptd-")
args = ["-server", "-bootstrap-expect=1", "-data-dir=" + data_dir, "-node=script-node", "-user=" + USER]
with Agent(ADDR, args, config=CONFIG) as a:
    check(a.wait_leader(), "agent up with enable_local_script_checks")
    kids = wait_for(lambda: {n: p for p, n in children_of(a.proc.pid).items() if n == "consul-scriptd"}, 5)
    check(kids, "the supervisor started consul-scriptd")
    scriptd = (kids or {}).get("consul-scriptd")
    if scriptd:
        check(proc_status(scriptd, "Uid")[0] == str(pwd.getpwnam(USER).pw_uid), "scriptd dropped to %s" % USER)
        cap_eff = int(proc_status(scriptd, "CapEff")[0], 16)
        check(cap_eff == (1 << 5) | (1 << 6) | (1 << 7),
              "scriptd keeps only CAP_KILL, CAP_SETGID, CAP_SETUID: %#x" % cap_eff)

    c = wait_for(lambda: status_is(a, "flip", "passing"), 5)
    check(c and c["Output"] == "uid=%d\n" % nobody, "exit 0 is passing, run as nobody: %r" % (c and c["Output"]))
    for code, want in (("1", "warning"), ("2", "critical"), ("0", "passing")):
        with open(exit_file, "w") as f:
            f.write(code)
        check(wait_for(lambda: status_is(a, "flip", want), 4), "exit %s is %s" % (code, want))

    # A hanging script: killed with its child at its 1 s timeout
    c = wait_for(lambda: agent_check(a, "hang") and agent_check(a, "hang")["Output"] and agent_check(a, "hang"), 5)
    out = c["Output"] if c else ""
    check(c and c["Status"] == "critical" and out.startswith("Timed out (1s) running check\n\nchild="),
          "the hanging script times out as Consul words it: %r" % out)
    child = int(out.rsplit("child=", 1)[1].split()[0]) if "child=" in out else 0
    check(child and wait_for(lambda: not os.path.exists("/proc/%d" % child) or
                             open("/proc/%d/stat" % child).read().split()[2] == "Z", 3),
          "the script's child (pid %d) was killed with its group" % child)
    check(not [p for p, n in children_of(scriptd or 0).items() if n == "sleep"] if scriptd else False,
          "no sleeping leftovers under scriptd")
    check(not [p for p, n in children_of(a.roles().get("consul-checkd", 0)).items()],
          "checkd itself has no children: scripts never run inside it")

    # Consul's refusals: a script check through the API needs enable_script_checks
    body = {"Name": "remote", "Args": ["/bin/true"], "Interval": "1s"}
    status, _, text = a.http("PUT", "/v1/agent/check/register", body=json.dumps(body).encode())
    check(status == 400 and b"Scripts are disabled on this agent from remote calls" in text,
          "API script check refused with only local scripts enabled: %r" % text)
    check(agent_check(a, "remote") is None, "and nothing was registered")

# Without either flag, a script check in a file is refused at start
bad = os.path.join(work, "bad.json")
with open(bad, "w") as f:
    json.dump({"check": {"name": "s", "args": ["/bin/true"], "interval": "1s"}}, f)
p = subprocess.run([CONSUL, "agent", "-dev", "-bind=" + ADDR, "-client=" + ADDR, "-config-file=" + bad],
                   capture_output=True, timeout=15)
out = (p.stdout + p.stderr).decode()
check(p.returncode != 0 and "Scripts are disabled on this agent" in out and bad in out,
      "a file's script check without the flags stops the agent, naming the file: %r" % out[-300:])
finish()
