#!/usr/bin/env python3
"""gossip_vs_serf.py: our gossip role (consul-gossipd) against HashiCorp's serf agent, side by
side in one run: 20 agents of each (GVS_N=30 for 30), every agent on its own loopback address
(ours on 127.0.1.1-20, serf on 127.0.1.21-40), both with memberlist's LAN timings.

Per repetition, for each system in turn (the order alternates between repetitions):
  join       every agent but the first joins the first, all at the same instant, through the
             agent's local RPC (ours: JOIN on gossip.sock; serf: "join" on its RPC port); the
             time until every agent has seen every other agent's member-join
  idle       CPU per agent (utime+stime from /proc/PID/stat) over ~30 s of steady state, both
             clusters at once, and VmRSS per agent at its end
  kill -9    one agent is SIGKILLed; the time until each of the other 19 marks it failed
  leave      one agent leaves gracefully (ours: LEAVE on gossip.sock; serf: "leave" RPC); the
             time until each of the other 18 has seen its member-leave

Event times: ours from consul-gossipd's own log lines (millisecond timestamps written when
the event happens). Serf two ways: (a) an event handler script that stamps the time it is
started (bash $EPOCHREALTIME, no fork of `date`), as serf's docs suggest; but the serf agent
coalesces member events for its handlers (CoalescePeriod 3 s, QuiescentPeriod 1 s in its
agent command), so these run ~1 s late;
(b) serf's own "EventMember..." log lines, streamed live over its RPC "monitor" command and
stamped on arrival here: the same point in the code as our log line, so (b) is the fair
comparison and the ratios use it; (a) is printed alongside.

    python3 bench/gossip_vs_serf.py [BUILD_DIR] [REPS]

Not part of the test suite. Every wait is bounded; every process is killed by PID at the end,
also on errors or Ctrl-C. Takes about 3 minutes with 3 repetitions (GVS_IDLE_S shortens the idle window; GVS_N sets the agents per system;
GVS_SERF_TAGS=none runs serf without Consul's tags).
"""
import calendar
import os
import re
import selectors
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "build")
REPS = int(sys.argv[2]) if len(sys.argv) > 2 else 3
# Agents per system (GVS_N, up to 120: ours on 127.0.1.1..N, serf on the next N addresses).
N = int(os.environ.get("GVS_N", "20"))
if not 3 <= N <= 120:
    sys.exit("GVS_N must be 3..120")
GOSSIPD = os.path.join(BUILD, "gossipd", "consul-gossipd")
SERF = shutil.which("serf") or "/usr/bin/serf"
IDLE_S = float(os.environ.get("GVS_IDLE_S", "30"))
SETTLE_S = 3.0          # after convergence, before the idle window: join broadcasts die out
START_TIMEOUT_S = 15.0
JOIN_TIMEOUT_S = 40.0    # one fact a gossip round missed waits for push/pull (30 s)
DETECT_TIMEOUT_S = 60.0
LEAVE_TIMEOUT_S = 20.0
TICK = os.sysconf("SC_CLK_TCK")
# Serf agents carry the tags Consul puts on a client's LAN member (as ours do), so both gossip
# facts of the same size; GVS_SERF_TAGS=none runs serf bare (its facts are then ~4x smaller and
# more of them fit in each gossip packet).
SERF_TAGS = os.environ.get("GVS_SERF_TAGS", "consul")

OP_MEMBERS, OP_JOIN, OP_LEAVE = 40, 41, 42

HANDLER = r"""#!/bin/bash
# serf event handler: one line per member in the event, stamped when the handler starts.
t=$EPOCHREALTIME
while read -r name addr rest; do
  printf '%s %s %s %s\n' "$t" "$SERF_EVENT" "$name" "$addr" >> "$1"
done
"""

procs = []          # every Popen we started, killed by PID in cleanup()


def cleanup():
    for p in procs:
        if p.poll() is None:
            try:
                os.kill(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    for p in procs:
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            print("warning: pid %d did not exit after SIGKILL" % p.pid, file=sys.stderr)
    procs.clear()


def on_signal(signum, frame):
    raise SystemExit("interrupted by signal %d" % signum)


class BenchError(Exception):
    pass


def wait_for(pred, timeout_s, what, step=0.02):
    deadline = time.monotonic() + timeout_s
    while True:
        r = pred()
        if r:
            return r
        if time.monotonic() > deadline:
            raise BenchError("timed out after %.0f s waiting for %s" % (timeout_s, what))
        time.sleep(step)


# ---------------------------------------------------------------- msgpack (serf's RPC)

def mp_pack(v):
    if v is None:
        return b"\xc0"
    if v is True:
        return b"\xc3"
    if v is False:
        return b"\xc2"
    if isinstance(v, int):
        if 0 <= v < 128:
            return bytes([v])
        return b"\xcf" + struct.pack(">Q", v)
    if isinstance(v, str):
        b = v.encode()
        if len(b) < 32:
            return bytes([0xa0 | len(b)]) + b
        return b"\xda" + struct.pack(">H", len(b)) + b
    if isinstance(v, (list, tuple)):
        assert len(v) < 16
        return bytes([0x90 | len(v)]) + b"".join(mp_pack(x) for x in v)
    if isinstance(v, dict):
        assert len(v) < 16
        return bytes([0x80 | len(v)]) + b"".join(mp_pack(k) + mp_pack(x) for k, x in v.items())
    raise TypeError(type(v))


class Incomplete(Exception):
    pass


def mp_unpack(b, i=0):
    """Decodes one object at b[i:]; returns (object, next index); Incomplete if cut short."""
    def need(k):
        if i + k > len(b):
            raise Incomplete()

    need(1)
    c = b[i]
    i += 1

    def raw(n):
        need(n)
        return b[i:i + n], i + n

    def num(fmt):
        n = struct.calcsize(fmt)
        need(n)
        return struct.unpack(fmt, b[i:i + n])[0], i + n

    def seq(count, pairs):
        j = i
        out = {} if pairs else []
        for _ in range(count):
            k, j = mp_unpack(b, j)
            if pairs:
                v, j = mp_unpack(b, j)
                out[k.decode(errors="replace") if isinstance(k, bytes) else k] = v
            else:
                out.append(k)
        return out, j

    if c < 0x80:
        return c, i
    if c >= 0xe0:
        return c - 0x100, i
    if 0x80 <= c <= 0x8f:
        return seq(c & 0x0f, True)
    if 0x90 <= c <= 0x9f:
        return seq(c & 0x0f, False)
    if 0xa0 <= c <= 0xbf:
        return raw(c & 0x1f)
    if c == 0xc0:
        return None, i
    if c in (0xc2, 0xc3):
        return c == 0xc3, i
    if c in (0xc4, 0xd9):
        n, i = num(">B")
        return raw(n)
    if c in (0xc5, 0xda):
        n, i = num(">H")
        return raw(n)
    if c in (0xc6, 0xdb):
        n, i = num(">I")
        return raw(n)
    fmts = {0xca: ">f", 0xcb: ">d", 0xcc: ">B", 0xcd: ">H", 0xce: ">I", 0xcf: ">Q",
            0xd0: ">b", 0xd1: ">h", 0xd2: ">i", 0xd3: ">q"}
    if c in fmts:
        return num(fmts[c])
    if c in (0xdc, 0xdd):
        n, i = num(">H" if c == 0xdc else ">I")
        return seq(n, False)
    if c in (0xde, 0xdf):
        n, i = num(">H" if c == 0xde else ">I")
        return seq(n, True)
    raise BenchError("msgpack type 0x%02x not handled" % c)


class SerfRPC:
    """One connection to a serf agent's RPC port, handshaken."""

    def __init__(self, addr, timeout_s=5):
        self.sock = socket.create_connection((addr, 7373), timeout=timeout_s)
        self.buf = b""
        self.seq = 0
        self.send("handshake", {"Version": 1})
        self.reply()

    def send(self, command, body=None):
        msg = mp_pack({"Command": command, "Seq": self.seq})
        if body is not None:
            msg += mp_pack(body)
        self.seq += 1
        self.sock.sendall(msg)

    def read_obj(self):
        while True:
            try:
                v, j = mp_unpack(self.buf)
                self.buf = self.buf[j:]
                return v
            except Incomplete:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise BenchError("serf RPC connection closed")
                self.buf += chunk

    def reply(self, with_body=False):
        hdr = self.read_obj()
        err = hdr.get("Error", b"")
        if err:
            raise BenchError("serf RPC error: %s" % err.decode(errors="replace"))
        return self.read_obj() if with_body else None

    def close(self):
        self.sock.close()


# ---------------------------------------------------------------- gossip.sock (ours)

def gossip_send(sock, op, body):
    args = body.encode()
    sock.sendall(struct.pack(">IHHII", len(args), op, 0, 7, os.getpid()) + args)


def gossip_reply(sock):
    data = b""
    while len(data) < 16 or len(data) < 16 + struct.unpack(">I", data[:4])[0]:
        chunk = sock.recv(65536)
        if not chunk:
            raise BenchError("gossip.sock closed")
        data += chunk
    length = struct.unpack(">I", data[:4])[0]
    payload = data[16:16 + length]
    status = struct.unpack(">I", payload[:4])[0]   # meta: status, known_leader, index, last_contact, pad
    return status, payload[24:]


def gossip_connect(path, timeout_s=10):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout_s)
    s.connect(path)
    return s


# ---------------------------------------------------------------- the two clusters

OURS_LINE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{3})Z .*serf lan: (member-\w+): (\S+) (\S+)")
# "EventMemberLeave (forced)": the leave intent came after memberlist already reported it gone
SERF_LOG_LINE = re.compile(r"serf: EventMember(Join|Leave|Failed|Update|Reap)(?: \(forced\))?: (\S+) (\S+)")
SERF_KIND = {"Join": "member-join", "Leave": "member-leave", "Failed": "member-failed",
             "Update": "member-update", "Reap": "member-reap"}


class Cluster:
    def __init__(self, label, first_octet, workdir, rep):
        self.label = label
        self.addrs = ["127.0.1.%d" % (first_octet + i) for i in range(N)]
        self.dir = os.path.join(workdir, "%s-%d" % (label, rep))
        os.makedirs(self.dir)
        self.procs = []
        self.names = []


class Ours(Cluster):
    def start(self):
        for i, addr in enumerate(self.addrs):
            name = "g%02d" % (i + 1)
            d = os.path.join(self.dir, name)
            os.makedirs(d)
            log = open(os.path.join(self.dir, name + ".log"), "wb")
            p = subprocess.Popen([GOSSIPD, "-data-dir", d, "-node", name, "-bind", addr],
                                 stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            log.close()
            procs.append(p)
            self.procs.append(p)
            self.names.append(name)

    def sock(self, i):
        return os.path.join(self.dir, self.names[i], "run", "gossip.sock")

    def ready(self):
        for i in range(N):
            if self.procs[i].poll() is not None:
                raise BenchError("%s exited (%s)" % (self.names[i], self.procs[i].returncode))
            try:
                s = gossip_connect(self.sock(i), 2)
                gossip_send(s, OP_MEMBERS, "{}")
                gossip_reply(s)
                s.close()
            except OSError:
                return False
        return True

    def prepare_joins(self):
        return [gossip_connect(self.sock(i)) for i in range(1, N)]

    def fire_joins(self, conns):
        body = '{"addrs":["%s"]}' % self.addrs[0]
        for s in conns:
            gossip_send(s, OP_JOIN, body)

    def finish_joins(self, conns):
        for s in conns:
            status, body = gossip_reply(s)
            if status != 200:
                raise BenchError("ours: JOIN answered %d %s" % (status, body[:200]))
            s.close()

    def prepare_leave(self, i):
        return gossip_connect(self.sock(i))

    def fire_leave(self, s):
        gossip_send(s, OP_LEAVE, "{}")

    # log stamps are cut to the millisecond: events() puts each in the middle of its
    # millisecond, so one may fall up to half a millisecond before the instant it follows
    slack = 0.0005

    def events(self, i):
        """[(wall time, kind, member name)] from agent i's log."""
        out = []
        try:
            with open(os.path.join(self.dir, self.names[i] + ".log"), errors="replace") as f:
                for line in f:
                    m = OURS_LINE.match(line)
                    if m:
                        t = calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")) + (int(m.group(2)) + 0.5) / 1000
                        out.append((t, m.group(3), m.group(4)))
        except OSError:
            pass
        return out

    def stop_sources(self):
        pass


def serf_tags():
    """consul-gossipd's own tags for a client agent (agent/consul/client.go's set)."""
    if SERF_TAGS == "none":
        return []
    tags = {"acls": "0", "build": "1.17.0:consul-c", "dc": "dc1", "id": str(uuid.uuid4()),
            "role": "node", "segment": "", "vsn": "2", "vsn_max": "3", "vsn_min": "2"}
    return ["-tag=%s=%s" % kv for kv in tags.items()]


class Serf(Cluster):
    def __init__(self, *a):
        super().__init__(*a)
        self.monitor_events = [[] for _ in range(N)]
        self.lock = threading.Lock()
        self.monitor_socks = []
        self.stop_monitor = False
        self.thread = None

    def start(self):
        handler = os.path.join(self.dir, "handler.sh")
        with open(handler, "w") as f:
            f.write(HANDLER)
        os.chmod(handler, 0o755)
        for i, addr in enumerate(self.addrs):
            name = "s%02d" % (i + 1)
            log = open(os.path.join(self.dir, name + ".log"), "wb")
            ev = os.path.join(self.dir, name + ".events")
            p = subprocess.Popen([SERF, "agent", "-node=" + name, "-bind=%s:7946" % addr,
                                  "-rpc-addr=%s:7373" % addr, "-log-level=info", "-profile=lan",
                                  "-event-handler=%s %s" % (handler, ev)] + serf_tags(),
                                 stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            log.close()
            procs.append(p)
            self.procs.append(p)
            self.names.append(name)

    def ready(self):
        for i in range(N):
            if self.procs[i].poll() is not None:
                raise BenchError("%s exited (%s)" % (self.names[i], self.procs[i].returncode))
            try:
                SerfRPC(self.addrs[i], 2).close()
            except (OSError, BenchError):
                return False
        return True

    def start_monitors(self):
        """Streams every agent's log (RPC "monitor") and stamps EventMember lines on arrival."""
        sel = selectors.DefaultSelector()
        for i in range(N):
            c = SerfRPC(self.addrs[i])
            c.send("monitor", {"LogLevel": "INFO"})
            c.sock.setblocking(False)
            self.monitor_socks.append(c)
            sel.register(c.sock, selectors.EVENT_READ, (i, c))

        def run():
            while not self.stop_monitor:
                for key, _ in sel.select(timeout=0.2):
                    i, c = key.data
                    try:
                        chunk = c.sock.recv(65536)
                    except OSError:
                        chunk = b""
                    now = time.time()
                    if not chunk:
                        sel.unregister(c.sock)
                        continue
                    c.buf += chunk
                    while True:
                        try:
                            v, j = mp_unpack(c.buf)
                        except Incomplete:
                            break
                        c.buf = c.buf[j:]
                        if isinstance(v, dict) and "Log" in v:
                            m = SERF_LOG_LINE.search(v["Log"].decode(errors="replace"))
                            if m:
                                with self.lock:
                                    self.monitor_events[i].append((now, SERF_KIND[m.group(1)], m.group(2)))
            sel.close()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def stop_sources(self):
        self.stop_monitor = True
        if self.thread:
            self.thread.join(timeout=2)
        for c in self.monitor_socks:
            c.close()

    def prepare_joins(self):
        return [SerfRPC(self.addrs[i]) for i in range(1, N)]

    def fire_joins(self, conns):
        for c in conns:
            c.send("join", {"Existing": [self.addrs[0]], "Replay": False})

    def finish_joins(self, conns):
        for c in conns:
            body = c.reply(with_body=True)
            if not body or body.get("Num", 0) < 1:
                raise BenchError("serf: join answered %r" % body)
            c.close()

    def prepare_leave(self, i):
        return SerfRPC(self.addrs[i])

    def fire_leave(self, c):
        c.send("leave")

    def events(self, i):
        return self.handler_events(i)

    def handler_events(self, i):
        out = []
        try:
            with open(os.path.join(self.dir, self.names[i] + ".events")) as f:
                for line in f:
                    parts = line.split()
                    if len(parts) >= 3:
                        out.append((float(parts[0]), parts[1], parts[2]))
        except (OSError, ValueError):
            pass
        return out

    def log_events(self, i):
        with self.lock:
            return list(self.monitor_events[i])


class MonitorView:
    """The serf cluster seen through its streamed log instead of the handler."""

    def __init__(self, serf):
        self.serf = serf
        self.names = serf.names
        self.label = "serf(log)"

    def events(self, i):
        return self.serf.log_events(i)


# ---------------------------------------------------------------- measurements

def first_seen(view, observers, kind, subjects, t0):
    """{(observer, subject): first time >= t0 that observer logged `kind` for subject}."""
    seen = {}
    for i in observers:
        want = set(subjects) - {view.names[i]}
        for t, k, name in view.events(i):
            if k == kind and name in want and t >= t0 - getattr(view, "slack", 0) and (i, name) not in seen:
                seen[(i, name)] = t
    return seen


def spread(views, observers, kind, subjects, t0, timeout_s, what):
    """Waits (at most timeout_s) until every observer has logged `kind` for every subject (not
    itself) in every view. Returns, per view, (time of the last such event - t0, median over
    the pairs, pairs still missing); a missing pair counts as timeout_s (a lower bound)."""
    total = {}
    for v in views:
        total[v.label] = sum(len(set(subjects) - {v.names[i]}) for i in observers)

    def done():
        return all(len(first_seen(v, observers, kind, subjects, t0)) >= total[v.label] for v in views)

    try:
        wait_for(done, timeout_s, what, step=0.05)
    except BenchError as e:
        print("  %s" % e)
    out = {}
    for v in views:
        seen = first_seen(v, observers, kind, subjects, t0)
        missing = [(v.names[i], s) for i in observers for s in subjects
                   if s != v.names[i] and (i, s) not in seen]
        if missing:
            print("  %s: %d of %d (observer, member) pairs still missing, e.g. %s" %
                  (v.label, len(missing), total[v.label], missing[:5]))
        ts = sorted([max(0.0, t - t0) for t in seen.values()] + [float(timeout_s)] * len(missing))
        out[v.label] = (ts[-1], statistics.median(ts), len(missing), len(ts))
    return out


def cpu_ticks(pid):
    stat = open("/proc/%d/stat" % pid).read()
    f = stat[stat.rindex(")") + 2:].split()
    return int(f[11]) + int(f[12])      # utime + stime


def rss_kb(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def phase_join(c, views):
    conns = c.prepare_joins()
    t0 = time.time()
    c.fire_joins(conns)
    r = spread(views, range(N), "member-join", c.names, t0, JOIN_TIMEOUT_S, c.label + " join convergence")
    c.finish_joins(conns)
    return r


def phase_kill(c, views, victim):
    t0 = time.time()
    os.kill(c.procs[victim].pid, signal.SIGKILL)
    c.procs[victim].wait(timeout=5)
    observers = [i for i in range(N) if i != victim]
    return spread(views, observers, "member-failed", [c.names[victim]], t0, DETECT_TIMEOUT_S,
                  c.label + " failure detection")


def phase_leave(c, views, leaver, dead):
    conn = c.prepare_leave(leaver)
    t0 = time.time()
    c.fire_leave(conn)
    observers = [i for i in range(N) if i not in (leaver, dead)]
    r = spread(views, observers, "member-leave", [c.names[leaver]], t0, LEAVE_TIMEOUT_S,
               c.label + " leave")
    conn.close()
    return r


def one_rep(workdir, rep, results):
    ours = Ours("ours", 1, workdir, rep)
    serf = Serf("serf", N + 1, workdir, rep)
    try:
        t_start = time.monotonic()
        ours.start()
        serf.start()
        wait_for(ours.ready, START_TIMEOUT_S, "consul-gossipd agents to serve gossip.sock", 0.05)
        wait_for(serf.ready, START_TIMEOUT_S, "serf agents to answer RPC", 0.05)
        serf.start_monitors()
        time.sleep(0.5)
        print("rep %d: %d agents up in %.1f s" % (rep + 1, 2 * N, time.monotonic() - t_start))
        order = [(ours, [ours]), (serf, [serf, MonitorView(serf)])]
        if rep % 2:
            order.reverse()

        def record(metric, r):
            for label, (last, med, missing, pairs) in r.items():
                results.setdefault((metric, label), []).append((last, missing > 0))
                results.setdefault((metric + " (median pair)", label), []).append((med, 2 * missing >= pairs))
            print("  %-17s %s" % (metric, "  ".join("%s %s%.3f s (median pair %.3f)" % (k, ">" if v[2] else "", v[0], v[1])
                                                    for k, v in sorted(r.items()))))

        for c, views in order:
            record("join convergence", phase_join(c, views))
            time.sleep(0.5)

        # steady state: both clusters idle together
        time.sleep(SETTLE_S)
        pids = {c.label: [p.pid for p in c.procs] for c in (ours, serf)}
        t_a = time.monotonic()
        before = {lab: [cpu_ticks(p) for p in ps] for lab, ps in pids.items()}
        time.sleep(IDLE_S)
        after = {lab: [cpu_ticks(p) for p in ps] for lab, ps in pids.items()}
        span = time.monotonic() - t_a
        for lab, ps in pids.items():
            cpu = [(a - b) / TICK / span * 100 for a, b in zip(after[lab], before[lab])]
            rss = [rss_kb(p) / 1024 for p in ps]
            results.setdefault(("idle CPU per agent %", lab), []).append((statistics.mean(cpu), False))
            results.setdefault(("RSS per agent MB", lab), []).append((statistics.median(rss), False))
            print("  idle %s: CPU mean %.3f%% (max %.3f%%) per agent, RSS median %.2f MB (max %.2f)" %
                  (lab, statistics.mean(cpu), max(cpu), statistics.median(rss), max(rss)))

        victim, leaver = N - 1, N - 2
        for c, views in order:
            record("kill -9 detection", phase_kill(c, views, victim))
        for c, views in order:
            record("leave spread", phase_leave(c, views, leaver, victim))
    finally:
        serf.stop_sources()
        cleanup()


def main():
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, on_signal)
    if not os.access(GOSSIPD, os.X_OK):
        sys.exit("no %s: build it first (ninja -C BUILD gossipd/consul-gossipd)" % GOSSIPD)
    if not os.access(SERF, os.X_OK):
        sys.exit("no serf binary: apt-get install -y serf")
    workdir = tempfile.mkdtemp(prefix="gossip_vs_serf.")
    print("consul-gossipd %s vs %s (tags: %s); %d agents each; %d repetitions; logs in %s" %
          (GOSSIPD, SERF, SERF_TAGS, N, REPS, workdir))
    results = {}
    t_all = time.monotonic()
    ok = False
    try:
        for rep in range(REPS):
            one_rep(workdir, rep, results)
        ok = True
    except (BenchError, OSError, subprocess.SubprocessError) as e:
        print("error: %s (logs kept in %s)" % (e, workdir), file=sys.stderr)
    finally:
        cleanup()
    print()
    print("medians over %d repetition(s), %d agents per system, %.0f s in all" %
          (len(results.get(("RSS per agent MB", "ours"), [])), N, time.monotonic() - t_all))
    print("serf(handler): times stamped by serf's event handler; serf(log): by serf's own log line, "
          "the same point as ours; ratios use serf(log) for times")
    rows = [("join convergence", "s"), ("join convergence (median pair)", "s"),
            ("kill -9 detection", "s"), ("kill -9 detection (median pair)", "s"),
            ("leave spread", "s"), ("leave spread (median pair)", "s"),
            ("idle CPU per agent %", "%"), ("RSS per agent MB", "MB")]
    print("| %-36s | %9s | %13s | %9s | %10s |" % ("metric", "ours", "serf(handler)", "serf(log)", "ours/serf"))
    print("|%s|%s|%s|%s|%s|" % ("-" * 38, "-" * 11, "-" * 15, "-" * 11, "-" * 12))

    def med(metric, label):
        """(median, whether it is only a lower bound: a censored value at or above it)."""
        v = results.get((metric, label))
        if not v:
            return None, False
        m = statistics.median(x for x, _ in v)
        return m, any(c and x >= m for x, c in v)

    def fmt(mc, unit):
        v, cens = mc
        if v is None:
            return "-"
        return (">" if cens else "") + ("%.2f" % v if unit == "MB" else "%.3f" % v)

    for metric, unit in rows:
        o = med(metric, "ours")
        h = med(metric, "serf")
        lg = med(metric, "serf(log)")
        ref = lg if lg[0] is not None else h
        ratio = "%.2f" % (o[0] / ref[0]) if o[0] is not None and ref[0] else "-"
        if ratio != "-" and (o[1] or ref[1]):
            ratio += "?"   # one side is only a lower bound
        print("| %-36s | %9s | %13s | %9s | %10s |" % (metric + (" (s)" if unit == "s" else ""), fmt(o, unit),
                                                       fmt(h, unit), fmt(lg, unit) if unit == "s" else "",
                                                       ratio))
    print("logs kept in %s" % workdir)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
