#!/usr/bin/env bash
# Relay benchmark: relayed UDP throughput through mesh-server and through coturn's turnserver on
# the same path, and mesh-server's memory with 1,000 allocations. Everything runs in a namespace
# topology of its own (bench/relay/topology.yaml: relay on the internet segment, a client host and
# an echoing peer host in two routed sites) and is torn down at the end, also on failure.
# Writes bench/relay/results/<date>.md. Needs root; installs coturn if missing.
#
# Load: RelayLoad (mesh-server's test sources) opens SESSIONS allocations with coturn's
# shared-secret credentials, binds a channel to turnutils_peer (an echo) and keeps WINDOW datagrams
# in flight per allocation; it counts echoed bytes for SECONDS after a 2 s warm-up. Every echoed
# byte crossed the relay twice. Both servers get the same load, alternately, ROUNDS times.
set -euo pipefail
source "$(dirname "$0")/../../bin/lib/common.sh"

ROUNDS=${ROUNDS:-3}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-8}
ALLOCATIONS=${ALLOCATIONS:-1000}
# sessions size window
LOADS=("4 1000 32" "8 200 32" "16 1200 16")

case "${1:-}" in
    -h|--help)
        sed -n '2,12s/^# \{0,1\}//p' "$0"
        echo
        echo "usage: bench/relay/run.sh   (environment: ROUNDS=$ROUNDS SECONDS_PER_RUN=$SECONDS_PER_RUN ALLOCATIONS=$ALLOCATIONS)"
        exit 0 ;;
    "") ;;
    *) kedge_die "unknown argument '$1' (try --help)" ;;
esac

kedge_require_root
kedge_require_tools
KEDGE_PACKAGES+=(coturn)
KEDGE_PACKAGE_PROBE+=([coturn]=turnutils_uclient)
kedge_ensure_packages

BENCH="$KEDGE_ROOT/bench/relay"
WORK="$(mktemp -d /tmp/kedge-relay-bench.XXXXXX)"
SECRET="bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
RELAY_IP=203.0.113.10
PEER_IP=100.64.2.11
COTURN_PORT=3478
MESH_PORT=3479
RUN=""
PIDS=()

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    [ -n "$RUN" ] && "$KEDGE_ROOT/bin/topo" down "$RUN" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

log() { echo "== $*" >&2; }

log "building mesh-server and the load generator"
kedge_ensure_built mesh-server mesh-common
(cd "$KEDGE_ROOT" && mvn -B -q -ntp -pl mesh-server -am test-compile dependency:build-classpath \
    -Dmdep.outputFile="$WORK/cp.txt" -Dmdep.includeScope=test) >&2
LOAD_CP="$KEDGE_ROOT/mesh-server/target/test-classes:$KEDGE_ROOT/mesh-server/target/classes:$(cat "$WORK/cp.txt")"

log "bringing up the benchmark topology"
"$KEDGE_ROOT/bin/topo" up "$BENCH/topology.yaml" > "$WORK/topo.txt"
RUN="$(sed -n 's/^up as run \([0-9a-f]*\).*/\1/p' "$WORK/topo.txt")"
[ -n "$RUN" ] || kedge_die "could not read the run id from: $(cat "$WORK/topo.txt")"
in_ns() { local host="$1"; shift; ip netns exec "kt-$RUN-h-$host" "$@"; }

# Background processes in a host, remembered for cleanup; exec'd so that the pid is the program's.
exec_in() { local host="$1"; shift; exec ip netns exec "kt-$RUN-h-$host" "$@"; }
start() { exec_in "$@" & PIDS+=("$!"); }

start peer turnutils_peer -L "$PEER_IP" -p 3480 > "$WORK/peer.log" 2>&1
echo "$SECRET" > "$WORK/secret"

start_coturn() {
    start relay turnserver -n --listening-ip="$RELAY_IP" --relay-ip="$RELAY_IP" --listening-port="$COTURN_PORT" \
        --min-port=49152 --max-port=57343 --use-auth-secret --static-auth-secret="$SECRET" --realm=bench \
        --no-tls --no-dtls --allowed-peer-ip="$PEER_IP" --no-cli --log-file=stdout --simple-log \
        --db="$WORK/turndb" --pidfile="$WORK/turnserver.pid" > "$WORK/coturn.log" 2>&1
    COTURN_PID=$!
}

start_mesh() {
    start relay env KEDGE_JAVA_OPTS="${1:-}" "$KEDGE_ROOT/bin/mesh-server" --listen "$RELAY_IP" --port "$MESH_PORT" --no-tls \
        --allowed-peer "$PEER_IP" --port-range 57344-65535 --shared-secret-file "$WORK/secret" --admin 127.0.0.1:9478 \
        > "$WORK/mesh.log" 2>&1
    local i
    for i in $(seq 120); do grep -q "mesh-server ready" "$WORK/mesh.log" && break; sleep 0.5; done
    grep -q "mesh-server ready" "$WORK/mesh.log" || kedge_die "mesh-server did not start: $(tail -20 "$WORK/mesh.log")"
    MESH_PID="${PIDS[-1]}"
}

stop_pid() { kill "$1" 2>/dev/null || true; local i; for i in $(seq 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done; }

cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
rss_kb() { awk '/VmRSS/{print $2}' "/proc/$1/status"; }

load() { # port sessions size window seconds -> RESULT line
    in_ns client timeout 120 java -Xmx256m -cp "$LOAD_CP" io.kedge.server.testing.RelayLoad throughput \
        "$RELAY_IP" "$1" "$SECRET" "$PEER_IP:3480" "$2" "$3" "$5" "$4" > "$WORK/load.out" 2>&1 || true
    grep '^RESULT' "$WORK/load.out" || echo "RESULT failed: $(grep -v '^RESULT' "$WORK/load.out" | tail -3 | tr '\n' ' ')"
}
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" <<<"$2"; }
median() { sort -n | awk '{v[NR]=$1} END {if (NR==0) print 0; else if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }

log "starting coturn $(turnserver --version 2>/dev/null | head -1) and mesh-server"
start_coturn
start_mesh ""
sleep 1
COTURN_PID="$(cat "$WORK/turnserver.pid" 2>/dev/null || echo "$COTURN_PID")"

log "warm-up (JIT) for both"
load "$COTURN_PORT" 4 1000 32 3 > /dev/null
load "$MESH_PORT" 4 1000 32 3 > /dev/null

TABLE="$WORK/table.md"
RAW="$WORK/raw.txt"
: > "$RAW"
echo "| sessions x size (window) | coturn Mbit/s | mesh-server Mbit/s | ratio | coturn CPU s / M datagrams | mesh-server CPU s / M datagrams |" > "$TABLE"
echo "|---|---|---|---|---|---|" >> "$TABLE"
for spec in "${LOADS[@]}"; do
    read -r sessions size window <<<"$spec"
    : > "$WORK/c.mbit"; : > "$WORK/m.mbit"; : > "$WORK/c.cpu"; : > "$WORK/m.cpu"
    for round in $(seq "$ROUNDS"); do
        for server in coturn mesh; do
            if [ "$server" = coturn ]; then port=$COTURN_PORT; pid=$COTURN_PID; else port=$MESH_PORT; pid=$MESH_PID; fi
            before=$(cpu_ticks "$pid")
            result="$(load "$port" "$sessions" "$size" "$window" "$SECONDS_PER_RUN")"
            after=$(cpu_ticks "$pid")
            echo "$server round $round: $result cpu_ticks=$((after - before))" | tee -a "$RAW" >&2
            mbit=$(field mbit_per_s "$result"); pps=$(field packets_per_s "$result"); secs=$(field seconds "$result")
            echo "${mbit:-0}" >> "$WORK/${server:0:1}.mbit"
            # Relay CPU per million relayed datagrams (each echoed datagram is relayed twice); the
            # CPU window also covers allocation and warm-up, so this is an upper bound.
            awk -v t=$((after - before)) -v p="${pps:-0}" -v s="${secs:-1}" \
                'BEGIN { d = p * s * 2; if (d > 0) printf "%.2f\n", t / 100 / (d / 1e6); else print 0 }' >> "$WORK/${server:0:1}.cpu"
        done
    done
    c=$(median < "$WORK/c.mbit"); m=$(median < "$WORK/m.mbit")
    cc=$(median < "$WORK/c.cpu"); mc=$(median < "$WORK/m.cpu")
    ratio=$(awk -v a="$m" -v b="$c" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
    echo "| $sessions x $size B ($window) | $c | $m | $ratio | $cc | $mc |" >> "$TABLE"
done

log "memory with $ALLOCATIONS allocations"
MEMORY="$WORK/memory.md"
echo "| server (JVM options) | RSS idle | RSS with $ALLOCATIONS allocations | per allocation |" > "$MEMORY"
echo "|---|---|---|---|" >> "$MEMORY"
hold() { # port -> holds the allocations for a while; waits until they are all there
    start client timeout 300 java -Xmx256m -cp "$LOAD_CP" io.kedge.server.testing.RelayLoad allocations \
        "$RELAY_IP" "$1" "$SECRET" "$ALLOCATIONS" 60 > "$WORK/hold.$1.log" 2>&1
    HOLDER=$!
    local i
    for i in $(seq 240); do grep -q "HOLDING\|Exception" "$WORK/hold.$1.log" && break; sleep 0.5; done
    grep -q "HOLDING $ALLOCATIONS" "$WORK/hold.$1.log" || kedge_die "holding allocations failed: $(tail -5 "$WORK/hold.$1.log")"
}
release() { stop_pid "$HOLDER"; }
measure_memory() { # label pid port
    sleep 3
    local idle with
    idle=$(rss_kb "$2")
    hold "$3"
    sleep 5
    with=$(rss_kb "$2")
    release "$3"
    echo "| $1 | $((idle / 1024)) MiB | $((with / 1024)) MiB | $(awk -v a="$idle" -v b="$with" -v n="$ALLOCATIONS" 'BEGIN { printf "%.1f KiB", (b - a) / n }') |" >> "$MEMORY"
}
# Fresh processes, so that the throughput runs' heap growth does not count.
stop_pid "$MESH_PID"; stop_pid "$COTURN_PID"
start_coturn; sleep 2; COTURN_PID="$(cat "$WORK/turnserver.pid")"
measure_memory "coturn $(turnserver --version 2>/dev/null | head -1)" "$COTURN_PID" "$COTURN_PORT"
for opts in "" "-Xmx128m -XX:+UseSerialGC"; do
    start_mesh "$opts"
    measure_memory "mesh-server (${opts:-launcher defaults})" "$MESH_PID" "$MESH_PORT"
    stop_pid "$MESH_PID"
    sleep 1
done

DATE="$(date -u +%Y-%m-%d)"
OUT="$BENCH/results/$DATE.md"
mkdir -p "$BENCH/results"
{
    echo "# Relay benchmark, $DATE"
    echo
    echo "Produced by \`bench/relay/run.sh\` (ROUNDS=$ROUNDS, SECONDS_PER_RUN=$SECONDS_PER_RUN, ALLOCATIONS=$ALLOCATIONS)."
    echo
    echo "## Machine"
    echo
    echo "- CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -1)"
    echo "- cores: $(nproc) (shared with other work on this machine while the benchmark ran)"
    echo "- kernel: $(uname -r)"
    echo "- JDK: $(java -version 2>&1 | head -1)"
    echo "- coturn: $(turnserver --version 2>/dev/null | head -1) (Debian package, default threads)"
    echo "- mesh-server: commit $(git -C "$KEDGE_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown), launcher defaults; $(grep -o 'UDP sends: .*' "$WORK/mesh.log" | head -1)"
    echo
    echo "## Relayed throughput (same path, same load, servers alternated; medians of $ROUNDS runs)"
    echo
    echo "Client and echo peer in two routed sites, relay on the internet segment; UDP allocations with"
    echo "one channel each, coturn shared-secret credentials for both servers. Mbit/s counts echoed"
    echo "application bytes: each crossed the relay twice. CPU is the server process's user+system time"
    echo "per million relayed datagrams (upper bound: includes allocation and ramp-up)."
    echo
    cat "$TABLE"
    echo
    echo "## Memory"
    echo
    cat "$MEMORY"
    echo
    echo "## Raw runs"
    echo
    echo '```'
    cat "$RAW"
    echo '```'
} > "$OUT"
log "results written to $OUT"
cat "$OUT"
