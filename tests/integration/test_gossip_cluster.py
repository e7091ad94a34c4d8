"""Ten agents on loopback addresses form one LAN pool through -retry-join, converge, detect a
kill -9'd member as failed and a SIGTERM'd client as left, and a member restarted from its
data dir finds the cluster again from its members snapshot, without any join flag. An agent
with the wrong gossip key is kept out, and the pool logs why."""
import os
import signal
import tempfile

from harness import Agent, check, finish, run_cli, wait_for

N = 10
ADDRS = ["127.0.0.%d" % (80 + i) for i in range(N)]
KEY = "pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDAGoGSjE="
WRONG_KEY = "X/ySbRkX7Q1VYTuZEqu3rOzyjrmC2UUo3JDm7tM4fmw="


def status_of(agent, name):
    """Serf status of `name` as `agent` sees it (None when unknown or unreachable)."""
    try:
        status, _, members = agent.get_json("/v1/agent/members")
    except (OSError, ValueError):
        return None
    if status != 200:
        return None
    for m in members:
        if m["Name"] == name:
            return m["Status"]
    return None


def alive_count(agent):
    try:
        status, _, members = agent.get_json("/v1/agent/members")
    except (OSError, ValueError):
        return -1
    return sum(1 for m in members if m["Status"] == 1) if status == 200 else -1


def kill_hard(agent):
    pids = [agent.proc.pid] + list(agent.roles().values())
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    agent.proc.wait(timeout=5)


dirs = [tempfile.mkdtemp(prefix="consul-it-gossip-") for _ in range(N)]
common = ["-encrypt=" + KEY, "-retry-interval=1s"]
agents = []
try:
    agents.append(Agent(ADDRS[0], ["-server", "-bootstrap-expect=1", "-data-dir=" + dirs[0], "-node=node0"] +
                        common).start())
    for i in range(1, N):
        # node2 alone runs service "api", tagged blue: the target of a filtered user event
        config = {"service": {"name": "api", "tags": ["blue"], "port": 9000}} if i == 2 else None
        agents.append(Agent(ADDRS[i], ["-data-dir=" + dirs[i], "-node=node%d" % i,
                                       "-retry-join=" + ADDRS[0]] + common, config=config).start())

    converged = wait_for(lambda: all(alive_count(a) == N for a in agents), 30, 0.2)
    check(converged, "all %d agents see %d alive members: %r" % (N, N, [alive_count(a) for a in agents]))

    rc, out, _ = run_cli(["members"], addr=agents[3].http_addr())
    rows = out.splitlines()[1:]
    check(rc == 0 and len(rows) == N and all(r.split()[2] == "alive" for r in rows),
          "consul members on a client lists %d alive rows: %r" % (N, out))

    # Client agents reach the state store through a server they found by gossip.
    def catalog_nodes(agent):
        try:
            status, _, nodes = agent.get_json("/v1/catalog/nodes")
        except (OSError, ValueError):
            return set()
        return {n["Node"] for n in nodes} if status == 200 else set()
    names = {"node%d" % i for i in range(N)}
    check(wait_for(lambda: catalog_nodes(agents[3]) >= names, 20, 0.2),
          "a client agent reads every node from the catalog: %r" % sorted(catalog_nodes(agents[3])))
    # (dnsd retries a missing server with backoff, up to 5 s)
    answer = wait_for(lambda: (lambda r: r[0] == "NOERROR" and r[1] and r[1][0][-1] == ADDRS[0] and r)(
        agents[4].dig("node0.node.consul")), 10, 0.2)
    check(answer, "a client agent's DNS answers: %r" % (agents[4].dig("node0.node.consul"),))

    # User events reach every agent; filters pick agents by node name, service and tag.
    def event_names(agent):
        try:
            status, _, events = agent.get_json("/v1/event/list")
        except (OSError, ValueError):
            return []
        return [e["Name"] for e in events] if status == 200 else []
    status, _, _ = agents[7].http("PUT", "/v1/event/fire/everyone", body=b"hi")
    status2, _, _ = agents[7].http("PUT", "/v1/event/fire/api-only?service=api&tag=blu")
    status3, _, _ = agents[7].http("PUT", "/v1/event/fire/node-1?node=%5Enode1%24")
    check(status == status2 == status3 == 200, "events fired: %d %d %d" % (status, status2, status3))
    check(wait_for(lambda: all("everyone" in event_names(a) for a in agents), 10, 0.2),
          "an unfiltered event reaches all: %r" % [event_names(a) for a in agents])
    check(wait_for(lambda: "api-only" in event_names(agents[2]) and "node-1" in event_names(agents[1]), 10, 0.2),
          "filtered events reach their targets")
    check(all("api-only" not in event_names(a) for i, a in enumerate(agents) if i != 2) and
          all("node-1" not in event_names(a) for i, a in enumerate(agents) if i != 1),
          "and only them: %r" % [event_names(a) for a in agents])

    # Garbage on the gossip port (UDP and TCP: random bytes, a huge length, a truncated frame)
    # is dropped and logged; the pool carries on.
    import random
    import socket
    import struct
    rng = random.Random(7)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for size in (0, 1, 5, 29, 100, 1400, 9000):
        u.sendto(bytes(rng.getrandbits(8) for _ in range(size)), (ADDRS[0], 8301))
    u.sendto(b"\x01" + bytes(60), (ADDRS[0], 8301))  # looks encrypted, is not authentic
    u.close()
    for payload in (struct.pack(">I", 0xFFFFFFF0) + b"xx", struct.pack(">I", 100) + b"short",
                    bytes(rng.getrandbits(8) for _ in range(300))):
        t = socket.create_connection((ADDRS[0], 8301), timeout=5)
        t.sendall(payload)
        t.close()
    check(wait_for(lambda: all(alive_count(a) == N for a in agents[:3]), 5, 0.2), "the pool still sees everyone")
    with open(agents[0].log_path, "rb") as f:
        log = f.read().decode(errors="replace")
    check("dropped packet from" in log, "the server logs the garbage it dropped")

    # kill -9 of a whole agent: every other member marks it failed.
    kill_hard(agents[5])
    others = [a for i, a in enumerate(agents) if i != 5]
    failed = wait_for(lambda: all(status_of(a, "node5") == 4 for a in others), 40, 0.2)
    check(failed, "every member marks node5 failed: %r" % [status_of(a, "node5") for a in others])

    # SIGTERM of a client: it leaves gracefully (leave_on_terminate) and shows as left.
    check(agents[8].stop() == 0, "node8 stops cleanly")
    others = [a for i, a in enumerate(agents) if i not in (5, 8)]
    left = wait_for(lambda: all(status_of(a, "node8") == 3 for a in others), 15, 0.2)
    check(left, "every member marks node8 left: %r" % [status_of(a, "node8") for a in others])

    # Restarted with no join flag at all: the members snapshot brings node9 back.
    kill_hard(agents[9])
    wait_for(lambda: status_of(agents[0], "node9") == 4, 40, 0.2)
    agents[9] = Agent(ADDRS[9], ["-data-dir=" + dirs[9], "-node=node9"] + common).start()
    back = wait_for(lambda: status_of(agents[0], "node9") == 1 and alive_count(agents[9]) == N - 2, 20, 0.2)
    check(back, "node9 rejoins from its snapshot: %r / %d alive" % (status_of(agents[0], "node9"),
                                                                   alive_count(agents[9])))

    # A wrong key: the join fails, and the pool says why in its log.
    with Agent("127.0.0.90", ["-data-dir=" + tempfile.mkdtemp(prefix="consul-it-gossip-"), "-node=intruder",
                              "-encrypt=" + WRONG_KEY]) as bad:
        check(wait_for(lambda: alive_count(bad) == 1, 10), "the intruder runs alone")
        status, _, body = bad.http("PUT", "/v1/agent/join/" + ADDRS[0])
        check(status != 200, "join with the wrong key is refused: %d %r" % (status, body))
        check(status_of(agents[0], "intruder") is None, "the intruder is not a member")
        with open(agents[0].log_path, "rb") as f:
            log = f.read().decode(errors="replace")
        check("no installed key authenticates" in log, "the server logs why it dropped the intruder")
finally:
    for a in agents:
        a.kill_all()
finish()
