#!/usr/bin/env bash
# Agent memory benchmark: a real mesh-agent (as root, in the "node" namespace of its own topology,
# bench/agent-memory/topology.yaml) against standalone cloudcore-lite (on the "api" host) holding
# 1,000 Services and 10,000 endpoints (EndpointSlices of 10 endpoints over 5 node names). For each
# JVM option set it measures the agent's RSS (VmRSS, VmHWM from /proc) idle once the catalog has
# synced, during 20 s of wrk (64 connections) against one Service's ClusterIP from the node (the
# Service's 10 endpoints are addresses of a small Netty HTTP backend on the "web" host), and after.
# Writes bench/agent-memory/results/<date>.md. Needs root; everything is torn down on exit.
set -euo pipefail
source "$(dirname "$0")/../../bin/lib/common.sh"

case "${1:-}" in
    -h|--help)
        sed -n '2,8s/^# \{0,1\}//p' "$0"
        cat <<USAGE

usage: bench/agent-memory/run.sh
environment: SERVICES (1000), ENDPOINTS_PER_SERVICE (10), WRK_SECONDS (20), IDLE_SECONDS (15),
             OPTION_SETS ("jvm-ergonomics launcher"; also "candidate"/"candidate2" = CANDIDATE_OPTS/CANDIDATE2_OPTS
             with CANDIDATE_ENV/CANDIDATE2_ENV), RESULTS (output file), NMT=1 (adds a
             diagnostic run: launcher options, or DIAGNOSTIC_OPTS with DIAGNOSTIC_ENV, plus native memory
             tracking and a heap histogram of HISTO_LINES (15) classes; HEAPDUMP=FILE adds a heap dump),
             CDS (auto: each option set first runs once to learn its class data archive, as the
             launcher does on a node's first run, then is measured with it; off: no archive),
             CDS_DIR (where those archives go; default: this run's scratch directory),
             RESTART=1 (each option set once more, restarted on the catalog its first run saved)
             AGENT_CONFIG (the agent's configuration file for every run, e.g. one setting
             modules.edgeProxy.cpuAffinity: spread)
USAGE
        exit 0 ;;
esac

kedge_require_root
KEDGE_PACKAGES+=(wrk curl kubernetes-client)
KEDGE_PACKAGE_PROBE+=([wrk]=wrk [curl]=curl [kubernetes-client]=kubectl)
kedge_ensure_packages
kedge_ensure_built test-topologies mesh-common
kedge_ensure_built cloudcore-lite mesh-common
kedge_ensure_built mesh-agent mesh-common iptables

SERVICES="${SERVICES:-1000}"
ENDPOINTS_PER_SERVICE="${ENDPOINTS_PER_SERVICE:-10}"
WRK_SECONDS="${WRK_SECONDS:-20}"
IDLE_SECONDS="${IDLE_SECONDS:-15}"
OPTION_SETS="${OPTION_SETS:-jvm-ergonomics launcher}"
# The options bin/mesh-agent starts the JVM with when KEDGE_JAVA_OPTS is unset.
LAUNCHER_OPTS="$(sed -n 's/^DEFAULT_JAVA_OPTS="\(.*\)"$/\1/p' "$KEDGE_ROOT/bin/mesh-agent")"
declare -A JAVA_OPTS_OF=(
    # No options at all: JVM ergonomics on this machine (G1, a quarter of RAM as the heap limit).
    [jvm-ergonomics]=""
    [launcher]="$LAUNCHER_OPTS"
    [candidate]="${CANDIDATE_OPTS:-}"
    [candidate2]="${CANDIDATE2_OPTS:-}"
    [diagnostic]="${DIAGNOSTIC_OPTS:-$LAUNCHER_OPTS} -XX:NativeMemoryTracking=summary"
)
[ -n "${NMT:-}" ] && OPTION_SETS="$OPTION_SETS diagnostic"

BENCH="$KEDGE_ROOT/bench/agent-memory"
CP_AGENT_TEST="$KEDGE_ROOT/mesh-agent/target/test-classes:$KEDGE_ROOT/mesh-agent/target/mesh-agent.jar:$KEDGE_ROOT/mesh-agent/target/lib/*"
[ -f "$KEDGE_ROOT/mesh-agent/target/test-classes/io/kedge/agent/proxy/bench/BenchHttpBackend.class" ] || {
    (cd "$KEDGE_ROOT" && mvn -B -q -ntp -pl mesh-agent -am test-compile) >&2 || kedge_die "test-compile failed"; }

source "$(dirname "$0")/../lib/topology-bench.sh"
kedge_bench_begin agent-memory

log "bringing up the topology"
"$KEDGE_ROOT/bin/topo" up "$BENCH/topology.yaml" >"$WORK/topo.txt"
RUN="$(sed -n 's/^up as run \([0-9a-f]*\).*/\1/p' "$WORK/topo.txt")"
[ -n "$RUN" ] || kedge_die "could not read the run id from: $(cat "$WORK/topo.txt")"
in_host() { local h="$1"; shift; ip netns exec "kt-$RUN-h-$h" "$@"; }
ns() { echo "kt-$RUN-h-$1"; }
address() { in_host "$1" ip -4 -o addr show dev eth0 scope global | awk '{print $4}' | cut -d/ -f1 | head -1; }
API="$(address api)"
WEB="$(address web)"

# The benchmarked Service's 10 endpoints: addresses of the web host, routed from the node.
WEB_NET=198.51.100
for i in $(seq 1 "$ENDPOINTS_PER_SERVICE"); do in_host web ip addr add "$WEB_NET.$i/32" dev eth0; done
in_host node ip route add "$WEB_NET.0/24" via "$WEB"
# ClusterIPs need a route on the node for the connect to reach iptables (DNAT in OUTPUT rewrites
# it to the agent); hosts on the topology's internet segment have no default route.
in_host node ip route add 198.18.0.0/16 via "$API"
ip netns exec "$(ns web)" java -Xmx128m -cp "$CP_AGENT_TEST" io.kedge.agent.proxy.bench.BenchHttpBackend --listen 0.0.0.0:8080 --threads 1 \
    >"$WORK/backend.log" 2>&1 &
PIDS+=($!)

log "cloudcore-lite on the api host"
ip netns exec "$(ns api)" java -cp "$KEDGE_ROOT/cloudcore-lite/target/cloudcore-lite.jar:$KEDGE_ROOT/cloudcore-lite/target/lib/*" \
    io.kedge.cloud.CloudcoreCommand serve --data-dir "$WORK/cloudcore" --listen 0.0.0.0:6443 --admin 127.0.0.1:10561 \
    >"$WORK/cloudcore.log" 2>&1 &
PIDS+=($!)
wait_for 60 "cloudcore-lite answering" in_host api curl -sf --max-time 5 http://127.0.0.1:6443/readyz
wait_for 30 "the backend answering" in_host node curl -sf --max-time 5 "http://$WEB_NET.1:8080/"

log "creating $SERVICES Services and $((SERVICES * ENDPOINTS_PER_SERVICE)) endpoints"
python3 - "$SERVICES" "$ENDPOINTS_PER_SERVICE" "$WEB_NET" >"$WORK/catalog.yaml" <<'PY'
import sys
services, per, web = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
nodes = ["node", "edge-2", "edge-3", "edge-4", "edge-5"]
out = []
for s in range(services):
    name = "svc-%d" % s
    out.append(f"""apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: default}}
spec:
  ports:
    - {{name: http, port: 80, targetPort: 8080, protocol: TCP}}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: {name}-a
  namespace: default
  labels: {{kubernetes.io/service-name: {name}}}
addressType: IPv4
ports:
  - {{name: http, port: 8080, protocol: TCP}}
endpoints:""")
    for e in range(per):
        # svc-0 is the one under load: its endpoints are the web host's addresses. The others
        # point into 198.19.0.0/16 (benchmark range), spread over five node names.
        ip = f"{web}.{e + 1}" if s == 0 else "198.19.%d.%d" % ((s * per + e) // 250, (s * per + e) % 250 + 1)
        node = "web" if s == 0 else nodes[(s + e) % len(nodes)]
        out.append(f"  - {{addresses: [{ip}], nodeName: {node}, conditions: {{ready: true}}}}")
    out.append("---")
print("\n".join(out[:-1]))
PY
in_host api kubectl --server http://127.0.0.1:6443 create -f "$WORK/catalog.yaml" >"$WORK/kubectl.log" 2>&1 \
    || { tail -5 "$WORK/kubectl.log" >&2; kedge_die "kubectl create failed"; }
CLUSTER_IP="$(in_host api kubectl --server http://127.0.0.1:6443 -n default get service svc-0 -o jsonpath='{.spec.clusterIP}')"
[ -n "$CLUSTER_IP" ] || kedge_die "svc-0 has no ClusterIP"
log "svc-0 is $CLUSTER_IP"

status_json() { in_host node curl -sf --max-time 5 http://127.0.0.1:10560/debug/status; }
synced() { # the agent's catalog holds every Service and endpoint
    status_json | python3 -c 'import json,sys; c=json.load(sys.stdin)["catalog"]; sys.exit(0 if c["services"] >= int(sys.argv[1]) and c["endpoints"] >= int(sys.argv[2]) else 1)' \
        "$SERVICES" "$((SERVICES * ENDPOINTS_PER_SERVICE))"
}
kib() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status"; }
mib() { awk -v v="$1" 'BEGIN {printf "%.1f", v / 1024}'; }

declare -A RES
CDS="${CDS:-auto}"
case "$CDS" in auto|off) ;; *) kedge_die "CDS='$CDS': must be auto or off" ;; esac
# The launcher's class data archives (bin/lib/cds.sh) for this run only, learnt per option set.
export KEDGE_CDS_DIR="${CDS_DIR:-$WORK/cds}" KEDGE_CDS="$CDS"

env_of() { # env_of LABEL: the environment settings that run the agent with that option set
    # One setting per line.
    if [ "$1" = launcher ]; then printf '%s\n' -u KEDGE_JAVA_OPTS; else echo "KEDGE_JAVA_OPTS=${JAVA_OPTS_OF[$1]}"; fi
    # Extra environment for the candidate sets (e.g. MALLOC_ARENA_MAX=4 to compare with the launcher's).
    case "$1" in
        candidate) echo "${CANDIDATE_ENV:-}" ;;
        candidate2) echo "${CANDIDATE2_ENV:-}" ;;
        diagnostic) echo "${DIAGNOSTIC_ENV:-}" ;;
    esac | tr ' ' '\n'
}

start_agent() { # start_agent NAME STATE ENV...: the agent in the node namespace, its log agent-NAME.log, state directory state-STATE
    local name="$1" state="$2"; shift 2
    ip netns exec "$(ns node)" env "$@" "$KEDGE_ROOT/bin/mesh-agent" --node-name node --master "http://$API:6443" \
        --state-dir "$WORK/state-$state" --admin 127.0.0.1:10560 ${AGENT_CONFIG:+--config "$AGENT_CONFIG"} \
        >"$WORK/agent-$name.log" 2>&1 &
}

learn_archive() { # learn_archive LABEL: one run of the agent, synced and serving svc-0 for 5 s, that learns its archive
    local label="$1" pid env_opts
    mapfile -t env_opts < <(env_of "$label" | grep .)
    log "[$label] learning the class data archive: one run, synced, 5 s of wrk"
    # (Its own state directory: a measured agent that found the catalog of an earlier run there would
    # load it before syncing, which takes about 5 MiB more.)
    start_agent "$label-learning" "$label-learning" "${env_opts[@]}" KEDGE_CDS_MIN_LEARN_SECONDS=0
    pid=$!
    PIDS+=("$pid")
    wait_for 60 "[$label] the learning agent's admin endpoint" grep -q "admin endpoint on" "$WORK/agent-$label-learning.log"
    wait_for 120 "[$label] the learning agent's catalog holding everything" synced
    wait_for 30 "[$label] svc-0 answering through the learning agent" in_host node curl -sf --max-time 5 "http://$CLUSTER_IP/"
    in_host node wrk -t2 -c64 -d5s "http://$CLUSTER_IP/" >/dev/null 2>&1 || true
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    grep -q "class data archive learnt" "$WORK/agent-$label-learning.log" \
        || kedge_die "[$label] no class data archive learnt: $(grep 'class data archive' "$WORK/agent-$label-learning.log" || tail -3 "$WORK/agent-$label-learning.log")"
    wait_for 30 "[$label] the admin port free again" bash -c "! ip netns exec $(ns node) curl -s --max-time 1 http://127.0.0.1:10560/ >/dev/null"
}

measure() { # measure LABEL [ROW]: one agent with JAVA_OPTS_OF[LABEL], idle then loaded; ROW (default LABEL)
    # names the results; a ROW other than LABEL restarts on the state LABEL's measured run left
    local label="$1" row="${2:-$1}" opts="${JAVA_OPTS_OF[$1]}" pid t0 peak=0 rss i
    log "[$row] mesh-agent with JVM options: ${opts:-(none)}"
    local env_opts
    mapfile -t env_opts < <(env_of "$label" | grep .)
    [ "$CDS" = auto ] && [ "$row" = "$label" ] && learn_archive "$label"
    # $! is the JVM itself: ip, env and the launcher (which has an archive now, or none to learn) exec into it.
    start_agent "$row" "$label" "${env_opts[@]}"
    pid=$!
    PIDS+=("$pid")
    t0=$SECONDS
    wait_for 60 "[$row] the agent's admin endpoint" grep -q "admin endpoint on" "$WORK/agent-$row.log"
    if [ "$(readlink "/proc/$pid/exe")" != "$(readlink -f "$(command -v java)")" ]; then
        # The launcher execs into the JVM only when it has an archive to map; learning one, it stays
        # the parent. Its key covers the jars and the options: a rebuild during the run changes it.
        pgrep -P "$pid" -f ArchiveClassesAtExit >/dev/null 2>&1 \
            && kedge_die "[$row] the launcher (process $pid) is learning a class data archive again instead of mapping the one learnt for [$label]: a jar or the JVM options changed during the run (was mesh-agent rebuilt?)"
        kedge_die "[$row] process $pid is not the JVM: $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-200)"
    fi
    wait_for 120 "[$row] the agent's catalog holding everything" synced
    RES[$row.sync]=$((SECONDS - t0))
    RES[$row.archive]=none
    grep -q "$KEDGE_CDS_DIR/.*\.jsa" "/proc/$pid/maps" && RES[$row.archive]=mapped
    wait_for 30 "[$row] svc-0 answering through the agent" in_host node curl -sf --max-time 5 "http://$CLUSTER_IP/"
    log "[$row] synced; idle for ${IDLE_SECONDS} s"
    sleep "$IDLE_SECONDS"
    RES[$row.idle_rss]="$(kib "$pid" VmRSS)"
    RES[$row.idle_hwm]="$(kib "$pid" VmHWM)"
    RES[$row.threads]="$(awk '$1 == "Threads:" {print $2}' "/proc/$pid/status")"
    log "[$row] wrk ${WRK_SECONDS} s, 64 connections, http://$CLUSTER_IP/"
    in_host node wrk -t2 -c64 -d"${WRK_SECONDS}s" --latency "http://$CLUSTER_IP/" >"$WORK/wrk-$row.txt" 2>&1 &
    local wrk_pid=$!
    for i in $(seq 1 $((WRK_SECONDS * 2 + 10))); do
        kill -0 "$wrk_pid" 2>/dev/null || break
        rss="$(kib "$pid" VmRSS)"
        [ "$rss" -gt "$peak" ] && peak="$rss"
        sleep 0.5
    done
    wait "$wrk_pid" || true
    RES[$row.load_rss_max]="$peak"
    RES[$row.rps]="$(awk '/Requests\/sec/ {printf "%.0f", $2}' "$WORK/wrk-$row.txt")"
    RES[$row.errors]="$(grep -E 'Non-2xx|Socket errors' "$WORK/wrk-$row.txt" | tr -s ' ' | paste -sd';' || true)"
    sleep 5
    RES[$row.after_rss]="$(kib "$pid" VmRSS)"
    RES[$row.after_hwm]="$(kib "$pid" VmHWM)"
    if [[ "$opts" == *NativeMemoryTracking* ]]; then
        cat "/proc/$pid/smaps_rollup" >"$WORK/smaps.txt" 2>&1 || true
        jcmd "$pid" VM.native_memory summary >"$WORK/nmt.txt" 2>&1 || true
        jcmd "$pid" GC.heap_info >"$WORK/heap-before.txt" 2>&1 || true
        # The histogram runs a full GC first: its total is the live heap.
        jcmd "$pid" GC.class_histogram >"$WORK/histo.txt" 2>&1 || true
        jcmd "$pid" GC.heap_info >"$WORK/heap-after.txt" 2>&1 || true
        jcmd "$pid" VM.metaspace >"$WORK/metaspace.txt" 2>&1 || true
        # HEAPDUMP=FILE: also a heap dump (live objects) for offline analysis.
        [ -n "${HEAPDUMP:-}" ] && { jcmd "$pid" GC.heap_dump "$HEAPDUMP" >/dev/null 2>&1 || true; }
    fi
    log "[$row] idle $(mib "${RES[$row.idle_rss]}") MiB, peak under load $(mib "$peak") MiB, after $(mib "${RES[$row.after_rss]}") MiB (HWM $(mib "${RES[$row.after_hwm]}") MiB), ${RES[$row.rps]} req/s"
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    wait_for 30 "[$row] the admin port free again" bash -c "! ip netns exec $(ns node) curl -s --max-time 1 http://127.0.0.1:10560/ >/dev/null"
}

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
ROWS=()
for label in $OPTION_SETS; do
    [ -n "${JAVA_OPTS_OF[$label]+set}" ] || kedge_die "unknown option set '$label' (known: ${!JAVA_OPTS_OF[*]})"
    measure "$label"
    ROWS+=("$label")
    # RESTART=1: the same options once more, restarted on the catalog the first run saved.
    if [ "${RESTART:-0}" = 1 ]; then
        measure "$label" "$label+restart"
        ROWS+=("$label+restart")
    fi
done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

out="${RESULTS:-$BENCH/results/$(date -u +%F).md}"
mkdir -p "$(dirname "$out")"
{
    echo "# mesh-agent memory, $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "Produced by \`bench/agent-memory/run.sh\`: a mesh-agent (bin/mesh-agent, as root, in the node namespace)"
    echo "synced from standalone cloudcore-lite with $SERVICES Services and $((SERVICES * ENDPOINTS_PER_SERVICE)) endpoints"
    echo "($ENDPOINTS_PER_SERVICE per Service, 5 node names). Idle: ${IDLE_SECONDS} s after the catalog synced. Load: wrk -t2 -c64"
    echo "-d${WRK_SECONDS}s from the node against svc-0's ClusterIP (HTTP proxy, 10 endpoints on a Netty backend on another host);"
    echo "RSS sampled twice a second during the load, and 5 s after it. Target: <= 128 MiB."
    if [ -n "${AGENT_CONFIG:-}" ]; then
        echo
        echo "Every agent ran with --config $AGENT_CONFIG:"
        echo
        echo '```yaml'
        cat "$AGENT_CONFIG"
        echo '```'
    fi
    echo
    echo "| JVM options | class data archive | sync (s) | threads | idle VmRSS (MiB) | peak VmRSS under load (MiB) | VmRSS after (MiB) | VmHWM (MiB) | req/s | errors |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---|"
    for row in "${ROWS[@]}"; do
        label="${row%+restart}"
        what="$label"; [ "$row" = "$label" ] || what="$label, restarted on its saved catalog"
        echo "| $what: \`${JAVA_OPTS_OF[$label]:-(none)}\` | ${RES[$row.archive]} | ${RES[$row.sync]} | ${RES[$row.threads]} | $(mib "${RES[$row.idle_rss]}") | $(mib "${RES[$row.load_rss_max]}") | $(mib "${RES[$row.after_rss]}") | $(mib "${RES[$row.after_hwm]}") | ${RES[$row.rps]} | ${RES[$row.errors]:-none} |"
    done
    echo
    echo "## Machine"
    echo
    echo "- CPU: $(lscpu | sed -n 's/^Model name:\s*//p' | head -1), $(nproc) cores (shared with other work; load average $load_before before, $load_after after)"
    echo "- Memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo); kernel $(uname -r)"
    echo "- JDK: $(java -version 2>&1 | head -1)"
    echo "- $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2); commit $(git -C "$KEDGE_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    if [ -f "$WORK/nmt.txt" ]; then
        echo
        echo "## Diagnostic run: native memory tracking (after the load)"
        echo
        echo '```'
        grep -E '^(Total|-)' "$WORK/nmt.txt" | sed 's/(reserved=[0-9]*KB, //; s/^- *//' || true
        echo '```'
        echo
        echo "Process memory (/proc/PID/smaps_rollup, after the load):"
        echo
        echo '```'
        grep -E '^(Rss|Pss|Anonymous|Shared_Clean|Private_Clean|Private_Dirty)' "$WORK/smaps.txt" || true
        echo '```'
        echo
        echo "Heap before and after a full GC (jcmd GC.heap_info):"
        echo
        echo '```'
        cat "$WORK/heap-before.txt" "$WORK/heap-after.txt" | grep -vE '^[0-9]+:$' || true
        echo '```'
        echo
        echo "Metaspace (jcmd VM.metaspace, totals):"
        echo
        echo '```'
        grep -E '^ *(Non-class|Class|Both|Total Usage|Virtual space):' "$WORK/metaspace.txt" | head -8 || true
        echo '```'
        echo
        echo "Heap histogram (live objects after a full GC), top ${HISTO_LINES:-15}:"
        echo
        echo '```'
        head -$(( ${HISTO_LINES:-15} + 3 )) "$WORK/histo.txt"
        tail -1 "$WORK/histo.txt"
        echo '```'
    fi
} >"$out"
cat "$out"
log "written to $out"
