#!/usr/bin/env bash
# Two msinet LAN stations on one machine, each in its own network namespace
# (hostA 10.99.0.1 and hostB 10.99.0.2 on a private bridge; nothing leaves the
# machine). Needs root and iproute2. Run from the repository after `npm ci`.
#
#   sudo scripts/two-stations.sh            # starts both, then opens a shell "on" hostA
#   # in that shell:
#   msinet --socket /tmp/msinet-hostA.sock clients
#   msinet --socket /tmp/msinet-hostA.sock send --to hostB keyOn:pitch=60:vel=100 keyOff:pitch=60:vel=0
#   # and in another terminal, "on" hostB:
#   sudo ip netns exec msinet-b node dist/bin/msinet.js --socket /tmp/msinet-hostB.sock dump
# (The driver's socket paths are given explicitly because both stations share /tmp.)
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/bin/msInetDriver.js ] || npm run build
bin=$(pwd)/dist/bin

cleanup() {
  kill "${pids[@]}" 2>/dev/null || true
  ip netns del msinet-a 2>/dev/null || true
  ip netns del msinet-b 2>/dev/null || true
  ip link del msinet-br 2>/dev/null || true
}
trap cleanup EXIT
pids=()
cleanup

ip link add msinet-br type bridge && ip link set msinet-br up
for host in a b; do
  n=$([ "$host" = a ] && echo 1 || echo 2)
  ip netns add "msinet-$host"
  ip link add "msinet-v$host" type veth peer name eth0 netns "msinet-$host"
  ip link set "msinet-v$host" master msinet-br up
  ip -n "msinet-$host" addr add "10.99.0.$n/24" brd + dev eth0
  ip -n "msinet-$host" link set eth0 up
  ip -n "msinet-$host" link set lo up
  name="host${host^^}"
  ip netns exec "msinet-$host" unshare --uts sh -c "hostname $name; exec node $bin/msInetDriver.js --socket /tmp/msinet-$name.sock" \
    > "/tmp/msinet-$name.log" 2>&1 < /dev/null &
  pids+=($!)
done
sleep 1
echo "hostA and hostB are running (logs: /tmp/msinet-hostA.log, /tmp/msinet-hostB.log)."
echo "This shell is on hostA; 'exit' stops both stations."
# `msinet` on this shell's PATH.
tools=$(mktemp -d)
printf '#!/bin/sh\nexec node %s/msinet.js "$@"\n' "$bin" > "$tools/msinet" && chmod +x "$tools/msinet"
PATH="$tools:$PATH" ip netns exec msinet-a bash --norc -i || true
rm -rf "$tools"
