#!/bin/bash
# dns_vs_nsd.sh: DNS throughput and latency of consul-dnsd against NSD (an authoritative
# server from Debian) answering the same names, in one run, with dnsperf.
#
#   bench/dns_vs_nsd.sh [BUILD_DIR] [SECONDS] [CLIENTS]
#
# Both answer A and SRV for web.service.consul and A for the node; dnsperf replays a mix of
# those queries for SECONDS at up to CLIENTS in flight, three runs each, and the median is
# reported. A rough figure on a small shared machine: read ratios, not absolutes.
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
secs=${2:-5}
clients=${3:-20}
for p in nsd dnsperf; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$p" >/dev/null
done
ours=127.0.0.40
theirs=127.0.0.41
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

cat >"$tmp/web.json" <<'J'
{"service": {"name": "web", "port": 8080, "tags": ["v1"]}}
J
"$build/cli/consul" agent -dev -node=bench -bind=$ours -client=$ours -config-file="$tmp/web.json" \
  >"$tmp/agent.log" 2>&1 &
pids+=($!)

cat >"$tmp/consul.zone" <<Z
\$ORIGIN consul.
\$TTL 0
@ IN SOA ns.consul. hostmaster.consul. 1 3600 600 86400 0
@ IN NS ns.consul.
ns IN A $ours
web.service IN A $ours
web.service IN SRV 1 1 8080 bench.node.dc1.consul.
bench.node IN A $ours
bench.node.dc1 IN A $ours
Z
cat >"$tmp/nsd.conf" <<N
server:
  ip-address: $theirs@8600
  port: 8600
  username: ""
  chroot: ""
  zonesdir: "$tmp"
  database: ""
  pidfile: "$tmp/nsd.pid"
  xfrdfile: "$tmp/xfrd.state"
  zonelistfile: "$tmp/zone.list"
  server-count: 1
  verbosity: 0
  # Response rate limiting would throttle a benchmark client to 200 answers/s.
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
remote-control:
  control-enable: no
zone:
  name: consul.
  zonefile: consul.zone
N
nsd -d -c "$tmp/nsd.conf" >"$tmp/nsd.log" 2>&1 &
pids+=($!)

printf 'web.service.consul A\nweb.service.consul SRV\nbench.node.consul A\n' >"$tmp/queries"
for i in $(seq 50); do
  dig +short @$ours -p 8600 web.service.consul SRV | grep -q 8080 && break
  sleep 0.1
done
dig +short @$theirs -p 8600 web.service.consul SRV | grep -q 8080 || { echo "nsd did not answer"; cat "$tmp/nsd.log"; exit 1; }

run() { # addr -> "qps avg_latency_ms"
  dnsperf -s "$1" -p 8600 -d "$tmp/queries" -l "$secs" -c 4 -q "$clients" -n 1000000 2>/dev/null |
    awk '/Queries per second/ {q=$4} /Average Latency/ {l=$4*1000} END {printf "%.0f %.3f\n", q, l}'
}
median() { sort -n | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}'; }
declare -A qps lat
for who in ours theirs; do
  addr=${!who}
  results=$(for r in 1 2 3; do run "$addr"; done)
  qps[$who]=$(echo "$results" | awk '{print $1}' | median)
  lat[$who]=$(echo "$results" | awk '{print $2}' | median)
done
rss_ours=$(for p in $(pgrep -f consul-dnsd | head -1); do awk '/VmRSS/ {print $2}' /proc/$p/status; done)
rss_nsd=$(for p in $(pgrep -f "nsd -d -c $tmp"); do awk '/VmRSS/ {print $2}' /proc/$p/status; done | awk '{s+=$1} END {print s}')
printf '%-12s %12s %16s %10s\n' "server" "queries/s" "avg latency ms" "RSS KB"
printf '%-12s %12s %16s %10s\n' "consul-dnsd" "${qps[ours]}" "${lat[ours]}" "$rss_ours"
printf '%-12s %12s %16s %10s\n' "nsd" "${qps[theirs]}" "${lat[theirs]}" "$rss_nsd"
awk -v a="${qps[ours]}" -v b="${qps[theirs]}" 'BEGIN {printf "throughput ratio (ours / nsd): %.2f\n", a / b}'
