#!/usr/bin/env python3
"""startup_rss.py: time from `consul agent -dev` to /v1/status/leader answering with a leader,
and the summed RSS of the idle agent's processes. Medians over several runs.

    python3 bench/startup_rss.py [BUILD_DIR] [RUNS]
"""
import http.client
import os
import signal
import statistics
import subprocess
import sys
import time

BUILD = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "build")
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 7
ADDR = "127.0.0.90"
CONSUL = os.path.join(BUILD, "cli", "consul")


def leader_answers():
    try:
        c = http.client.HTTPConnection(ADDR, 8500, timeout=0.5)
        c.request("GET", "/v1/status/leader")
        r = c.getresponse()
        body = r.read()
        c.close()
        return r.status == 200 and body.strip() not in (b'""', b"")
    except OSError:
        return False


def tree_rss_kb(pid):
    pids = [pid]
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = open("/proc/%s/stat" % entry).read()
                if int(stat[stat.rindex(")") + 2:].split()[1]) == pid:
                    pids.append(int(entry))
            except (OSError, ValueError):
                pass
    total = 0
    per = {}
    for p in pids:
        try:
            for line in open("/proc/%d/status" % p):
                if line.startswith("Name:"):
                    name = line.split()[1]
                if line.startswith("VmRSS:"):
                    kb = int(line.split()[1])
                    total += kb
                    per[name] = kb
        except OSError:
            pass
    return total, per


starts, rss = [], []
per_role = None
for _ in range(RUNS):
    t0 = time.monotonic()
    p = subprocess.Popen([CONSUL, "agent", "-dev", "-bind=" + ADDR, "-client=" + ADDR],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = t0 + 10
    while not leader_answers() and time.monotonic() < deadline:
        time.sleep(0.002)
    starts.append((time.monotonic() - t0) * 1000)
    time.sleep(2)  # idle
    total, per_role = tree_rss_kb(p.pid)
    rss.append(total)
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=10)

print("start to leader answering: median %.0f ms (min %.0f, max %.0f, %d runs)" %
      (statistics.median(starts), min(starts), max(starts), RUNS))
print("idle dev agent RSS, all processes: median %.1f MB" % (statistics.median(rss) / 1024))
print("per process (last run): " + ", ".join("%s %.1f MB" % (k, v / 1024) for k, v in sorted(per_role.items())))
