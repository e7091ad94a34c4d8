#!/bin/bash
# The systemd units in packaging/ are valid: systemd-analyze verify, with ExecStart pointed at
# the binaries of this build (verify insists that they exist).
set -eu
build=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in "$src"/packaging/systemd/*; do
  sed -E "s#/usr/bin/consul-([a-z]+)#$build/\\1/consul-\\1#" "$f" >"$tmp/$(basename "$f")"
done
n=$(ls "$tmp" | wc -l)
[ "$n" -ge 8 ] || { echo "expected at least 8 unit files, found $n"; exit 1; }
out=$(cd "$tmp" && SYSTEMD_LOG_LEVEL=notice systemd-analyze verify ./*.service ./*.target 2>&1) || {
  echo "$out"; exit 1; }
# verify also prints warnings without failing; treat those about our units as failures.
if echo "$out" | grep -E "consul[^ ]*\.(service|target)" ; then exit 1; fi
echo "verified $n units"
