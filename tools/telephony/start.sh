#!/usr/bin/env bash
# Starts the media relay and the agents' registrar for Outdial on this machine:
#   rtpengine (user space, pcap recordings) and Kamailio (agents.cfg: desk phones over UDP/TCP,
#   browser softphones over WebSocket). Optional: --carrier-sim also starts a Kamailio that
#   stands in for a carrier's trunk (digest auth; test phones register under their numbers).
#
#   tools/telephony/start.sh [--carrier-sim] [--dir DIR]     (stop: tools/telephony/stop.sh DIR)
#
# Everything listens on 127.0.0.1 unless OUTDIAL_TEL_HOST says otherwise. Ports (env):
#   OUTDIAL_TEL_RTPENGINE_NG=2223   OUTDIAL_TEL_RTP_MIN=30000 OUTDIAL_TEL_RTP_MAX=30999
#   OUTDIAL_TEL_AGENTS_SIP=5060     OUTDIAL_TEL_AGENTS_WS=8088   OUTDIAL_TEL_DOMAIN=127.0.0.1
#   OUTDIAL_TEL_CARRIER_SIP=5090    OUTDIAL_TEL_TRUNK_USER=outdial OUTDIAL_TEL_TRUNK_PASS=change-me
# Debian: apt-get install -y --no-install-recommends rtpengine-daemon kamailio kamailio-websocket-modules
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
DIR="${TMPDIR:-/tmp}/outdial-telephony"
SIM=0
while [ $# -gt 0 ]; do
  case "$1" in
    --carrier-sim) SIM=1 ;;
    --dir) DIR="$2"; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
H="${OUTDIAL_TEL_HOST:-127.0.0.1}"
NG="${OUTDIAL_TEL_RTPENGINE_NG:-2223}"
AG="${OUTDIAL_TEL_AGENTS_SIP:-5060}"
WS="${OUTDIAL_TEL_AGENTS_WS:-8088}"
CS="${OUTDIAL_TEL_CARRIER_SIP:-5090}"
mkdir -p "$DIR/rec"
# Whatever fails on the way, nothing started is left running.
trap 'st=$?; if [ $st -ne 0 ]; then "$HERE/stop.sh" "$DIR" >/dev/null; fi' EXIT
for b in rtpengine kamailio; do command -v "$b" >/dev/null || { echo "$b is not installed (see the header of this script)" >&2; exit 1; }; done

render() { # template out KEY=VALUE...
  local t="$1" o="$2"; shift 2
  cp "$t" "$o"
  for kv in "$@"; do sed -i "s|{{${kv%%=*}}}|${kv#*=}|g" "$o"; done
  if grep -q '{{[A-Z_]*}}' "$o"; then echo "$o: unfilled placeholders: $(grep -o '{{[A-Z_]*}}' "$o" | sort -u | tr '\n' ' ')" >&2; exit 1; fi
}

rtpengine --config-file=none --table=-1 --interface="$H" --listen-ng="$H:$NG" \
  --port-min="${OUTDIAL_TEL_RTP_MIN:-30000}" --port-max="${OUTDIAL_TEL_RTP_MAX:-30999}" \
  --recording-dir="$DIR/rec" --recording-method=pcap --delete-delay=0 --num-threads=2 \
  --foreground --log-stderr >"$DIR/rtpengine.log" 2>&1 &
echo $! >"$DIR/rtpengine.pid"
for _ in $(seq 1 50); do grep -q 'Startup complete' "$DIR/rtpengine.log" && break; sleep 0.1; done
grep -q 'Startup complete' "$DIR/rtpengine.log" || { cat "$DIR/rtpengine.log"; exit 1; }

render "$HERE/kamailio/agents.cfg" "$DIR/agents.cfg" SIP_PORT="$AG" WS_PORT="$WS" \
  RTPENGINE="udp:$H:$NG" DOMAIN="${OUTDIAL_TEL_DOMAIN:-$H}"
sed -i "s|127.0.0.1:{{|$H:{{|g; s|listen=udp:127.0.0.1|listen=udp:$H|; s|listen=tcp:127.0.0.1|listen=tcp:$H|g" "$DIR/agents.cfg"
kamailio -c -f "$DIR/agents.cfg" >"$DIR/check.log" 2>&1 || { cat "$DIR/check.log"; exit 1; }
kamailio -f "$DIR/agents.cfg" -DD -E -Y "$DIR" -P "$DIR/kamailio-agents.pid" >"$DIR/kamailio-agents.log" 2>&1 &
echo $! >"$DIR/kamailio-agents.pid.sh"

if [ "$SIM" = 1 ]; then
  mkdir -p "$DIR/sim"
  render "$HERE/kamailio/carrier-sim.cfg" "$DIR/carrier-sim.cfg" SIP_PORT="$CS" REALM=carrier.test \
    TRUNK_USER="${OUTDIAL_TEL_TRUNK_USER:-outdial}" TRUNK_PASS="${OUTDIAL_TEL_TRUNK_PASS:-change-me}"
  kamailio -c -f "$DIR/carrier-sim.cfg" >"$DIR/check.log" 2>&1 || { cat "$DIR/check.log"; exit 1; }
  kamailio -f "$DIR/carrier-sim.cfg" -DD -E -Y "$DIR/sim" -P "$DIR/kamailio-carrier.pid" >"$DIR/kamailio-carrier.log" 2>&1 &
  echo $! >"$DIR/kamailio-carrier.pid.sh"
fi
sleep 0.5
echo "rtpengine ng $H:$NG (recordings in $DIR/rec); agents' registrar sip:$H:$AG, softphones ws://$H:$WS"
[ "$SIM" = 1 ] && echo "carrier stand-in sip:$H:$CS (user ${OUTDIAL_TEL_TRUNK_USER:-outdial})"
echo "logs and pids in $DIR; stop with: $HERE/stop.sh $DIR"
