"""consul snapshot save / inspect / restore and /v1/snapshot on a 3-server cluster
(-bootstrap-expect=3, -retry-join): save, change the KV, restore: the old KV is back on every
server; a corrupt or truncated file is refused and changes nothing; a snapshot over 512 KB (the
body limit of every other endpoint) restores, while a 512 KB+ KV write still gets 413. Also: ?max_stale bounds
how stale a follower's answer may be, and a malformed Raft message from a peer is refused and
that link closed."""
import os
import socket
import struct
import tempfile
import time

from harness import Agent, check, finish, run_cli, wait_for

ADDRS = ["127.0.0.110", "127.0.0.111", "127.0.0.112"]
CONFIG = {"performance": {"raft_multiplier": 1}}
dirs = [tempfile.mkdtemp(prefix="consul-it-snap-") for _ in ADDRS]
work = tempfile.mkdtemp(prefix="consul-it-snapfiles-")
RPC_RAFT_MESSAGE = 19


def agent(i):
    args = ["-server", "-bootstrap-expect=3", "-data-dir=" + dirs[i], "-node=snap-%d" % i]
    args += ["-retry-join=" + a for a in ADDRS if a != ADDRS[i]] + ["-retry-interval=1s"]
    return Agent(ADDRS[i], args, config=CONFIG)


def leader_of(a):
    try:
        status, _, body = a.http("GET", "/v1/status/leader", timeout_s=1)
    except OSError:
        return ""
    return body.decode().strip().strip('"') if status == 200 else ""


def agreed_leader(group):
    names = {leader_of(a) for a in group}
    return names.pop() if len(names) == 1 and "" not in names else None


def kv(a, key, stale=True):
    status, _, body = a.http("GET", "/v1/kv/%s?raw%s" % (key, "&stale" if stale else ""))
    return body.decode() if status == 200 else None


def put(a, key, value):
    status, _, body = a.http("PUT", "/v1/kv/" + key, body=value.encode(), timeout_s=5)
    return status == 200 and body.strip() == b"true"


def everywhere(key, want):
    return wait_for(lambda: all(kv(a, key) == want for a in agents), 10, 0.05)


def head_only_status(a, head):
    """Sends just a request head; returns the status line the server answers before any body."""
    s = socket.create_connection((a.addr, a.http_port), timeout=5)
    try:
        s.sendall(head)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        return data.split(b"\r\n", 1)[0].decode(errors="replace")
    finally:
        s.close()


def malformed_raft_message(addr):
    """Sends a RAFT_MESSAGE whose bytes are garbage; returns (reply status, closed after)."""
    s = socket.create_connection((addr, 8300), timeout=5)
    try:
        junk = b"\x01garbage"
        s.sendall(struct.pack(">IHHII", len(junk), RPC_RAFT_MESSAGE, 0, 9, os.getpid()) + junk)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        if len(data) < 16 + 20:
            return None, True
        length = struct.unpack(">I", data[:4])[0]
        status = struct.unpack(">I", data[16:20])[0]
        return status, len(data) == 16 + length
    finally:
        s.close()


agents = [agent(i) for i in range(3)]
try:
    for a in agents:
        a.start()
    leader = wait_for(lambda: agreed_leader(agents), 20)
    check(leader, "three servers agree on one leader: %r" % leader)
    follower = next(a for a in agents if not leader.startswith(a.addr + ":"))

    check(put(agents[0], "app/config", "old") and put(agents[1], "app/keep", "k1"), "two keys written")
    check(everywhere("app/config", "old"), "the first value is on every server")

    # Save through a follower: it forwards to the leader, as Consul's default mode does.
    snap = os.path.join(work, "backup.snap")
    rc, out, err = run_cli(["snapshot", "save", snap], addr=follower.http_addr())
    check(rc == 0 and out.startswith("Saved and verified snapshot to index "),
          "consul snapshot save: %r %r" % (out, err))
    saved_index = int(out.split()[-1]) if rc == 0 and out.split() else 0
    check(os.path.exists(snap) and not os.path.exists(snap + ".tmp"), "the file is written atomically")

    rc, out, err = run_cli(["snapshot", "inspect", snap])
    rows = dict(line.split(None, 1) for line in out.splitlines()[:5] if line.strip())
    check(rc == 0 and [line.split()[0] for line in out.splitlines()[:5]] == ["ID", "Size", "Index", "Term",
                                                                           "Version"],
          "consul snapshot inspect prints ID, Size, Index, Term, Version: %r %r" % (out, err))
    check(rows.get("Index") == str(saved_index) and rows.get("Version") == "1" and
          rows.get("ID", "").startswith("%s-%d-" % (rows.get("Term"), saved_index)),
          "inspect's metadata matches the save: %r" % rows)
    check(" KVS " in out and "Total" in out, "inspect tallies the state by type: %r" % out)

    # The HTTP API: ?stale from any server, with the stale-read headers and the index.
    status, h, body = follower.http("GET", "/v1/snapshot?stale")
    check(status == 200 and body[:8] == b"consnap\n" and int(h.get("x-consul-index", "0")) >= saved_index and
          "x-consul-lastcontact" in h and h.get("x-consul-knownleader") == "true",
          "GET /v1/snapshot?stale answers from a follower with X-Consul-Index: %r %r" % (status, h))

    # Change the KV after the save.
    check(put(agents[2], "app/config", "new") and put(agents[0], "app/extra", "x"), "KV changed after the save")
    check(everywhere("app/config", "new"), "the new value is on every server")

    # Corrupt and truncated files are refused, by the CLI and by the API, and change nothing.
    data = open(snap, "rb").read()
    corrupt = os.path.join(work, "corrupt.snap")
    flipped = bytearray(data)
    flipped[len(flipped) // 2] ^= 0x20
    open(corrupt, "wb").write(bytes(flipped))
    rc, out, err = run_cli(["snapshot", "restore", corrupt], addr=agents[0].http_addr())
    check(rc == 1 and "checksum" in err, "restore of a corrupt file is refused (checksum): %r %r" % (out, err))
    rc, out, err = run_cli(["snapshot", "inspect", corrupt])
    check(rc == 1 and "checksum" in err, "inspect of a corrupt file is refused: %r" % err)
    status, _, body = agents[0].http("PUT", "/v1/snapshot", body=bytes(flipped))
    check(status == 400 and b"checksum" in body, "PUT /v1/snapshot of a corrupt file: %r %r" % (status, body))
    status, _, body = follower.http("PUT", "/v1/snapshot", body=data[:len(data) - 10])
    check(status == 400 and b"truncated" in body, "PUT /v1/snapshot of a truncated file: %r %r" % (status, body))
    check(everywhere("app/config", "new") and kv(agents[0], "app/extra") == "x",
          "a refused restore changed nothing")

    # The real restore, through a follower: every server gets the saved state back.
    rc, out, err = run_cli(["snapshot", "restore", snap], addr=follower.http_addr())
    check(rc == 0 and out.strip() == "Restored snapshot", "consul snapshot restore: %r %r" % (out, err))
    check(everywhere("app/config", "old"), "the saved value is back on every server: %r" %
          [kv(a, "app/config") for a in agents])
    check(wait_for(lambda: all(kv(a, "app/extra") is None for a in agents), 10, 0.05),
          "a key written after the save is gone from every server")
    check(all(kv(a, "app/keep") == "k1" for a in agents), "the other saved key is back too")
    check(kv(agents[1], "app/config", stale=False) == "old", "a default-mode read sees the restored store")
    check(put(agents[1], "app/after", "a") and everywhere("app/after", "a"), "writes go on after the restore")

    # A store bigger than 512 KB (Consul's kv_max_value_size, our body limit elsewhere): its
    # snapshot restores through PUT /v1/snapshot, which alone takes bodies up to 16 MiB.
    BIG_KEYS = 300
    big_value = lambda i: ("%04d" % i) * 1024  # 4 KB each
    check(all(put(agents[i % 3], "big/%03d" % i, big_value(i)) for i in range(BIG_KEYS)),
          "%d keys of 4 KB written" % BIG_KEYS)
    big_snap = os.path.join(work, "big.snap")
    rc, out, err = run_cli(["snapshot", "save", big_snap], addr=agents[0].http_addr())
    big_size = os.path.getsize(big_snap) if rc == 0 else 0
    check(rc == 0 and big_size > 512 * 1024, "the saved snapshot is over 512 KB: %d bytes %r" % (big_size, err))
    status, _, body = agents[1].http("DELETE", "/v1/kv/big?recurse", timeout_s=5)
    check(status == 200 and wait_for(lambda: all(kv(a, "big/000") is None for a in agents), 10, 0.05),
          "the big keys are deleted everywhere: %r %r" % (status, body))
    rc, out, err = run_cli(["snapshot", "restore", big_snap], addr=follower.http_addr())
    check(rc == 0 and out.strip() == "Restored snapshot",
          "consul snapshot restore of a %d-byte file: %r %r" % (big_size, out, err))
    check(everywhere("big/%03d" % (BIG_KEYS - 1), big_value(BIG_KEYS - 1)) and
          all(kv(a, "big/000") == big_value(0) for a in agents),
          "the big store is back on every server")
    status, _, body = agents[2].http("PUT", "/v1/snapshot", body=open(big_snap, "rb").read(), timeout_s=10)
    check(status == 200, "PUT /v1/snapshot with the %d-byte body: %r %r" % (big_size, status, body[:200]))
    # Every other endpoint keeps the 512 KiB limit; the snapshot endpoint refuses above 16 MiB.
    status, _, body = agents[0].http("PUT", "/v1/kv/x", body=b"v" * (512 * 1024 + 1), timeout_s=10)
    check(status == 413 and b"max size: 524288 bytes" in body,
          "a 512 KiB + 1 body to PUT /v1/kv/x gets 413: %r %r" % (status, body))
    check(kv(agents[0], "x") is None, "and writes nothing")
    status, _, body = agents[0].http("PUT", "/v1/kv/x", body=b"v" * (512 * 1024), timeout_s=10)
    check(status == 200, "a body of exactly 512 KiB to PUT /v1/kv/x is taken: %r %r" % (status, body))
    line = head_only_status(agents[0], b"PUT /v1/snapshot HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n"
                            % (16 * 1024 * 1024 + 1))
    check(line.startswith("HTTP/1.1 413"), "a 16 MiB + 1 snapshot upload is refused from its head: %r" % line)
    line = head_only_status(agents[0], b"PUT /v1/kv/y HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n"
                            % (1024 * 1024))
    check(line.startswith("HTTP/1.1 413"), "a 1 MiB KV upload is refused from its head: %r" % line)
    check(put(agents[1], "app/after-big", "a") and everywhere("app/after-big", "a"),
          "writes go on after the big restore")

    # ?max_stale: a follower answers while it heard from the leader recently enough, else the
    # leader does (its X-Consul-LastContact is 0); ?stale alone always answers locally.
    leader = wait_for(lambda: agreed_leader(agents), 10)
    follower = next(a for a in agents if leader and not leader.startswith(a.addr + ":"))

    def last_contacts(query):
        out = []
        for _ in range(20):  # spread over a few heartbeat intervals
            status, h, _ = follower.http("GET", "/v1/kv/app/config?" + query)
            out.append(int(h.get("x-consul-lastcontact", "-1")) if status == 200 else -1)
            time.sleep(0.015)
        return out
    stale = last_contacts("stale")
    check(all(c >= 0 for c in stale) and any(c > 0 for c in stale),
          "?stale reads answer on the follower (LastContact > 0 at times): %r" % stale)
    bounded = last_contacts("max_stale=1ms")
    check(bounded == [0] * 20, "?max_stale=1ms is done again on the leader: %r" % bounded)
    loose = last_contacts("max_stale=1h")
    check(all(c >= 0 for c in loose) and any(c > 0 for c in loose),
          "?max_stale=1h answers on the follower: %r" % loose)
    status, _, body = follower.http("GET", "/v1/kv/app/config?max_stale=soon")
    check(status == 400 and b"max_stale" in body, "a bad ?max_stale is refused: %r %r" % (status, body))

    # A malformed Raft message from a "peer": refused with 400, and that link closed.
    status, closed = malformed_raft_message(follower.addr)
    check(status == 400 and closed, "a malformed RAFT_MESSAGE gets 400 and the link closes: %r %r" %
          (status, closed))
    check(put(agents[0], "app/still", "ok") and everywhere("app/still", "ok"), "the cluster keeps working")
finally:
    for a in agents:
        if a.proc:
            a.kill_all()
    if __import__("harness").failures:
        for a in agents:
            a.dump_log(30)

finish()
