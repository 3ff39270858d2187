#!/usr/bin/env bash
# Runs a command in a network namespace that has only the loopback interface, so no SIP or
# RTP (nor a browser's ICE candidates) can leave the machine. Needs root (or user namespaces)
# and `unshare`; without them the command runs as is — every peer still binds to 127.0.0.1.
set -euo pipefail
if [ "${OUTDIAL_IN_NETNS:-}" = 1 ]; then exec "$@"; fi
if command -v unshare >/dev/null 2>&1 && unshare -n true 2>/dev/null; then
  exec unshare -n env OUTDIAL_IN_NETNS=1 bash -c 'ip link set lo up 2>/dev/null || true; exec "$@"' _ "$@"
fi
if unshare -rn true 2>/dev/null; then
  exec unshare -rn env OUTDIAL_IN_NETNS=1 bash -c 'ip link set lo up 2>/dev/null || true; exec "$@"' _ "$@"
fi
echo "netns.sh: no network namespace available; running on the host's loopback" >&2
exec "$@"
