#!/bin/sh
# build-original-peer.sh [OUTDIR]: builds the original msInetDriver test peer with
# ../shared/original-peer/build.sh into OUTDIR (default /tmp/msPeer-build), unless the
# binary there is newer than build.sh and port/. A lock keeps test files that start at
# once from building over each other. Run it outside any private network namespace:
# build.sh may apt-get gcc-multilib. Prints the path of msPeer on its last line.
set -e
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SRC=${MSINET_SHARED_DIR:-$ROOT/../shared}/original-peer
OUT=${1:-/tmp/msPeer-build}
BIN=$OUT/bin/msPeer
[ -f "$SRC/build.sh" ] || { echo "build-original-peer: no $SRC/build.sh" >&2; exit 1; }
mkdir -p "$OUT"
exec 9>"$OUT/.build.lock"
flock 9
if [ ! -x "$BIN" ] || [ -n "$(find "$SRC/build.sh" "$SRC/port" -newer "$BIN")" ]; then
  sh "$SRC/build.sh" "$OUT" >&2
fi
echo "$BIN"
