#!/usr/bin/env bash
# Benchmarks the cloud-edge channel on loopback: one cloudcore-lite (standalone store, CloudHub) and
#   - NODES simulated edge nodes held by one process (Netty WebSocket clients with their own node
#     certificates, keepalives, ACKs): nodes held, cloudcore-lite RSS per connected node, and the time
#     from a Service change to each node having received and ACKed it (p50/p99 per delivery, and the
#     time until all nodes had it, p50/p99 over CHANGES changes);
#   - one real edgecore-lite (joined with a token, launcher's default JVM options) holding the same
#     objects plus EXTRA_SERVICES Services: its RSS.
# Writes bench/cloudedge/results/<date>.md. Everything binds 127.0.0.1 and is stopped on exit.
set -euo pipefail

case "${1:-}" in
    -h|--help)
        sed -n '2,9s/^# \{0,1\}//p' "$0"
        echo
        echo "usage: bench/cloudedge/run.sh [--quick]      (--quick: 500 nodes, 5 changes)"
        echo "environment: NODES (default 5000), CHANGES (default 20), EXTRA_SERVICES (default 200), CLOUD_HEAP (default 2g)"
        exit 0 ;;
esac

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OUT_DIR="$ROOT/bench/cloudedge/results"
WORK="$(mktemp -d /tmp/kedge-cloudedge-bench.XXXXXX)"
NODES="${NODES:-5000}"
CHANGES="${CHANGES:-20}"
EXTRA_SERVICES="${EXTRA_SERVICES:-200}"
CLOUD_HEAP="${CLOUD_HEAP:-2g}"
if [ "${1:-}" = "--quick" ]; then NODES=500; CHANGES=5; EXTRA_SERVICES=50; fi

PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    if [ -n "${KEEP_WORK:-}" ]; then echo "work files kept in $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT INT TERM

ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
rss_mib() { awk '/VmRSS/ {printf "%d", $2/1024}' "/proc/$1/status"; }
wait_line() { # wait_line FILE PATTERN SECONDS
    local i
    for ((i = 0; i < $3 * 5; i++)); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.2; done
    echo "timed out waiting for '$2' in $1:" >&2; tail -20 "$1" >&2; exit 1
}

echo "building ..." >&2
(cd "$ROOT" && mvn -B -q -ntp -DskipTests -pl edgecore-lite -am install >&2 && mvn -B -q -ntp -pl edgecore-lite test-compile \
    dependency:build-classpath -Dmdep.outputFile="$WORK/cp.txt" -Dmdep.includeScope=test >&2)
CLOUD_CP="$ROOT/cloudcore-lite/target/cloudcore-lite.jar:$ROOT/cloudcore-lite/target/lib/*"
EDGE_CP="$ROOT/edgecore-lite/target/edgecore-lite.jar:$ROOT/edgecore-lite/target/lib/*"
SIM_CP="$ROOT/edgecore-lite/target/test-classes:$ROOT/edgecore-lite/target/classes:$(cat "$WORK/cp.txt")"

API=$(free_port); HUB=$(free_port); BOOT=$(free_port); ADMIN=$(free_port)
java -Xmx"$CLOUD_HEAP" -XX:+UseParallelGC -cp "$CLOUD_CP" io.kedge.cloud.CloudcoreCommand --data-dir "$WORK/cloud" \
    --listen "127.0.0.1:$API" --admin "127.0.0.1:$ADMIN" --advertise-address 127.0.0.1 \
    --cloudhub-listen "127.0.0.1:$HUB" --bootstrap-listen "127.0.0.1:$BOOT" --log-level warn >"$WORK/cloud.log" 2>&1 &
CLOUD=$!; PIDS+=("$CLOUD")
wait_line "$WORK/cloud.log" "cloudcore-lite ready" 90

echo "creating $EXTRA_SERVICES services ..." >&2
for ((i = 0; i < EXTRA_SERVICES; i++)); do
    printf '{"apiVersion":"v1","kind":"Service","metadata":{"name":"svc-%d","namespace":"default"},"spec":{"ports":[{"port":80}]}}' "$i" |
        curl -sf -o /dev/null -H 'Content-Type: application/json' --data-binary @- "http://127.0.0.1:$API/api/v1/namespaces/default/services"
done

echo "simulating $NODES edge nodes ..." >&2
java -Xmx3g -XX:+UseParallelGC -cp "$SIM_CP" io.kedge.edge.bench.SimulatedEdges --cloudhub "127.0.0.1:$HUB" \
    --data-dir "$WORK/cloud" --api "http://127.0.0.1:$API" --nodes "$NODES" --changes "$CHANGES" --cloud-pid "$CLOUD" \
    | tee "$WORK/sim.txt" >&2
METRICS_SYNC=$(curl -sf "http://127.0.0.1:$ADMIN/metrics" | grep -E '^kedge_sync_(messages|retries|unacked|queue)' || true)

echo "one real edgecore-lite ..." >&2
TOKEN=$(java -cp "$CLOUD_CP" io.kedge.cloud.CloudcoreCommand gettoken --data-dir "$WORK/cloud")
java -cp "$EDGE_CP" io.kedge.edge.EdgecoreCommand join --cloudcore "127.0.0.1:$HUB" --bootstrap "127.0.0.1:$BOOT" \
    --token "$TOKEN" --node-name bench-edge --data-dir "$WORK/edge" -c "$WORK/edge.yaml" >&2
META=$(free_port); EADMIN=$(free_port)
EDGE_OPTS="-XX:+UseSerialGC -Xmx64m -Xss512k -XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=32m -XX:MaxMetaspaceSize=96m"
java $EDGE_OPTS -cp "$EDGE_CP" io.kedge.edge.EdgecoreCommand -c "$WORK/edge.yaml" --meta-server "127.0.0.1:$META" \
    --admin "127.0.0.1:$EADMIN" --log-level warn >"$WORK/edge.log" 2>&1 &
EDGE=$!; PIDS+=("$EDGE")
wait_line "$WORK/edge.log" "edgecore-lite ready" 60
for ((i = 0; i < 120; i++)); do
    n=$(curl -sf "http://127.0.0.1:$META/api/v1/namespaces/default/services" | grep -o '"name":"svc-' | wc -l || true)
    [ "$n" -ge "$EXTRA_SERVICES" ] && break
    sleep 1
done
for ((i = 0; i < 20; i++)); do curl -sf -o /dev/null "http://127.0.0.1:$META/api/v1/services?watch=false"; done
sleep 10
EDGE_RSS=$(rss_mib "$EDGE")
EDGE_OBJECTS=$(curl -sf "http://127.0.0.1:$EADMIN/metrics" | awk '/^kedge_meta_objects/ {print $2}')

mkdir -p "$OUT_DIR"
OUT="$OUT_DIR/$(date -u +%Y-%m-%d).md"
{
    echo "# cloud-edge channel benchmark, $(date -u +%Y-%m-%dT%H:%MZ)"
    echo
    echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(free -g | awk '/Mem:/ {print $2}') GiB;"
    echo "$(java -version 2>&1 | head -1). Shared with other work: figures are indicative."
    echo "Everything on loopback; cloudcore-lite -Xmx$CLOUD_HEAP (ParallelGC); $EXTRA_SERVICES extra Services in the store."
    echo
    echo "## Simulated edge nodes ($NODES requested, $CHANGES changes)"
    echo
    echo '```'
    cat "$WORK/sim.txt"
    echo '```'
    echo
    echo "cloudcore-lite sync counters after the run:"
    echo
    echo '```'
    echo "$METRICS_SYNC"
    echo '```'
    echo
    echo "## edgecore-lite"
    echo
    echo "RSS $EDGE_RSS MiB holding ${EDGE_OBJECTS:-?} objects, serving the metaServer (JVM: $EDGE_OPTS)."
    echo
    echo "Targets: 5,000 nodes held; fan-out p99 <= 2 s; edgecore-lite RSS <= 128 MiB."
} >"$OUT"
cat "$OUT"
echo "written to $OUT" >&2
