#!/bin/bash
# http_vs_nginx.sh: HTTP throughput and latency of consul-httpd against nginx (Debian's) in one
# run, with wrk over keep-alive connections.
#
#   bench/http_vs_nginx.sh [BUILD_DIR] [SECONDS] [CONNECTIONS]
#
# Ours serves GET /v1/kv/bench (httpd -> raftd over raft.sock -> JSON) and GET
# /v1/status/leader; nginx serves a static file holding the same KV JSON body, which is the
# cheapest thing a web server can do. Three runs each; medians. Read ratios, not absolutes.
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
secs=${2:-5}
conns=${3:-32}
for p in nginx wrk; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$p" >/dev/null
done
ours=127.0.0.43
theirs=127.0.0.44
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

"$build/cli/consul" agent -dev -node=bench -bind=$ours -client=$ours >"$tmp/agent.log" 2>&1 &
pids+=($!)
for i in $(seq 50); do curl -sf "http://$ours:8500/v1/status/leader" >/dev/null && break; sleep 0.1; done
value=$(head -c 256 /dev/zero | tr '\0' 'x')
curl -sf -X PUT --data "$value" "http://$ours:8500/v1/kv/bench" >/dev/null
mkdir -p "$tmp/www/v1/kv"
curl -sf "http://$ours:8500/v1/kv/bench" >"$tmp/www/v1/kv/bench"

cat >"$tmp/nginx.conf" <<N
daemon off;
worker_processes 1;
pid $tmp/nginx.pid;
error_log $tmp/nginx.err;
events { worker_connections 1024; }
http {
  access_log off;
  default_type application/json;
  client_body_temp_path $tmp;
  proxy_temp_path $tmp;
  fastcgi_temp_path $tmp;
  uwsgi_temp_path $tmp;
  scgi_temp_path $tmp;
  server { listen $theirs:8500; root $tmp/www; }
}
N
nginx -c "$tmp/nginx.conf" -p "$tmp" &
pids+=($!)
for i in $(seq 50); do curl -sf "http://$theirs:8500/v1/kv/bench" >/dev/null && break; sleep 0.1; done

run() { # url -> "req/s p50_ms p99_ms"
  wrk -t 2 -c "$conns" -d "${secs}s" --latency "$1" 2>/dev/null | awk '
    /Requests\/sec/ {r=$2}
    function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
    $1=="50%" {p50=ms($2)} $1=="99%" {p99=ms($2)}
    END {printf "%.0f %.3f %.3f\n", r, p50, p99}'
}
median3() { sort -n -k1 | awk 'NR==2'; }
printf '%-34s %10s %8s %8s\n' "server and path" "req/s" "p50 ms" "p99 ms"
for target in "consul-httpd GET /v1/kv/bench|http://$ours:8500/v1/kv/bench" \
  "consul-httpd GET /v1/status/leader|http://$ours:8500/v1/status/leader" \
  "nginx GET static same body|http://$theirs:8500/v1/kv/bench"; do
  name=${target%%|*}
  url=${target#*|}
  read -r rps p50 p99 < <(for r in 1 2 3; do run "$url"; done | median3)
  printf '%-34s %10s %8s %8s\n' "$name" "$rps" "$p50" "$p99"
done
ours_rss=$(for n in consul-httpd consul-raftd; do p=$(pgrep -f "$n -dev -node=bench -bind=$ours" | head -1); awk '/VmRSS/ {print $2}' /proc/$p/status; done | awk '{s+=$1} END {print s}')
master=$(pgrep -f "nginx -c $tmp" | head -1)
nginx_rss=$(for p in $master $(pgrep -P "$master"); do awk '/VmRSS/ {print $2}' /proc/$p/status; done | awk '{s+=$1} END {print s}')
echo "RSS after the runs: consul-httpd + consul-raftd ${ours_rss} KB; nginx master + worker ${nginx_rss} KB"
