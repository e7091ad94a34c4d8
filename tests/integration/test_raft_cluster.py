"""Three servers with -bootstrap-expect=3, joined by -retry-join, elect one leader; kill -9 the
leader: the others elect a new one within 3 s and writes go on; the old leader restarts and
catches up (from a snapshot: the thresholds are tiny here, so its log was compacted away);
every acknowledged write reads back from every server."""
import os
import signal
import tempfile
import time

from harness import Agent, check, finish, run_cli, wait_for

ADDRS = ["127.0.0.50", "127.0.0.51", "127.0.0.52"]
CONFIG = {"performance": {"raft_multiplier": 1}, "raft_snapshot_threshold": 8, "raft_trailing_logs": 2}
dirs = [tempfile.mkdtemp(prefix="consul-it-raft-") for _ in ADDRS]


def agent(i):
    args = ["-server", "-bootstrap-expect=3", "-data-dir=" + dirs[i], "-node=raft-%d" % i]
    # (agents start together: a first join attempt may find nobody listening yet)
    args += ["-retry-join=" + a for a in ADDRS if a != ADDRS[i]] + ["-retry-interval=1s"]
    return Agent(ADDRS[i], args, config=CONFIG)


def leader_of(a):
    status, _, body = a.http("GET", "/v1/status/leader", timeout_s=1)
    return body.decode().strip().strip('"') if status == 200 else ""


def agreed_leader(group):
    """The leader every agent of the group names, or None."""
    names = set()
    for a in group:
        try:
            names.add(leader_of(a))
        except OSError:
            return None
    return names.pop() if len(names) == 1 and "" not in names else None


def put(a, key, value):
    try:
        status, _, body = a.http("PUT", "/v1/kv/" + key, body=value.encode(), timeout_s=3)
        return status == 200 and body.strip() == b"true"
    except OSError:
        return False


def serf_status(a, node):
    status, _, checks = a.get_json("/v1/health/node/" + node)
    return next((c["Status"] for c in checks or [] if c["CheckID"] == "serfHealth"), None)


def kill_hard(a):
    pids = list(a.roles().values())
    a.proc.kill()
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    a.proc.wait(timeout=5)


agents = [agent(i) for i in range(3)]
# A client agent: its roles reach the state store through one of the servers (server_link).
client = Agent("127.0.0.53", ["-data-dir=" + tempfile.mkdtemp(prefix="consul-it-raft-"), "-node=raft-client"] +
               ["-retry-join=" + a for a in ADDRS] + ["-retry-interval=1s"], config=CONFIG)
acked = {}
try:
    for a in agents:
        a.start()
    client.start()
    leader = wait_for(lambda: agreed_leader(agents), 15)
    check(leader, "three servers agree on one leader: %r" % leader)
    status, _, peers = agents[0].get_json("/v1/status/peers")
    check(status == 200 and sorted(peers or []) == sorted(a + ":8300" for a in ADDRS),
          "status/peers lists the three servers: %r" % peers)
    status, _, conf = agents[1].get_json("/v1/operator/raft/configuration")
    check(status == 200 and len(conf["Servers"]) == 3 and
          sum(1 for s in conf["Servers"] if s["Leader"]) == 1 and
          {s["Node"] for s in conf["Servers"]} == {"raft-0", "raft-1", "raft-2"},
          "operator raft configuration names the servers and the leader: %r" % conf)

    rc, out, err = run_cli(["operator", "raft", "list-peers"], addr=agents[2].http_addr())
    rows = [line.split() for line in out.splitlines()]
    check(rc == 0 and rows and rows[0][:6] == ["Node", "ID", "Address", "State", "Voter", "RaftProtocol"] and
          len(rows) == 4 and sorted(r[3] for r in rows[1:]) == ["follower", "follower", "leader"],
          "consul operator raft list-peers: %r %r" % (out, err))

    check(wait_for(lambda: all(serf_status(agents[0], "raft-%d" % i) == "passing" for i in range(3)), 10, 0.1),
          "the leader registers every server with a passing serfHealth check")

    # Writes through every server: followers forward them to the leader.
    for i in range(12):
        key, value = "acked/before-%02d" % i, "v%d" % i
        if put(agents[i % 3], key, value):
            acked[key] = value
    check(len(acked) == 12, "12 writes acknowledged through the three servers")
    if check(wait_for(lambda: put(client, "acked/client-before", "c0"), 15, 0.2),
             "a client agent writes through a server"):
        acked["acked/client-before"] = "c0"
    status, h, _ = agents[2].http("GET", "/v1/kv/acked/before-00?stale")
    check(status == 200 and h.get("x-consul-knownleader") == "true", "stale read answers with KnownLeader")

    old = next(a for a in agents if leader.startswith(a.addr + ":"))
    rest = [a for a in agents if a is not old]
    kill_hard(old)
    t0 = time.monotonic()
    new_leader = wait_for(lambda: (lambda l: l if l and l != leader else None)(agreed_leader(rest)), 10, 0.02)
    elapsed = time.monotonic() - t0
    check(new_leader, "a new leader after kill -9 of the old one: %r" % new_leader)
    check(elapsed < 3.0, "new leader within 3 s: %.2f s" % elapsed)
    print("     new leader after %.0f ms" % (elapsed * 1000))

    old_name = "raft-%d" % agents.index(old)
    check(wait_for(lambda: serf_status(rest[0], old_name) == "critical", 20, 0.2),
          "the new leader marks the killed server's serfHealth critical: %r" % serf_status(rest[0], old_name))

    def peers(a):
        status, _, body = a.get_json("/v1/status/peers")
        return sorted(body) if status == 200 else None
    survivors = sorted(a.addr + ":8300" for a in rest)
    check(wait_for(lambda: peers(rest[0]) == survivors and peers(rest[1]) == survivors, 10, 0.1),
          "the dead server is cleaned out of the configuration: %r" % peers(rest[0]))

    for i in range(12):
        key, value = "acked/after-%02d" % i, "w%d" % i
        if wait_for(lambda: put(rest[i % 2], key, value), 5, 0.1):
            acked[key] = value
    check(len(acked) == 25, "writes go on with two servers of three: %d acknowledged" % len(acked))
    if check(wait_for(lambda: put(client, "acked/client-after", "c1"), 20, 0.2),
             "the client agent keeps writing through the failover"):
        acked["acked/client-after"] = "c1"

    back = agent(agents.index(old))
    agents[agents.index(old)] = back
    back.start()

    def caught_up():
        status, _, body = back.get_json("/v1/kv/acked?recurse&stale")
        return status == 200 and len(body) == len(acked)
    check(wait_for(caught_up, 15, 0.1), "the restarted server caught up with every write")
    check(os.path.exists(os.path.join(dirs[agents.index(back)], "raft", "snapshot")),
          "snapshots are written to the data dir")
    check(wait_for(lambda: agreed_leader(agents), 10), "three servers agree on a leader again")
    everyone = sorted(a + ":8300" for a in ADDRS)
    check(wait_for(lambda: all(peers(a) == everyone for a in agents), 10, 0.1),
          "back in the configuration once it returns: %r" % [peers(a) for a in agents])

    for a in agents:
        status, _, entries = a.get_json("/v1/kv/acked?recurse")
        got = {e["Key"]: __import__("base64").b64decode(e["Value"]).decode() for e in entries or []}
        check(status == 200 and got == acked, "every acknowledged write reads back from %s (%d keys)" %
              (a.addr, len(got)))
finally:
    for a in agents + [client]:
        if a.proc:
            a.kill_all()
    if __import__("harness").failures:
        for a in agents + [client]:
            a.dump_log(30)

finish()
