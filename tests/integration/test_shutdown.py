"""Crash and shutdown semantics as Consul's, seen from the rest of the cluster:

- kill -9 of an agent's supervisor ends every role at once, with no leave: the others see the
  node `failed` (never `left`), its serfHealth critical while the node stays in the catalog,
  and an agent started on the same addresses 200 ms later binds every port and joins again;
  twenty crash-and-restart rounds in a row, with no bind failure.
- SIGINT and SIGTERM follow skip_leave_on_interrupt and leave_on_terminate, with Consul's
  defaults (servers and -dev stay, clients leave), exit status (0 after a leave, 1 without)
  and log lines; a second signal during the leave exits 1 at once.
- force-leave of a live member shows it `leaving` (status 2) until it refutes, and it stays;
  -prune erases a member that left."""
import os
import signal
import socket
import tempfile
import time

from harness import Agent, check, failures, finish, run_cli, wait_for

SERVER, C1, C2, C3 = "127.0.0.10", "127.0.0.11", "127.0.0.12", "127.0.0.13"
FAST = ["-retry-interval=1s"]


def data_dir():
    return "-data-dir=" + tempfile.mkdtemp(prefix="consul-it-shutdown-")


def members(agent):
    """/v1/agent/members on agent as {name: Status}."""
    status, _, body = agent.get_json("/v1/agent/members")
    return {m["Name"]: m["Status"] for m in body} if status == 200 else {}


def status_is(agent, name, want):
    return members(agent).get(name) == want


def client(addr, node, extra=()):
    return Agent(addr, ["-node=" + node, data_dir(), "-retry-join=" + SERVER] + FAST + list(extra))


def up(agent, nroles):
    return wait_for(lambda: agent.http("GET", "/v1/agent/self", timeout_s=1)[0] == 200 and
                    len(agent.roles()) == nroles, 10)


def alive_pids(pids):
    out = []
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                if f.read().split(") ")[1][0] != "Z":
                    out.append(pid)
        except OSError:
            pass
    return out


def port_free(addr, port, kind):
    s = socket.socket(socket.AF_INET, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind((addr, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def log_text(agent):
    with open(agent.log_path, "rb") as f:
        return f.read().decode(errors="replace")


def signal_exit(agent, signo, second=False, timeout_s=20):
    """Sends signo to the supervisor (twice, 20 ms apart, with second); returns the exit status."""
    agent.proc.send_signal(signo)
    if second:
        time.sleep(0.02)
        agent.proc.send_signal(signo)
    try:
        return agent.proc.wait(timeout=timeout_s)
    except Exception:
        return None


server = Agent(SERVER, ["-server", "-bootstrap-expect=1", "-node=srv", data_dir()] + FAST)
agents = [server]
try:
    server.start()
    check(server.wait_leader(), "the server elects itself")

    # ---- kill -9 of a client's supervisor: failed, not left; the ports free at once
    c1 = client(C1, "c1")
    agents.append(c1)
    c1.start()
    check(up(c1, 4) and wait_for(lambda: status_is(server, "c1", 1), 10), "c1 joined the server")
    check(wait_for(lambda: server.get_json("/v1/catalog/node/c1")[2], 10), "c1 is in the catalog")
    roles = list(c1.roles().values())
    os.kill(c1.proc.pid, signal.SIGKILL)
    c1.proc.wait(timeout=5)
    gone = wait_for(lambda: not alive_pids(roles), 1.0, 0.01)
    check(gone, "every role of c1 ended within 1 s of the supervisor's kill -9: left %r" % alive_pids(roles))
    check(port_free(C1, 8301, socket.SOCK_DGRAM) and port_free(C1, 8301, socket.SOCK_STREAM) and
          port_free(C1, 8500, socket.SOCK_STREAM), "c1's gossip and HTTP ports are free")
    seen = wait_for(lambda: members(server).get("c1") in (3, 4), 15)
    check(seen == 4 or members(server).get("c1") == 4,
          "the server sees c1 failed (4), never left (3): %r" % members(server).get("c1"))

    def serf_health():
        status, _, checks = server.get_json("/v1/health/node/c1")
        return [c["Status"] for c in checks or [] if c["CheckID"] == "serfHealth"]
    check(wait_for(lambda: serf_health() == ["critical"], 10) is not None and serf_health() == ["critical"],
          "c1 stays in the catalog with serfHealth critical: %r" % serf_health())

    # ---- crash and restart on the same addresses, 20 times, 200 ms after each kill -9
    failures_to_bind = []
    rejoined = 0
    for round_no in range(20):
        c1 = client(C1, "c1")
        agents.append(c1)
        c1.start()
        if not up(c1, 4):
            failures_to_bind.append((round_no, c1.proc.poll(), log_text(c1)[-400:]))
            break
        rejoined += bool(wait_for(lambda: status_is(server, "c1", 1), 10))
        os.kill(c1.proc.pid, signal.SIGKILL)
        c1.proc.wait(timeout=5)
        time.sleep(0.2)
    check(not failures_to_bind and rejoined == 20,
          "20 crash-and-restart rounds on the same addresses: %d rejoined, failures %r" %
          (rejoined, failures_to_bind))
    check("Address already in use" not in "".join(log_text(a) for a in agents[2:]),
          "no restarted agent met a port still held")

    # ---- exit statuses and leaves, per signal and mode
    def after_exit(node, code):
        """How the server sees node after it exited: 3 (left) once a leave spread (well within
        2 s), else whatever it shows 2 s on: alive or failed, never left."""
        if code == 0:
            wait_for(lambda: members(server).get(node) == 3, 5)
        else:
            time.sleep(2)
        return members(server).get(node)

    def client_exit(signo, extra=(), second=False, addr=C2, node="c2"):
        c = client(addr, node, extra)
        agents.append(c)
        c.start()
        ok = up(c, 4) and wait_for(lambda: status_is(server, node, 1), 10)
        code = signal_exit(c, signo, second)
        return ok, code, after_exit(node, code), log_text(c)

    ok, code, final, log = client_exit(signal.SIGTERM)
    check(ok and code == 0 and final == 3, "client, SIGTERM: leaves (left), exit 0: %r %r" % (code, final))
    check("Gracefully shutting down agent..." in log and "Graceful exit completed" in log,
          "client, SIGTERM: Consul's log lines")
    ok, code, final, log = client_exit(signal.SIGINT, node="c2b")
    check(ok and code == 0 and final == 3, "client, SIGINT: leaves, exit 0: %r %r" % (code, final))
    cfg = os.path.join(tempfile.mkdtemp(prefix="consul-it-shutdown-"), "skip.json")
    with open(cfg, "w") as f:
        f.write('{"skip_leave_on_interrupt": true, "leave_on_terminate": false}')
    ok, code, final, log = client_exit(signal.SIGINT, ["-config-file=" + cfg], node="c2c")
    check(ok and code == 1 and final in (1, 4),
          "client with skip_leave_on_interrupt, SIGINT: no leave, exit 1: %r %r" % (code, final))
    check("Graceful shutdown disabled. Exiting" in log, "client without a leave: Consul's log line")
    ok, code, final, log = client_exit(signal.SIGTERM, ["-config-file=" + cfg], node="c2d")
    check(ok and code == 1 and final in (1, 4),
          "client with leave_on_terminate false, SIGTERM: no leave, exit 1: %r %r" % (code, final))
    ok, code, final, log = client_exit(signal.SIGTERM, second=True, node="c2e")
    check(ok and code == 1 and "Caught second signal" in log,
          "client, a second SIGTERM during the leave: exit 1 at once: %r" % code)

    def server_exit(signo, extra=()):
        s = Agent(C3, ["-server", "-node=s2", data_dir(), "-retry-join=" + SERVER] + FAST + list(extra))
        agents.append(s)
        s.start()
        ok = up(s, 5) and wait_for(lambda: status_is(server, "s2", 1), 10)
        started = time.monotonic()
        code = signal_exit(s, signo)
        took = time.monotonic() - started
        return ok, code, after_exit("s2", code), took, log_text(s)

    for signo, name in ((signal.SIGINT, "SIGINT"), (signal.SIGTERM, "SIGTERM")):
        ok, code, final, took, log = server_exit(signo)
        check(ok and code == 1 and final in (1, 4) and "Graceful shutdown disabled. Exiting" in log,
              "server, %s: no leave, exit 1: %r %r" % (name, code, final))
    with open(cfg, "w") as f:
        f.write('{"leave_on_terminate": true}')
    ok, code, final, took, log = server_exit(signal.SIGTERM, ["-config-file=" + cfg])
    check(ok and code == 0 and final == 3, "server with leave_on_terminate, SIGTERM: leaves, exit 0: %r %r" %
          (code, final))

    for signo, name in ((signal.SIGINT, "SIGINT"), (signal.SIGTERM, "SIGTERM")):
        dev = Agent("127.0.0.14", ["-dev"])
        agents.append(dev)
        dev.start()
        ok = up(dev, 5)
        code = signal_exit(dev, signo)
        check(ok and code == 1 and "Graceful shutdown disabled. Exiting" in log_text(dev),
              "-dev, %s: exit 1 without a leave: %r" % (name, code))

    # ---- force-leave of a live member: leaving for a moment, then alive; nothing stops
    live = client(C2, "live")
    agents.append(live)
    live.start()
    check(up(live, 4) and wait_for(lambda: status_is(server, "live", 1), 10), "a live client joined")
    rc, out, err = run_cli(["force-leave", "live"], addr=server.http_addr())
    check(rc == 0, "consul force-leave of a live member answers: %r" % (out + err))
    statuses = []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        st = members(server).get("live")
        if not statuses or statuses[-1] != st:
            statuses.append(st)
        if 2 in statuses and st == 1:
            break
        time.sleep(0.005)
    check(2 in statuses and statuses[-1] == 1,
          "the server saw it leaving (2), then alive (1) again: %r" % statuses)
    time.sleep(1.5)
    check(live.proc.poll() is None and len(live.roles()) == 4 and status_is(server, "live", 1),
          "the forced member refuted and kept running")

    # ---- -prune erases a member that left
    check(signal_exit(live, signal.SIGTERM) == 0 and wait_for(lambda: status_is(server, "live", 3), 10),
          "the member left")
    rc, out, err = run_cli(["force-leave", "-prune", "live"], addr=server.http_addr())
    check(rc == 0 and wait_for(lambda: "live" not in members(server), 5),
          "force-leave -prune erased it from the members: %r %r" % (out + err, members(server).get("live")))
finally:
    for a in agents:
        a.kill_all()
    if failures:
        server.dump_log()
finish()
