"""Details where a side-by-side check against Consul's documentation and source found us
different, each checked as the user sees it (CLI output and exit status, HTTP status and body,
DNS answer). Where Consul's source rather than its documentation settled a detail, the check
says so."""
import base64
import json
import os
import re
import tempfile
from urllib.parse import quote

from harness import Agent, check, finish, run_cli

ADDR = "127.0.0.30"


def cli(*args, **kw):
    return run_cli(list(args), addr=a.http_addr(), **kw)


def kv_raw(key):
    status, _, body = a.http("GET", "/v1/kv/" + key)
    return json.loads(body)[0] if status == 200 else None


with Agent(ADDR, ["-dev", "-node=parity"]) as a:
    check(a.wait_leader(), "dev agent up")

    # ---- kv: -detailed layout (command/kv/get: a tabwriter, padding 6 after "ModifyIndex")
    cli("kv", "put", "-flags=42", "app/one", "hello")
    rc, out, err = cli("kv", "get", "-detailed", "app/one")
    lines = out.rstrip("\n").split("\n")
    names = [line.split()[0] for line in lines]
    check(rc == 0 and names == ["CreateIndex", "Flags", "Key", "LockIndex", "ModifyIndex", "Session", "Value"],
          "kv get -detailed lists Consul's fields: %r" % names)
    check(all(len(line) > 17 and line[16] == " " and line[17] != " " for line in lines),
          "every -detailed value starts at column 17: %r" % lines)
    check("Flags            42" in out and "Session          -" in out and "Value            hello" in out,
          "-detailed values: %r" % out)

    # ---- kv: -cas and -modify-index go together (command/kv/put, command/kv/del)
    rc, out, err = cli("kv", "put", "-cas", "app/one", "x")
    check(rc == 1 and "Must specify -modify-index with -cas!" in err, "put -cas alone is refused: %r" % err)
    rc, out, err = cli("kv", "put", "-modify-index=5", "app/one", "x")
    check(rc == 1 and "Cannot specify -modify-index without -cas!" in err and kv_raw("app/one")["Value"] ==
          base64.b64encode(b"hello").decode(), "put -modify-index alone is refused, nothing written: %r" % err)
    rc, out, err = cli("kv", "delete", "-modify-index=5", "app/one")
    check(rc == 1 and "Cannot specify -modify-index without -cas!" in err and kv_raw("app/one"),
          "delete -modify-index alone is refused and deletes nothing: %r" % err)
    rc, out, err = cli("kv", "delete", "-cas", "app/one")
    check(rc == 1 and "Cannot delete a key that does not exist. Provide a -modify-index greater than than 0." in err,
          "delete -cas alone gives Consul's message: %r" % err)
    rc, out, err = cli("kv", "delete", "-cas", "-modify-index=3", "-recurse", "app/")
    check(rc == 1 and "Cannot specify both -cas and -recurse!" in err, "delete -cas -recurse: %r" % err)
    idx = kv_raw("app/one")["ModifyIndex"]
    rc, out, err = cli("kv", "delete", "-cas", "-modify-index=%d" % (idx + 100), "app/one")
    check(rc == 1 and "CAS failed" in err and kv_raw("app/one"), "a CAS delete at the wrong index fails: %r" % err)
    rc, out, err = cli("kv", "put", "-cas", "-modify-index=%d" % idx, "app/one", "hi2")
    check(rc == 0 and "Success! Data written to: app/one" in out, "put -cas at the right index writes: %r" % err)

    # ---- kv: a leading "/" is stripped (command/kv/get, del: "pairs cannot start with a /")
    cli("kv", "put", "foo/x", "1")
    rc, out, err = cli("kv", "get", "/foo/x")
    check(rc == 0 and out == "1\n", "kv get /foo/x reads foo/x: %r %r" % (out, err))
    rc, out, err = cli("kv", "delete", "/foo/x")
    check(rc == 0 and kv_raw("foo/x") is None, "kv delete /foo/x deletes foo/x: %r" % out)
    rc, out, err = cli("kv", "put", "/foo/y", "1")
    check(rc == 1 and "Key must not begin with a '/'" in err, "kv put /foo/y is refused as the API client does")

    # ---- kv: argument counts and unsigned flags
    rc, out, err = cli("kv", "get", "a", "b")
    check(rc == 1 and "Too many arguments (expected 1, got 2)" in err, "kv get a b: %r" % err)
    rc, out, err = cli("kv", "put", "a", "b", "c")
    check(rc == 1 and "Too many arguments (expected 1 or 2, got 3)" in err, "kv put a b c: %r" % err)
    for bad in ("-1", "abc", "1.5"):
        rc, out, err = cli("kv", "put", "-flags=" + bad, "app/flags", "v")
        check(rc == 1 and 'invalid value "%s" for flag -flags' % bad in err and kv_raw("app/flags") is None,
              "-flags=%s is refused by the CLI: %r" % (bad, err))

    # ---- kv export / import round trip, in Consul's JSON (command/kv/impexp)
    cli("kv", "put", "-flags=7", "tree/a", "alpha")
    cli("kv", "put", "tree/b/c", "@" + __file__)
    cli("kv", "put", "tree/empty")
    rc, exported, err = cli("kv", "export", "tree/")
    entries = json.loads(exported) if rc == 0 else []
    check(rc == 0 and [e["key"] for e in entries] == ["tree/a", "tree/b/c", "tree/empty"] and
          sorted(entries[0]) == ["flags", "key", "value"] and entries[0]["flags"] == 7 and
          base64.b64decode(entries[0]["value"]) == b"alpha" and "\n\t{\n\t\t\"key\"" in exported,
          "kv export writes Consul's entries, tab-indented: %r" % exported[:200])
    rc, out, err = cli("kv", "delete", "-recurse", "tree/")
    path = os.path.join(tempfile.mkdtemp(prefix="consul-it-parity-"), "export.json")
    with open(path, "w") as f:
        f.write(exported)
    rc, out, err = cli("kv", "import", "@" + path)
    check(rc == 0 and out.splitlines() == ["Imported: tree/a", "Imported: tree/b/c", "Imported: tree/empty"],
          "kv import @file: %r %r" % (out, err))
    rc, again, err = cli("kv", "export", "tree/")
    check(json.loads(again) == entries, "export, import, export round-trips keys, flags and values")
    rc, out, err = cli("kv", "import", "-", input_bytes=b'[{"key": "tree/stdin", "flags": 0, "value": "eA=="}]')
    check(rc == 0 and kv_raw("tree/stdin") is not None, "kv import - reads stdin: %r" % err)
    rc, out, err = cli("kv", "import", "not json")
    check(rc == 1 and "Cannot unmarshal data" in err, "kv import of malformed data: %r" % err)
    rc, out, err = cli("kv", "export", "nothing-here/")
    check(rc == 0 and out.strip() == "[]", "kv export of an empty prefix is []: %r" % out)

    # ---- catalog: an unknown node (agent/catalog_endpoint.go answers 200 null)
    status, _, body = a.http("GET", "/v1/catalog/node/no-such-node")
    check(status == 200 and body.strip() == b"null", "GET /v1/catalog/node/UNKNOWN is 200 null: %r" % body)
    status, _, _ = a.http("GET", "/v1/catalog/node-services/no-such-node")
    check(status == 404, "node-services of an unknown node stays a 404")
    rc, out, err = cli("catalog", "services", "-node=no-such-node")
    check(rc == 0 and "No services match the given query - try expanding your search." in err,
          "catalog services -node=UNKNOWN: %r %r" % (out, err))

    # ---- catalog: -node-meta and -filter, through the CLI and the API
    for name, node, meta, tags in (("api", "n-east", {"zone": "east"}, ["v1", "blue"]),
                                   ("api", "n-west", {"zone": "west"}, ["v2"]),
                                   ("db", "n-west", {"zone": "west"}, ["primary"])):
        reg = {"Node": node, "Address": "10.1.0.%d" % len(node), "NodeMeta": meta,
               "Service": {"ID": name + "-" + node, "Service": name, "Tags": tags, "Port": 80}}
        a.http("PUT", "/v1/catalog/register", body=json.dumps(reg).encode())
    status, _, body = a.http("GET", "/v1/catalog/services?node-meta=zone:west")
    check(status == 200 and json.loads(body) == {"api": ["v2"], "db": ["primary"]},
          "/v1/catalog/services?node-meta keeps the services on matching nodes: %r" % body)
    status, _, body = a.http("GET", "/v1/catalog/services?filter=" + quote('ServiceTags contains "blue"'))
    check(status == 200 and json.loads(body) == {"api": ["blue", "v1"]},
          "/v1/catalog/services?filter filters instances, then folds them: %r" % body)
    status, _, body = a.http("GET", "/v1/catalog/services?filter=" + quote("nonsense =="))
    check(status == 400, "a bad filter on /v1/catalog/services is a 400")
    rc, out, err = cli("catalog", "services", "-node-meta=zone=west")
    check(rc == 0 and out.split() == ["api", "db"], "catalog services -node-meta: %r %r" % (out, err))
    rc, out, err = cli("catalog", "services", "-filter", 'ServiceName == "db"', "-tags")
    check(rc == 0 and out.split() == ["db", "primary"], "catalog services -filter -tags: %r %r" % (out, err))
    rc, out, err = cli("catalog", "nodes", "-node-meta=zone=east")
    check(rc == 0 and "n-east" in out and "n-west" not in out, "catalog nodes -node-meta: %r" % out)
    rc, out, err = cli("catalog", "nodes", "-filter", 'Node == "n-west"')
    check(rc == 0 and "n-west" in out and "n-east" not in out, "catalog nodes -filter: %r" % out)
    rc, out, err = cli("catalog", "nodes", "-node-meta=nozone")
    check(rc == 1 and "key=value" in err, "a -node-meta without = is refused: %r" % err)
    rc, out, err = cli("catalog", "nodes", "-near=_agent")
    check(rc == 1 and "-near" in err, "-near is refused (no coordinates): %r" % err)

    # ---- ?tag= repeated: every tag must match
    status, _, body = a.http("GET", "/v1/catalog/service/api?tag=v1&tag=blue")
    check(status == 200 and [s["Node"] for s in json.loads(body)] == ["n-east"], "two tags, both present")
    status, _, body = a.http("GET", "/v1/catalog/service/api?tag=v1&tag=v2")
    check(status == 200 and json.loads(body) == [], "two tags no instance has both: none: %r" % body)
    status, _, body = a.http("GET", "/v1/health/service/api?tag=blue&tag=V1")
    check(status == 200 and len(json.loads(body)) == 1, "health service with two tags (case ignored)")

    # ---- DNS: a name under .addr that is no address (agent/dns/router.go: NXDOMAIN)
    rcode, answers, authority, _ = a.dig("NOTHEX.addr.dc1.consul")
    check(rcode == "NXDOMAIN" and not answers and authority and authority[0][3] == "SOA",
          "NOTHEX.addr.dc1.consul is NXDOMAIN with the SOA: %r %r" % (rcode, authority))
    rcode, answers, _, _ = a.dig("0a000001.addr.dc1.consul")
    check(rcode == "NOERROR" and answers and answers[0][4] == "10.0.0.1", "a hex address still answers")

    # ---- help: -h anywhere is the command's help, on stdout, exit 0 (mitchellh/cli)
    for args in (["kv", "-h"], ["kv", "get", "foo", "-h"], ["catalog", "-h"], ["catalog", "nodes", "-h"],
                 ["version", "-h"], ["operator", "-h"], ["operator", "raft", "list-peers", "-h"], ["members", "-h"],
                 ["snapshot", "save", "-help"], ["services", "register", "--help"], ["kv", "export", "-h"]):
        rc, out, err = run_cli(args)
        check(rc == 0 and out.startswith("Usage: consul " + " ".join(w for w in args[:2] if not w.startswith("-")))
              and not err, "consul %s: usage on stdout, exit 0: %r" % (" ".join(args), (rc, out[:60], err[:60])))
    rc, out, err = run_cli(["operator"])
    check(rc == 1 and "raft" in err, "consul operator alone lists its subcommands on stderr, exit 1")
    rc, out, err = run_cli(["version", "-format=json"])
    check(rc == 0 and json.loads(out)["Version"], "version -format=json is JSON")
    rc, out, err = run_cli(["version", "-bogus"])
    check(rc == 1 and "flag provided but not defined: -bogus" in err, "version refuses an unknown flag")
finish()
