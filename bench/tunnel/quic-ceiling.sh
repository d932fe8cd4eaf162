#!/usr/bin/env bash
# The ceiling of a QUIC tunnel on this machine: one QUIC stream through Netty's native QUIC codec
# (the tunnel's TLS and transport settings) over loopback, with nothing else on the path, next to
# iperf3 (plain TCP) over loopback, in one run. Whatever the tunnel does around QUIC (ICE, the
# bridge, the proxies) can only be slower than this; the throughput target of bench/tunnel/run.sh
# is measured against plain TCP.
set -euo pipefail

case "${1:-}" in
    -h|--help)
        echo "usage: bench/tunnel/quic-ceiling.sh      (root not needed; writes results/<date>-quic-ceiling.md)"
        echo "environment: MIB (MiB per QUIC run, default 400), ROUNDS (default 3)"
        exit 0 ;;
esac

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
MIB="${MIB:-400}"
ROUNDS="${ROUNDS:-3}"
command -v iperf3 >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends iperf3 >&2
(cd "$ROOT" && mvn -B -q -ntp -pl mesh-agent -am test-compile -DskipTests) >&2
(cd "$ROOT" && mvn -B -q -ntp -pl mesh-agent dependency:build-classpath -Dmdep.outputFile=/tmp/quic-ceiling-cp.txt) >&2
CP="$ROOT/mesh-agent/target/test-classes:$ROOT/mesh-agent/target/classes:$(cat /tmp/quic-ceiling-cp.txt)"
LAUNCHER_OPTS="$(sed -n 's/^DEFAULT_JAVA_OPTS="\(.*\)"$/\1/p' "$ROOT/bin/mesh-agent")"

PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
iperf3 -s -B 127.0.0.1 -p "$PORT" >/dev/null 2>&1 &
IPERF_PID=$!
trap 'kill $IPERF_PID 2>/dev/null || true' EXIT
sleep 1

rows=()
tcps=() quics=()
for round in $(seq 1 "$ROUNDS"); do
    tcp="$(iperf3 -c 127.0.0.1 -p "$PORT" -t 5 -J | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e6))')"
    # shellcheck disable=SC2086
    c1="$(java $LAUNCHER_OPTS -cp "$CP" io.kedge.agent.tunnel.QuicCeilingBench "$MIB" 2>/dev/null | grep '^QUIC')"
    c2="$(java -cp "$CP" io.kedge.agent.tunnel.QuicCeilingBench "$MIB" 2>/dev/null | grep '^QUIC')"
    rows+=("| $round | $tcp | $c1 | $c2 |")
    tcps+=("$tcp") quics+=("$(echo "$c1" | awk '{print $2}')")
    echo "round $round: TCP $tcp Mbit/s; launcher: $c1; C2: $c2" >&2
done

out="$ROOT/bench/tunnel/results/$(date -u +%F)-quic-ceiling.md"
{
    echo "# QUIC ceiling on this machine, $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "Produced by \`bench/tunnel/quic-ceiling.sh\` (MIB=$MIB, ROUNDS=$ROUNDS): iperf3 over loopback (5 s) and one QUIC"
    echo "stream of $MIB MiB over loopback through Netty's native QUIC codec with the tunnel's TLS (QuicTls) and"
    echo "transport settings, 1,350-byte datagrams, client and server in one JVM on two event loops: once with"
    echo "bin/mesh-agent's JVM options, once with the JVM's defaults (C2)."
    echo
    echo "## Machine"
    echo
    echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
    echo "- JDK: $(java -version 2>&1 | head -1); $(iperf3 --version | head -1)"
    echo "- commit $(cd "$ROOT" && git rev-parse --short HEAD)"
    echo
    echo "## Results (Mbit/s)"
    echo
    echo "| round | plain TCP, loopback | QUIC, launcher options | QUIC, C2 |"
    echo "|---|---:|---|---|"
    printf '%s\n' "${rows[@]}"
    echo
    python3 - "${tcps[*]}" "${quics[*]}" <<'PY'
import statistics, sys
tcp = statistics.median(float(x) for x in sys.argv[1].split())
quic = statistics.median(float(x) for x in sys.argv[2].split())
print(f"Medians: plain TCP {tcp:.0f} Mbit/s, QUIC with the launcher's options {quic:.0f} Mbit/s = {100 * quic / tcp:.1f} % of plain TCP:")
print("the most any QUIC tunnel through one stream can reach here, before ICE, the bridge and two proxies.")
PY
} >"$out"
echo "written to $out" >&2
