"""Consul's getting-started two-agent scenario, driven by the operator's commands: a server and a
client, each alone until `consul join`; then `consul members` on both shows two alive rows, a
`consul event` fired on one is listed on the other, `consul keyring -list` counts the key on
both, `consul leave` on the client shows `left`, a second client killed with kill -9 shows
`failed` until `consul force-leave` makes it `left`, and a join to a dead address fails naming
it."""
import base64
import os
import signal
import tempfile
import threading
import time

from harness import Agent, check, finish, run_cli, wait_for

SERVER, CLIENT, CLIENT2, DEAD = "127.0.0.60", "127.0.0.61", "127.0.0.62", "127.0.0.69"
KEY = "Lj0XS/ylUO5Ogjjx6B6mqT5qqmXGKomeVyQyuNC5NW0="
NEW_KEY = "pPrcrFfDOvfXB4X5I0EYRRv3ymxnUTW6O+/lH+kfFXU="


def rows(agent, *flags):
    """`consul members` on agent as {name: [address, status, type, ...]}, with the exit code."""
    rc, out, err = run_cli(["members"] + list(flags), addr=agent.http_addr())
    lines = out.splitlines()
    table = {line.split()[0]: line.split()[1:] for line in lines[1:] if line.split()}
    return rc, table, out + err


def status_on(agent, name):
    rc, table, _ = rows(agent)
    return table.get(name, [None, None])[1] if rc == 0 else None


def kill_hard(agent):
    for pid in [agent.proc.pid] + list(agent.roles().values()):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    agent.proc.wait(timeout=5)


def http_up(agent):
    return wait_for(lambda: agent.http("GET", "/v1/agent/members", timeout_s=1)[0] == 200, 10)


common = ["-encrypt=" + KEY, "-retry-interval=1s"]
server = Agent(SERVER, ["-server", "-bootstrap-expect=1", "-node=agent-one",
                        "-data-dir=" + tempfile.mkdtemp(prefix="consul-it-gcli-")] + common)
client = Agent(CLIENT, ["-node=agent-two", "-data-dir=" + tempfile.mkdtemp(prefix="consul-it-gcli-")] + common)
client2 = Agent(CLIENT2, ["-node=agent-three", "-data-dir=" + tempfile.mkdtemp(prefix="consul-it-gcli-")] + common)
agents = [server, client, client2]
try:
    for a in agents:
        a.start()
    check(all(http_up(a) for a in agents), "three agents answer HTTP")
    # ...and they are ours: every role running (a stray agent on these addresses would answer too)
    counts = [wait_for(lambda: len(a.roles()) == n and n, 10) for a, n in zip(agents, (5, 4, 4))]
    check(all(counts) and all(a.proc.poll() is None for a in agents),
          "each agent runs all its roles: %r" % [sorted(a.roles()) for a in agents])

    # Each is alone until told to join.
    for a, name in ((server, "agent-one"), (client, "agent-two")):
        rc, table, out = rows(a)
        check(rc == 0 and list(table) == [name] and table[name][1] == "alive",
              "%s starts alone: %r" % (name, out))

    rc, out, err = run_cli(["join", SERVER], addr=client.http_addr())
    check(rc == 0 and out == "Successfully joined cluster by contacting 1 nodes.\n",
          "consul join on the client: rc=%d %r %r" % (rc, out, err))

    def two_alive(a):
        rc, table, _ = rows(a)
        return rc == 0 and set(table) == {"agent-one", "agent-two"} and \
            all(r[1] == "alive" for r in table.values()) and table
    for a in (server, client):
        table = wait_for(lambda: two_alive(a), 15, 0.2)
        check(table and table["agent-one"][:3] == [SERVER + ":8301", "alive", "server"] and
              table["agent-two"][:3] == [CLIENT + ":8301", "alive", "client"],
              "consul members on %s shows both alive: %r" % (a.addr, rows(a)[2]))
    rc, out, _ = run_cli(["members"], addr=client.http_addr())
    check(out.splitlines()[1].startswith("agent-one "), "the server is listed first: %r" % out)
    rc, table, out = rows(server, "-wan")
    check(rc == 0 and list(table) == ["agent-one.dc1"], "the server's WAN pool: %r" % out)
    rc, _, out = rows(client, "-status=^failed$")
    check(rc == 2 and out == "", "-status matching nothing exits 2, silently: rc=%d %r" % (rc, out))

    # A user event fired on the server reaches the client's event buffer.
    rc, out, err = run_cli(["event", "-name=deploy", "v1.2"], addr=server.http_addr())
    event_id = out.strip()[len("Event ID: "):] if out.startswith("Event ID: ") else None
    check(rc == 0 and event_id and len(event_id) == 36, "consul event prints its ID: %r %r" % (out, err))

    def event_on_client():
        status, headers, events = client.get_json("/v1/event/list?name=deploy")
        return status == 200 and [e for e in events if e["ID"] == event_id] and (headers, events)
    got = wait_for(event_on_client, 10, 0.2)
    if check(got, "the event is listed on the client"):
        headers, events = got
        e = [e for e in events if e["ID"] == event_id][0]
        check(e["Name"] == "deploy" and base64.b64decode(e["Payload"]) == b"v1.2",
              "with its name and payload: %r" % e)
        check(int(headers.get("x-consul-index", "0")) > 0, "and an X-Consul-Index to block on")
    # A blocking list on the client returns when the next event arrives, not at its wait.
    status, headers, _ = client.get_json("/v1/event/list")
    index = headers.get("x-consul-index", "0")
    result = {}

    def block():
        t0 = time.monotonic()
        result["reply"] = client.get_json("/v1/event/list?index=%s&wait=20s" % index)
        result["took"] = time.monotonic() - t0
    waiter = threading.Thread(target=block)
    waiter.start()
    time.sleep(0.5)
    rc, out, _ = run_cli(["event", "-name=wake"], addr=server.http_addr())
    waiter.join(25)
    reply = result.get("reply")
    check(reply and reply[0] == 200 and any(e["Name"] == "wake" for e in reply[2]) and result["took"] < 10 and
          reply[1].get("x-consul-index") != index,
          "a blocking event list wakes on the next event: %r in %.1f s" % (reply, result.get("took", -1)))
    status, _, events = client.get_json("/v1/event/list?name=other")
    check(status == 200 and events == [], "?name filters the list: %r" % events)

    # Debian's python3-consul fires and lists events through the same endpoints.
    try:
        import consul as pyconsul
    except ImportError:
        pyconsul = None
    if pyconsul:
        fired = pyconsul.Consul(host=CLIENT, port=8500).event.fire("restart", body="now")
        check(fired and fired.get("Name") == "restart", "python-consul fires an event: %r" % fired)

        def listed():
            index, events = pyconsul.Consul(host=SERVER, port=8500).event.list(name="restart")
            return [e for e in events if e["ID"] == fired["ID"]] and (index, events)
        got = wait_for(listed, 10, 0.2)
        check(got and got[1][-1]["Payload"] == b"now" and int(got[0]) > 0,
              "python-consul lists it on the server, payload decoded: %r" % (got,))

    # The keyring: one key, held by both members.
    rc, out, err = run_cli(["keyring", "-list"], addr=server.http_addr())
    check(rc == 0 and out.startswith("==> Gathering installed encryption keys...\n") and
          "dc1 (LAN):\n  %s [2/2]" % KEY in out, "consul keyring -list: rc=%d %r %r" % (rc, out, err))

    # A second client joins through the first client, not the server.
    rc, out, err = run_cli(["join", CLIENT], addr=client2.http_addr())
    check(rc == 0, "a client joins through another client: %r %r" % (out, err))
    check(wait_for(lambda: status_on(server, "agent-three") == "alive", 15, 0.2),
          "the server learns agent-three by gossip")

    # Rotation across the three members: install a new key, make it primary, remove the old one.
    rc, out, err = run_cli(["keyring", "-install", NEW_KEY], addr=client.http_addr())
    check(rc == 0 and out == "==> Installing new gossip encryption key...\n",
          "consul keyring -install: rc=%d %r %r" % (rc, out, err))
    rc, out, _ = run_cli(["keyring", "-list"], addr=client.http_addr())
    check("  %s [3/3]" % KEY in out and "  %s [3/3]" % NEW_KEY in out, "both keys on all three members: %r" % out)
    rc, out, err = run_cli(["keyring", "-use", NEW_KEY], addr=server.http_addr())
    check(rc == 0 and out == "==> Changing primary gossip encryption key...\n",
          "consul keyring -use: rc=%d %r %r" % (rc, out, err))
    rc, out, _ = run_cli(["keyring", "-list-primary"], addr=server.http_addr())
    check(out.startswith("==> Gathering installed primary encryption keys...\n") and
          "  %s [3/3]" % NEW_KEY in out and KEY not in out, "the new key is primary on all three: %r" % out)
    rc, out, err = run_cli(["keyring", "-remove", KEY], addr=server.http_addr())
    check(rc == 0 and out == "==> Removing gossip encryption key...\n",
          "consul keyring -remove: rc=%d %r %r" % (rc, out, err))
    rc, out, _ = run_cli(["keyring", "-list"], addr=server.http_addr())
    check(KEY not in out and "  %s [3/3]" % NEW_KEY in out, "only the new key is left: %r" % out)
    rc, out, err = run_cli(["keyring", "-list", "-install", KEY], addr=server.http_addr())
    check(rc == 1 and "Only a single action is allowed" in err, "one action at a time: %r" % err)

    # A join to an address where nobody listens fails, naming the address.
    rc, out, err = run_cli(["join", DEAD], addr=client.http_addr())
    check(rc == 1 and "Error joining address '%s'" % DEAD in err and "Failed to join any nodes." in err,
          "consul join to a dead address fails: rc=%d %r" % (rc, err))

    rc, out, err = run_cli(["join", "-wan", SERVER], addr=client.http_addr())
    check(rc == 1 and "Must be a server to join WAN cluster" in err, "a client cannot join the WAN: %r" % err)

    # kill -9 of the second client: failed, then force-leave makes it left.
    kill_hard(client2)
    t0 = time.monotonic()
    failed = wait_for(lambda: status_on(server, "agent-three") == "failed", 30, 0.2)
    check(failed, "the killed client shows failed (%.1f s)" % (time.monotonic() - t0))
    rc, _, out = rows(server, "-status=failed")
    check(rc == 0 and "agent-three" in out, "-status=failed lists it: %r" % out)
    rc, out, err = run_cli(["force-leave", "agent-three"], addr=server.http_addr())
    check(rc == 0 and out == "", "consul force-leave: rc=%d %r %r" % (rc, out, err))
    check(wait_for(lambda: status_on(server, "agent-three") == "left", 10, 0.2),
          "force-leave makes it left: %r" % rows(server)[2])
    rc, out, err = run_cli(["force-leave", "nobody"], addr=server.http_addr())
    check(rc == 1 and "No node found with name 'nobody'" in err, "force-leave of a stranger: %r" % err)

    # consul leave on the client: it says so, the agent exits, the server shows left.
    rc, out, err = run_cli(["leave"], addr=client.http_addr())
    check(rc == 0 and out == "Graceful leave complete\n", "consul leave: rc=%d %r %r" % (rc, out, err))
    try:
        code = client.proc.wait(timeout=15)
    except Exception:
        code = None
    check(code == 0, "the client agent exits after leaving: %r" % code)
    check(wait_for(lambda: status_on(server, "agent-two") == "left", 10, 0.2),
          "the server shows the client left: %r" % rows(server)[2])
finally:
    for a in agents:
        a.kill_all()
    if __import__("harness").failures:
        for a in agents:
            a.dump_log(30)
finish()
