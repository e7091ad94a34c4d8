"""Each role started on its own with the same flags, as one systemd unit per role does: the
roles find each other through the data dir's sockets and serve the same API and DNS."""
import os
import signal
import subprocess
import tempfile
import time

from harness import BUILD, check, finish, run_cli, wait_for, Agent

ADDR = "127.0.0.28"
data_dir = tempfile.mkdtemp(prefix="consul-it-units-")
flags = ["-server", "-bootstrap", "-data-dir=" + data_dir, "-bind=" + ADDR, "-client=" + ADDR,
         "-node=unit-node"]
log = open(os.path.join(data_dir, "roles.log"), "ab")
procs = {}
try:
    # Start them in the "wrong" order: links come up whenever their peers do.
    for role in ("httpd", "dnsd", "checkd", "gossipd", "raftd"):
        procs[role] = subprocess.Popen([os.path.join(BUILD, role, "consul-" + role)] + flags, stdout=log,
                                       stderr=subprocess.STDOUT)
    probe = Agent(ADDR, [])  # only for its HTTP and DNS helpers; it starts nothing
    check(probe.wait_leader(), "leader answers through standalone roles")
    rc, out, _ = run_cli(["kv", "put", "units/a", "1"], addr=probe.http_addr())
    check(rc == 0, "kv put through standalone httpd and raftd")
    check(wait_for(lambda: probe.dig("unit-node.node.consul")[1], 5), "dnsd answers from raftd's catalog")
    rc, out, _ = run_cli(["members"], addr=probe.http_addr())
    check(rc == 0 and "unit-node" in out, "members through standalone gossipd")

    # systemd's ExecReload sends SIGHUP to one unit: it must survive it
    procs["httpd"].send_signal(signal.SIGHUP)
    time.sleep(0.2)
    check(procs["httpd"].poll() is None, "a standalone role survives SIGHUP")
    # systemd restarts one unit alone: the others reconnect to it
    procs["raftd"].send_signal(signal.SIGTERM)
    procs["raftd"].wait(timeout=5)
    procs["raftd"] = subprocess.Popen([os.path.join(BUILD, "raftd", "consul-raftd")] + flags, stdout=log,
                                      stderr=subprocess.STDOUT)
    check(wait_for(lambda: probe.http("GET", "/v1/kv/units/a?raw", timeout_s=1)[2] == b"1", 5),
          "httpd reconnects to a restarted raftd, data intact")
    # systemd stops the gossip unit with SIGTERM: a server does not leave (exit 1, as Consul's
    # leave_on_terminate default), a client does (exit 0)
    procs["gossipd"].send_signal(signal.SIGTERM)
    check(procs["gossipd"].wait(timeout=5) == 1, "a standalone server gossipd exits 1 on SIGTERM, no leave")
    client_dir = tempfile.mkdtemp(prefix="consul-it-units-")
    gclient = subprocess.Popen([os.path.join(BUILD, "gossipd", "consul-gossipd"), "-data-dir=" + client_dir,
                                "-bind=127.0.0.29", "-node=unit-client"], stdout=log, stderr=subprocess.STDOUT)
    procs["gossipd-client"] = gclient
    time.sleep(0.3)
    gclient.send_signal(signal.SIGTERM)
    check(gclient.wait(timeout=5) == 0, "a standalone client gossipd leaves on SIGTERM and exits 0")
finally:
    for p in procs.values():
        if p.poll() is None:
            p.terminate()
    for p in procs.values():
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            p.kill()
finish()
