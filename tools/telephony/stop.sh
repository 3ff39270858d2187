#!/usr/bin/env bash
# Stops what start.sh started (by the pids it wrote), and waits for each to exit.
set -uo pipefail
DIR="${1:-${TMPDIR:-/tmp}/outdial-telephony}"
for f in "$DIR"/kamailio-carrier.pid.sh "$DIR"/kamailio-agents.pid.sh "$DIR"/rtpengine.pid; do
  [ -f "$f" ] || continue
  pid=$(cat "$f")
  if kill "$pid" 2>/dev/null; then
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && { echo "pid $pid did not stop; killing it"; kill -9 "$pid" 2>/dev/null; }
  fi
  rm -f "$f"
done
echo "stopped (logs kept in $DIR)"
