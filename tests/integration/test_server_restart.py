"""A lone server with -bootstrap-expect=1 keeps its catalog and KV across a restart."""
import os
import tempfile

import socket

from harness import Agent, check, finish, rpc_call, run_cli, wait_for

RPC_KV_GET = 13  # common/rpc_ops.h

ADDR = "127.0.0.23"
data_dir = tempfile.mkdtemp(prefix="consul-it-data-")
CONFIG = {"service": {"name": "db", "port": 5432, "tags": ["primary"]}}
args = ["-server", "-bootstrap-expect=1", "-data-dir=" + data_dir, "-node=persist-node"]

with Agent(ADDR, args, config=CONFIG) as a:
    check(a.wait_leader(), "server elected itself")
    for i in range(20):
        rc, _, err = run_cli(["kv", "put", "k/%02d" % i, "v%d" % i], addr=a.http_addr())
        if rc != 0:
            check(False, "kv put %d: %s" % (i, err))
    check(wait_for(lambda: a.get_json("/v1/catalog/service/db")[2], 5), "db registered")
    _, h, _ = a.get_json("/v1/kv/k?recurse")
    index_before = int(h["x-consul-index"])

    # The server RPC port carries the same requests as raft.sock, for client agents
    r = rpc_call(ADDR, 8300, RPC_KV_GET, b'{"key":"k/03"}')
    check(r is not None and r[0] == 200 and b'"Key":"k/03"' in r[2] and r[1] >= index_before - 1,
          "KV_GET over TCP 8300: %r" % (r,))
    s = socket.create_connection((ADDR, 8300), timeout=5)
    s.sendall(b"\xff" * 16)
    try:
        closed = s.recv(16) == b""
    except ConnectionResetError:
        closed = True
    s.close()
    check(closed, "a malformed frame on 8300 closes that connection")
    r = rpc_call(ADDR, 8300, RPC_KV_GET, b'{"key":"k/04"}')
    check(r is not None and r[0] == 200, "the RPC port keeps serving others")
    check(a.stop() == 1, "clean stop (a server does not leave on SIGTERM: exit 1, as Consul)")

with Agent(ADDR, args, config=CONFIG) as a:
    check(a.wait_leader(), "server back")
    status, h, entries = a.get_json("/v1/kv/k?recurse")
    check(status == 200 and len(entries) == 20, "all 20 keys survived: %d" % (len(entries or [])))
    check(entries and entries[5]["Key"] == "k/05", "keys in lexical order")
    check(int(h["x-consul-index"]) >= index_before, "index does not go back after restart")
    rc, out, _ = run_cli(["kv", "get", "k/07"], addr=a.http_addr())
    check(out == "v7\n", "value read back: %r" % out)
    check(os.path.exists(os.path.join(data_dir, "node-id")), "node-id kept in the data dir")
    check(wait_for(lambda: a.get_json("/v1/catalog/service/db")[2], 5), "db still in the catalog")

# Stop it hard this time: acknowledged writes must survive kill -9 of the whole agent.
with Agent(ADDR, args, config=CONFIG) as a:
    check(a.wait_leader(), "server up for the crash test")
    rc, _, _ = run_cli(["kv", "put", "acked", "yes"], addr=a.http_addr())
    check(rc == 0, "write acknowledged")
    pids = list(a.roles().values())
    a.proc.kill()
    for pid in pids:
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass
    a.proc.wait(timeout=5)

with Agent(ADDR, args, config=CONFIG) as a:
    check(a.wait_leader(), "server back after kill -9")
    status, _, raw = a.http("GET", "/v1/kv/acked?raw")
    check(status == 200 and raw == b"yes", "acknowledged write survived kill -9")

finish()
