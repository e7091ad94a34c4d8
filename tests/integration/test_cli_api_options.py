"""Every CLI command that talks to the agent honours Consul's HTTP API options, or refuses them:
a table of every command x every option, run against a small HTTP server that records what it
receives. The client options (-http-addr, -token, -token-file and their CONSUL_* variables)
reach every request; the server options (-datacenter as ?dc=, -stale as ?stale on reads) reach
every request of the commands Consul gives them (command/*/ in Consul's source: kv, catalog,
operator raft, snapshot, services) and are an unknown flag on the others (members, join, leave,
force-leave, reload, maint, keyring, event); TLS options are refused while the API is plain
HTTP. Nothing is accepted and dropped."""
import http.server
import json
import os
import tempfile
import threading
from urllib.parse import parse_qs, urlsplit

from harness import check, finish, run_cli

received = []


class Recorder(http.server.BaseHTTPRequestHandler):
    def handle_one(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        received.append((self.command, self.path, {k.lower(): v for k, v in self.headers.items()}))
        path = urlsplit(self.path).path
        if path == "/v1/agent/self":
            body = {"Config": {"NodeName": "rec", "Datacenter": "dc1"}, "Member": {"Name": "rec"}}
        elif path in ("/v1/agent/members", "/v1/catalog/nodes", "/v1/agent/checks", "/v1/operator/keyring",
                      "/v1/catalog/datacenters"):
            body = [] if path != "/v1/agent/checks" else {}
        elif path == "/v1/catalog/services":
            body = {}
        elif path == "/v1/operator/raft/configuration":
            body = {"Servers": [], "Index": 1}
        elif path.startswith("/v1/event/fire/"):
            body = {"ID": "00000000-0000-0000-0000-000000000000", "Name": "deploy"}
        elif path.startswith("/v1/kv/") and self.command == "GET":
            body = [{"Key": "foo", "Value": "YmFy", "Flags": 0, "CreateIndex": 1, "ModifyIndex": 1,
                     "LockIndex": 0, "Session": ""}]
        else:
            body = True
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Consul-Index", "1")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_DELETE = handle_one

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
threading.Thread(target=server.serve_forever, daemon=True).start()
ADDR = "127.0.0.1:%d" % server.server_address[1]
tmp = tempfile.mkdtemp(prefix="consul-it-cliopts-")
snap = os.path.join(tmp, "out.snap")
token_file = os.path.join(tmp, "token")
with open(token_file, "w") as f:
    f.write("  from-file-token\n")

# (command, takes the server options, arguments after the options)
COMMANDS = [
    (["members"], False, []),
    (["join"], False, ["10.0.0.9"]),
    (["leave"], False, []),
    (["force-leave"], False, ["gone-node"]),
    (["reload"], False, []),
    (["maint"], False, []),
    (["keyring"], False, ["-list"]),
    (["event"], False, ["-name=deploy"]),
    (["kv", "get"], True, ["foo"]),
    (["kv", "put"], True, ["foo", "bar"]),
    (["kv", "delete"], True, ["foo"]),
    (["catalog", "services"], True, []),
    (["catalog", "nodes"], True, []),
    (["catalog", "datacenters"], True, []),
    (["operator", "raft", "list-peers"], True, []),
    (["operator", "raft", "remove-peer"], True, ["-address=10.0.0.9:8300"]),
    (["snapshot", "save"], True, [snap]),
    (["services", "register"], True, ["-name=web"]),
    (["services", "deregister"], True, ["-id=web"]),
]


def run(cmd, opts, args, env=None, addr_flag=True):
    del received[:]
    flags = (["-http-addr=" + ADDR] if addr_flag else []) + opts
    rc, out, err = run_cli(cmd + flags + args, env_extra=env)
    return rc, out, err, list(received)


def query(path):
    return parse_qs(urlsplit(path).query, keep_blank_values=True)


for cmd, server_opts, args in COMMANDS:
    name = " ".join(cmd)
    base_env = {"CONSUL_HTTP_TOKEN": "", "CONSUL_HTTP_TOKEN_FILE": "", "CONSUL_HTTP_ADDR": ""}

    rc, out, err, reqs = run(cmd, [], args, base_env)
    check(reqs and all("x-consul-token" not in h and "dc" not in query(p) for _, p, h in reqs),
          "%s: plain, reaches -http-addr with no token and no dc: %r %r" % (name, reqs, err))

    rc, out, err, reqs = run(cmd, [], args, dict(base_env, CONSUL_HTTP_ADDR=ADDR), addr_flag=False)
    check(bool(reqs), "%s: CONSUL_HTTP_ADDR is honoured: %r" % (name, err))

    rc, out, err, reqs = run(cmd, ["-token=flag-token"], args, base_env)
    check(reqs and all(h.get("x-consul-token") == "flag-token" for _, _, h in reqs),
          "%s: -token is sent on every request: %r" % (name, [h.get("x-consul-token") for _, _, h in reqs]))

    rc, out, err, reqs = run(cmd, [], args, dict(base_env, CONSUL_HTTP_TOKEN="env-token"))
    check(reqs and all(h.get("x-consul-token") == "env-token" for _, _, h in reqs),
          "%s: CONSUL_HTTP_TOKEN is sent" % name)

    rc, out, err, reqs = run(cmd, ["-token=flag-token"], args, dict(base_env, CONSUL_HTTP_TOKEN="env-token"))
    check(reqs and all(h.get("x-consul-token") == "flag-token" for _, _, h in reqs),
          "%s: -token wins over CONSUL_HTTP_TOKEN" % name)

    rc, out, err, reqs = run(cmd, ["-token-file=" + token_file], args, base_env)
    check(reqs and all(h.get("x-consul-token") == "from-file-token" for _, _, h in reqs),
          "%s: -token-file is read and trimmed" % name)

    rc, out, err, reqs = run(cmd, [], args, dict(base_env, CONSUL_HTTP_TOKEN_FILE=token_file))
    check(reqs and all(h.get("x-consul-token") == "from-file-token" for _, _, h in reqs),
          "%s: CONSUL_HTTP_TOKEN_FILE is read" % name)

    rc, out, err, reqs = run(cmd, ["-token-file=" + tmp + "/missing"], args, base_env)
    check(rc == 1 and not reqs and "Error loading token file" in err,
          "%s: a missing token file is an error, nothing sent: %r" % (name, err))

    rc, out, err, reqs = run(cmd, ["-ca-file=/etc/ssl/certs/ca-certificates.crt"], args, base_env)
    check(rc == 1 and not reqs and "-ca-file" in err, "%s: -ca-file is refused, nothing sent: %r" % (name, err))

    rc, out, err, reqs = run(cmd, [], args, dict(base_env, CONSUL_HTTP_SSL="true"))
    check(rc == 1 and not reqs and "CONSUL_HTTP_SSL" in err,
          "%s: CONSUL_HTTP_SSL=true is refused, nothing sent: %r" % (name, err))

    for opt in ("-namespace=ns1", "-partition=p1"):
        rc, out, err, reqs = run(cmd, [opt], args, base_env)
        check(rc == 1 and not reqs and "flag provided but not defined: " + opt.split("=")[0] in err,
              "%s: %s (Consul Enterprise) is an unknown flag: %r" % (name, opt, err))

    rc, out, err, reqs = run(cmd, ["-datacenter=dc2"], args, base_env)
    if server_opts:
        check(reqs and all(query(p).get("dc") == ["dc2"] for _, p, _ in reqs),
              "%s: -datacenter is ?dc= on every request: %r" % (name, [p for _, p, _ in reqs]))
    else:
        check(rc == 1 and not reqs and "flag provided but not defined: -datacenter" in err,
              "%s: -datacenter is not this command's flag, as in Consul: %r" % (name, err))

    rc, out, err, reqs = run(cmd, ["-stale"], args, base_env)
    if server_opts:
        gets = [p for m, p, _ in reqs if m == "GET"]
        others = [p for m, p, _ in reqs if m != "GET"]
        check(reqs and all("stale" in query(p) for p in gets) and not any("stale" in query(p) for p in others),
              "%s: -stale is ?stale on its reads, and only there: %r" % (name, [p for _, p, _ in reqs]))
    else:
        check(rc == 1 and not reqs and "flag provided but not defined: -stale" in err,
              "%s: -stale is not this command's flag: %r" % (name, err))

server.shutdown()
finish()
