#!/usr/bin/env bash
# DNS benchmark: serves the same N Service names from the mesh-agent DNS server and from dnsmasq
# (hosts file), both on loopback, and runs dnsperf against each with the same query file: a
# warm-up, then alternating rounds (so background load hits both alike), then a fixed-rate run for
# latency percentiles. Writes bench/dns/results/<date>.md and prints the agent/dnsmasq QPS ratio.
set -euo pipefail

case "${1:-}" in
    -h|--help)
        sed -n '2,5s/^# \{0,1\}//p' "$0"
        cat <<USAGE

usage: bench/dns/run.sh
environment: SERVICES (1000), ROUND_SECONDS (8), ROUNDS (3), WARMUP_SECONDS (10),
             LATENCY_QPS (20000), LATENCY_SECONDS (5), AGENT_THREADS (1; 0 = one per CPU),
             PORT (15353), AGENT_IP (127.0.0.71), DNSMASQ_IP (127.0.0.72),
             BENCH_TAG (results/<date>-TAG.md)
USAGE
        exit 0 ;;
esac

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
SERVICES="${SERVICES:-1000}"
ROUND_SECONDS="${ROUND_SECONDS:-8}"
ROUNDS="${ROUNDS:-3}"
# Long enough for the JIT to compile the hot path (the same for both servers).
WARMUP_SECONDS="${WARMUP_SECONDS:-10}"
LATENCY_QPS="${LATENCY_QPS:-20000}"
LATENCY_SECONDS="${LATENCY_SECONDS:-5}"
# One event loop, like single-threaded dnsmasq: dnsperf's one socket hashes to one SO_REUSEPORT
# socket anyway, and on a small machine the load generator needs the other core.
AGENT_THREADS="${AGENT_THREADS:-1}"
PORT="${PORT:-15353}"
AGENT_IP="${AGENT_IP:-127.0.0.71}"
DNSMASQ_IP="${DNSMASQ_IP:-127.0.0.72}"

need=()
command -v dnsperf >/dev/null || need+=(dnsperf)
command -v dig >/dev/null || need+=(dnsutils)
[ -x /usr/sbin/dnsmasq ] || command -v dnsmasq >/dev/null || need+=(dnsmasq-base)
if [ ${#need[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || { echo "error: missing ${need[*]}; run as root to install them" >&2; exit 1; }
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi
DNSMASQ="$(command -v dnsmasq || echo /usr/sbin/dnsmasq)"

WORK="$(mktemp -d /tmp/kedge-dns-bench.XXXXXX)"
AGENT_PID=""
DNSMASQ_PID=""
cleanup() {
    # Each step on its own: a killed process's exit status must not stop the rest of the cleanup.
    if [ -n "$AGENT_PID" ]; then kill "$AGENT_PID" 2>/dev/null || true; wait "$AGENT_PID" 2>/dev/null || true; fi
    if [ -n "$DNSMASQ_PID" ]; then kill "$DNSMASQ_PID" 2>/dev/null || true; wait "$DNSMASQ_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

echo "building mesh-agent (test classes) ..." >&2
(cd "$ROOT" && mvn -B -q -ntp -pl mesh-agent -am test-compile dependency:build-classpath \
    -Dmdep.outputFile=target/test-classpath.txt -Dmdep.includeScope=test) >&2
CP="$ROOT/mesh-agent/target/test-classes:$ROOT/mesh-agent/target/classes:$(cat "$ROOT/mesh-agent/target/test-classpath.txt")"
MAIN=io.kedge.agent.dns.StandaloneDnsServer

java -cp "$CP" "$MAIN" --write-only --services "$SERVICES" --hosts-file "$WORK/hosts" --query-file "$WORK/queries"

java ${KEDGE_JAVA_OPTS:-} -cp "$CP" "$MAIN" --listen "$AGENT_IP" --port "$PORT" --services "$SERVICES" \
    --threads "$AGENT_THREADS" >"$WORK/agent.log" 2>&1 &
AGENT_PID=$!
"$DNSMASQ" --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts --addn-hosts="$WORK/hosts" \
    --local=/cluster.local/ --local-ttl=30 --listen-address="$DNSMASQ_IP" --bind-interfaces --port="$PORT" \
    --pid-file= --user=root --group=root >"$WORK/dnsmasq.log" 2>&1 &
DNSMASQ_PID=$!

probe="svc-1.bench.svc.cluster.local"
for ip in "$AGENT_IP" "$DNSMASQ_IP"; do
    for _ in $(seq 1 100); do
        [ "$(dig @"$ip" -p "$PORT" +short +tries=1 +timeout=1 "$probe" A 2>/dev/null)" = "198.18.0.2" ] && break
        sleep 0.2
    done
    [ "$(dig @"$ip" -p "$PORT" +short +tries=1 +timeout=1 "$probe" A)" = "198.18.0.2" ] \
        || { echo "error: $ip:$PORT does not answer $probe" >&2; cat "$WORK"/*.log >&2; exit 1; }
done

# dnsperf ARGS... -> "qps avg_latency_ms lost"
perf() {
    dnsperf -s "$1" -p "$PORT" -d "$WORK/queries" "${@:2}" 2>&1 | awk '
        /Queries per second:/ {qps=$4}
        /Average Latency \(s\):/ {lat=$4*1000}
        /Queries lost:/ {lost=$3}
        END {printf "%.0f %.3f %s\n", qps, lat, lost}'
}

# Fixed-rate run with per-query output -> "p50_ms p99_ms"
percentiles() {
    dnsperf -s "$1" -p "$PORT" -d "$WORK/queries" -l "$LATENCY_SECONDS" -Q "$LATENCY_QPS" -v 2>/dev/null \
        | awk '$1 == ">" {print $NF * 1000}' | sort -n | awk '
            {v[NR] = $1}
            END {
                if (NR == 0) { print "n/a n/a"; exit }
                i50 = int(NR * 0.50); if (i50 < 1) i50 = 1
                i99 = int(NR * 0.99); if (i99 < 1) i99 = 1
                printf "%.3f %.3f\n", v[i50], v[i99]
            }'
}

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "warming up (${WARMUP_SECONDS} s each) ..." >&2
perf "$AGENT_IP" -l "$WARMUP_SECONDS" >/dev/null
perf "$DNSMASQ_IP" -l "$WARMUP_SECONDS" >/dev/null

rows=""
agent_qps=()
dnsmasq_qps=()
agent_lat=()
dnsmasq_lat=()
for round in $(seq 1 "$ROUNDS"); do
    read -r aq al alost < <(perf "$AGENT_IP" -l "$ROUND_SECONDS")
    read -r dq dl dlost < <(perf "$DNSMASQ_IP" -l "$ROUND_SECONDS")
    echo "round $round: agent $aq qps (avg ${al} ms, lost $alost), dnsmasq $dq qps (avg ${dl} ms, lost $dlost)" >&2
    rows+="| $round | $aq | $al | $alost | $dq | $dl | $dlost |"$'\n'
    agent_qps+=("$aq"); dnsmasq_qps+=("$dq"); agent_lat+=("$al"); dnsmasq_lat+=("$dl")
done
echo "latency at ${LATENCY_QPS} queries/s ..." >&2
read -r a50 a99 < <(percentiles "$AGENT_IP")
read -r d50 d99 < <(percentiles "$DNSMASQ_IP")
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
am="$(median "${agent_qps[@]}")"
dm="$(median "${dnsmasq_qps[@]}")"
aml="$(median "${agent_lat[@]}")"
dml="$(median "${dnsmasq_lat[@]}")"
ratio="$(awk -v a="$am" -v d="$dm" 'BEGIN {printf "%.2f", (d > 0 ? a / d : 0)}')"

date_tag="$(date -u +%Y-%m-%d)"
out="$ROOT/bench/dns/results/$date_tag${BENCH_TAG:+-$BENCH_TAG}.md"
mkdir -p "$(dirname "$out")"
cpu="$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
{
    echo "# DNS benchmark, $date_tag"
    echo
    echo "mesh-agent DNS server (\`$MAIN\`, generated catalog) vs dnsmasq (hosts file with the same names),"
    echo "both on loopback, $SERVICES ClusterIP Services, one A query per name in a loop (\`dnsperf -d\`, UDP,"
    echo "default 100 outstanding queries). Warm-up ${WARMUP_SECONDS} s each, then $ROUNDS alternating rounds of ${ROUND_SECONDS} s."
    echo "Percentiles from a separate fixed-rate run (\`-Q $LATENCY_QPS\`, ${LATENCY_SECONDS} s, per-query latencies from \`dnsperf -v\`)."
    echo
    echo "| round | agent QPS | agent avg ms | agent lost | dnsmasq QPS | dnsmasq avg ms | dnsmasq lost |"
    echo "|---|---|---|---|---|---|---|"
    printf '%s' "$rows"
    echo
    echo "| | agent | dnsmasq |"
    echo "|---|---|---|"
    echo "| median QPS (saturated) | $am | $dm |"
    echo "| median average latency (saturated), ms | $aml | $dml |"
    echo "| p50 latency at $LATENCY_QPS qps, ms | $a50 | $d50 |"
    echo "| p99 latency at $LATENCY_QPS qps, ms | $a99 | $d99 |"
    echo
    echo "**agent/dnsmasq QPS ratio: $ratio**"
    echo
    echo "## Machine"
    echo
    echo "- CPU: $cpu, $(nproc) cores (shared with other work; load average $load_before before, $load_after after)"
    echo "- kernel: $(uname -r)"
    echo "- JDK: $(java -version 2>&1 | head -1)"
    echo "- agent: event-loop threads ${AGENT_THREADS} (0 = one per CPU), $(grep -o 'transport [a-z]*' "$WORK/agent.log" | head -1)"
    echo "- dnsmasq: $("$DNSMASQ" --version | head -1)"
    echo "- dnsperf: $(dnsperf -h 2>&1 | awk '/^Version/ {print $2; exit}')"
} >"$out"
echo "results: $out" >&2
echo "agent/dnsmasq QPS ratio: $ratio (agent $am, dnsmasq $dm)"
