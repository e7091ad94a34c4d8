#!/bin/bash
# kv_vs_etcd.sh: replicated writes and stale reads of a 3-server cluster of ours against a
# 3-member etcd cluster (Debian's etcd-server), side by side in one run, fsync on in both.
#
#   bench/kv_vs_etcd.sh [BUILD_DIR] [SECONDS]
#
# Writes: HTTP PUT of a 256-byte value with wrk at 1, 16 and 64 connections, sent to the
# leader (ours: PUT /v1/kv/bench; etcd: POST /v3/kv/put on its JSON gateway). Reads: one
# follower answers from its own copy (ours: GET /v1/kv/bench?stale; etcd: a serializable
# POST /v3/kv/range) at 64 connections. Prints req/s, p50 and p99 (ms) per row; medians of
# three runs. Not part of the test suite: timings on a shared machine are rough.
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
secs=${2:-5}
for p in etcd-server etcd-client wrk; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$p" >/dev/null
done
ours=(127.0.0.53 127.0.0.54 127.0.0.55)
theirs=(127.0.0.56 127.0.0.57 127.0.0.58)
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

# ---- ours: -bootstrap-expect=3, joined by -retry-join, Consul's timing at raft_multiplier 1
echo '{"performance":{"raft_multiplier":1}}' >"$tmp/consul.json"
for i in 0 1 2; do
  mkdir -p "$tmp/c$i"
  "$build/cli/consul" agent -server -bootstrap-expect=3 -data-dir="$tmp/c$i" -node="bench-$i" \
    -bind="${ours[$i]}" -client="${ours[$i]}" -retry-join="${ours[0]}" -retry-join="${ours[1]}" \
    -config-file="$tmp/consul.json" >"$tmp/c$i.log" 2>&1 &
  pids+=($!)
done
leader=""
for _ in $(seq 150); do
  leader=$(curl -sf "http://${ours[0]}:8500/v1/status/leader" | tr -d '"' | cut -d: -f1) || true
  [ -n "$leader" ] && break
  sleep 0.1
done
[ -n "$leader" ] || { echo "our cluster elected no leader" >&2; tail "$tmp"/c*.log >&2; exit 1; }
follower=${ours[0]}
[ "$follower" = "$leader" ] && follower=${ours[1]}

# ---- etcd: three members on the same machine
cluster="e0=http://${theirs[0]}:2380,e1=http://${theirs[1]}:2380,e2=http://${theirs[2]}:2380"
for i in 0 1 2; do
  etcd --name "e$i" --data-dir "$tmp/e$i" --listen-client-urls "http://${theirs[$i]}:2379" \
    --advertise-client-urls "http://${theirs[$i]}:2379" --listen-peer-urls "http://${theirs[$i]}:2380" \
    --initial-advertise-peer-urls "http://${theirs[$i]}:2380" --initial-cluster "$cluster" \
    --initial-cluster-state new --log-level error >"$tmp/e$i.log" 2>&1 &
  pids+=($!)
done
eleader=""
endpoints="${theirs[0]}:2379,${theirs[1]}:2379,${theirs[2]}:2379"
for _ in $(seq 150); do
  eleader=$(ETCDCTL_API=3 etcdctl --endpoints="$endpoints" endpoint status 2>/dev/null |
    awk -F', ' '$5=="true" {split($1, a, ":"); print a[1]}') || true
  [ -n "$eleader" ] && break
  sleep 0.1
done
[ -n "$eleader" ] || { echo "etcd elected no leader" >&2; tail "$tmp"/e*.log >&2; exit 1; }
efollower=${theirs[0]}
[ "$efollower" = "$eleader" ] && efollower=${theirs[1]}

value=$(head -c 256 /dev/zero | tr '\0' 'x')
value64=$(printf '%s' "$value" | base64 -w0)
key64=$(printf 'bench' | base64 -w0)
cat >"$tmp/ours_put.lua" <<L
wrk.method = "PUT"
wrk.body = "$value"
L
cat >"$tmp/etcd_put.lua" <<L
wrk.method = "POST"
wrk.body = '{"key":"$key64","value":"$value64"}'
wrk.headers["Content-Type"] = "application/json"
L
cat >"$tmp/etcd_get.lua" <<L
wrk.method = "POST"
wrk.body = '{"key":"$key64","serializable":true}'
wrk.headers["Content-Type"] = "application/json"
L
curl -sf -X PUT --data "$value" "http://$leader:8500/v1/kv/bench" >/dev/null
curl -sf -X POST -d "{\"key\":\"$key64\",\"value\":\"$value64\"}" "http://$eleader:2379/v3/kv/put" >/dev/null
sleep 1

run() { # conns script url -> "req/s p50_ms p99_ms"
  local threads=2
  [ "$1" -lt 2 ] && threads=1
  wrk -t "$threads" -c "$1" -d "${secs}s" --latency -s "$2" "$3" 2>/dev/null | awk '
    /Requests\/sec/ {r=$2}
    function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
    $1=="50%" {p50=ms($2)} $1=="99%" {p99=ms($2)}
    /Non-2xx/ {bad=$NF}
    END {if (bad) r = 0; printf "%.0f %.3f %.3f\n", r, p50, p99}'   # errors void the run
}
median3() { # conns script url -> the run with the median req/s
  { run "$@"; run "$@"; run "$@"; } | sort -n | sed -n 2p
}
echo 'wrk.method = "GET"' >"$tmp/get.lua"

printf '%-22s %10s %9s %9s   %10s %9s %9s   %6s\n' "" "ours r/s" "p50 ms" "p99 ms" "etcd r/s" "p50 ms" "p99 ms" "ratio"
row() { # label conns our_script our_url their_script their_url
  read -r a ap50 ap99 <<<"$(median3 "$2" "$3" "$4")"
  read -r b bp50 bp99 <<<"$(median3 "$2" "$5" "$6")"
  printf '%-22s %10s %9s %9s   %10s %9s %9s   %6s\n' "$1" "$a" "$ap50" "$ap99" "$b" "$bp50" "$bp99" \
    "$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.2fx", b ? a / b : 0}')"
}
for c in 1 16 64; do
  row "PUT, $c conns" "$c" "$tmp/ours_put.lua" "http://$leader:8500/v1/kv/bench" \
    "$tmp/etcd_put.lua" "http://$eleader:2379/v3/kv/put"
done
row "stale GET, 64 conns" 64 "$tmp/get.lua" "http://$follower:8500/v1/kv/bench?stale" \
  "$tmp/etcd_get.lua" "http://$efollower:2379/v3/kv/range"
for i in 0 1 2; do
  printf 'RSS after the run: ours %s (%s MB summed over its processes), etcd e%s %s MB\n' "bench-$i" \
    "$(ps -o rss= --ppid "${pids[$i]}" | awk '{s+=$1} END {printf "%.1f", s/1024}')" "$i" \
    "$(ps -o rss= -p "${pids[$((i + 3))]}" | awk '{printf "%.1f", $1/1024}')"
done
