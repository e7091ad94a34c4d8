#!/bin/sh
# netns.sh: runs one integration test in a network namespace of its own, with only a private
# loopback up, so two suites on one machine (or two tests of one suite) never share a port and
# no test traffic can leave the machine. Falls back to the host's network, saying so, where
# namespaces cannot be made (not root, or no CAP_SYS_ADMIN).
if [ "$(id -u)" = 0 ] && unshare --net true 2>/dev/null; then
  exec unshare --net sh -c 'ip link set lo up && exec "$@"' netns "$@"
fi
echo "netns.sh: no network namespace available here; running on the host's loopback" >&2
exec "$@"
