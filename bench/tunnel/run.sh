#!/usr/bin/env bash
# Tunnel benchmark, side by side in one run, in a topology of its own (bench/tunnel/topology.yaml:
# node pa behind a port-restricted NAT, ra and rq routed without NAT, sb behind a symmetric NAT;
# relay, api and memsrv on the internet segment). Real mesh-agents (launcher JVM options) read
# standalone cloudcore-lite and tunnel through a mesh-server on the relay; pa <-> ra and pa <-> rq
# are punched directly, pa <-> sb is relayed; ra offers its direct TCP lane, rq's agent has it off.
# Measures:
#  1. throughput: iperf3 on pa to a ClusterIP whose endpoint is iperf3 -s on ra (pa's proxy ->
#     ra's direct TCP lane -> ra's agent -> iperf3), vs plain iperf3 from pa to ra over the same
#     namespaces; the same to rq (a QUIC stream over the punched pair) and to sb (relayed). Rounds
#     alternate the four.
#  2. tunnel setup: SETUP_RUNS times, with the tunnels closed (idleTimeout 5 s), one curl to a
#     ClusterIP on ra and one on sb: time_starttransfer of that cold call minus the median of three
#     warm calls right after it (same path, tunnel open). Also the agent's own "open in N ms" and a
#     breakdown from the agents' logs (ICE gathering, signaling, checks, QUIC handshake).
#  3. mesh-server memory with AGENTS registered agents (SignalingLoad from mesh-server's test
#     sources, one TLS signaling session each): RSS and live heap, idle and loaded.
# Writes bench/tunnel/results/<date>.md. Needs root; tears everything down, also on failure.
set -euo pipefail
source "$(dirname "$0")/../../bin/lib/common.sh"

QUICK=""
for arg in "$@"; do
    case "$arg" in
        --quick) QUICK=yes ;;
        -h|--help)
            sed -n '2,17s/^# \{0,1\}//p' "$0"
            cat <<USAGE

usage: bench/tunnel/run.sh [--quick]
  --quick   a short check of the script (1 round of 3 s, 4 setups, 200 agents; results to
            results/<date>-quick.md)
environment: ROUNDS (3), IPERF_SECONDS (10), SETUP_RUNS (20), AGENTS (1000), SETTLE_SECONDS (20:
             the longest wait for quiet agents before each throughput run),
             AGENT_OPTS (the JVM options of bin/mesh-agent), KEEP_WORK=1 keeps logs
USAGE
            exit 0 ;;
        *) kedge_die "unknown option '$arg' (try --help)" ;;
    esac
done
if [ -n "$QUICK" ]; then
    ROUNDS="${ROUNDS:-1}" IPERF_SECONDS="${IPERF_SECONDS:-3}" SETUP_RUNS="${SETUP_RUNS:-4}" AGENTS="${AGENTS:-200}"
fi
ROUNDS="${ROUNDS:-3}"
IPERF_SECONDS="${IPERF_SECONDS:-10}"
SETUP_RUNS="${SETUP_RUNS:-20}"
AGENTS="${AGENTS:-1000}"

kedge_require_root
kedge_require_tools
KEDGE_PACKAGES+=(iperf3 curl kubernetes-client)
KEDGE_PACKAGE_PROBE+=([iperf3]=iperf3 [curl]=curl [kubernetes-client]=kubectl)
kedge_ensure_packages
kedge_ensure_built test-topologies mesh-common
kedge_ensure_built cloudcore-lite mesh-common
kedge_ensure_built mesh-agent mesh-common iptables
kedge_ensure_built mesh-server mesh-common
LOAD_CLASS="$KEDGE_ROOT/mesh-server/target/test-classes/io/kedge/server/bench/SignalingLoad.class"
if [ ! -f "$LOAD_CLASS" ] || [ "$KEDGE_ROOT/mesh-server/src/test/java/io/kedge/server/bench/SignalingLoad.java" -nt "$LOAD_CLASS" ]; then
    (cd "$KEDGE_ROOT" && mvn -B -q -ntp -pl mesh-server -am test-compile) >&2 || kedge_die "test-compile of mesh-server failed"
fi

BENCH="$KEDGE_ROOT/bench/tunnel"
CP_CLOUD="$KEDGE_ROOT/cloudcore-lite/target/cloudcore-lite.jar:$KEDGE_ROOT/cloudcore-lite/target/lib/*"
CP_AGENT="$KEDGE_ROOT/mesh-agent/target/mesh-agent.jar:$KEDGE_ROOT/mesh-agent/target/lib/*"
CP_SERVER="$KEDGE_ROOT/mesh-server/target/mesh-server.jar:$KEDGE_ROOT/mesh-server/target/lib/*"
CP_LOAD="$KEDGE_ROOT/mesh-server/target/test-classes:$CP_SERVER"
# The agents run with the options bin/mesh-agent uses; ice4j's java.util.logging lines get
# millisecond timestamps (one token: the options are split on spaces) for the setup breakdown.
AGENT_OPTS_SOURCE="AGENT_OPTS from the environment"
[ -n "${AGENT_OPTS:-}" ] || AGENT_OPTS_SOURCE="bin/mesh-agent's defaults"
AGENT_OPTS="${AGENT_OPTS:-$(sed -n 's/^DEFAULT_JAVA_OPTS="\(.*\)"$/\1/p' "$KEDGE_ROOT/bin/mesh-agent")}"
JUL_FORMAT='-Djava.util.logging.SimpleFormatter.format=%1$tT.%1$tL|jul|%4$s|%5$s%6$s%n'
TOKEN="bench-tunnel-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
SECRET="bench-secret-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"

source "$(dirname "$0")/../lib/topology-bench.sh"
kedge_bench_begin tunnel-bench

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
kedge_bench_topology_up "$BENCH/topology.yaml"
RELAY="$(address relay)" API="$(address api)" MEMSRV="$(address memsrv)"
PA="$(address pa)" RA="$(address ra)" RQ="$(address rq)" SB="$(address sb)"
log "relay $RELAY, api $API, memsrv $MEMSRV, pa $PA, ra $RA, rq $RQ, sb $SB"

log "cloudcore-lite on api, mesh-server on relay"
ip netns exec "$(ns api)" java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp "$CP_CLOUD" io.kedge.cloud.CloudcoreCommand serve \
    --data-dir "$WORK/cloudcore" --listen 0.0.0.0:6443 --admin 127.0.0.1:10561 >"$WORK/cloudcore.log" 2>&1 &
PIDS+=($!)
cat >"$WORK/relay.yaml" <<YAML
listen: {address: $RELAY, port: 3478, tlsPort: 5349}
auth: {realm: bench, sharedSecrets: [$SECRET]}
signaling: {port: 7443, joinToken: $TOKEN, name: relay}
admin: {listen: 127.0.0.1:9478}
# Far above the default 10 per agent: every tunnel setup takes an allocation on each side, and
# the setup loop opens dozens within their lifetime (kedge_turn_allocations below shows how many
# are still held afterwards).
quotas: {allocationsPerUser: 1000}
YAML
ip netns exec "$(ns relay)" java -cp "$CP_SERVER" io.kedge.server.MeshServerCommand -c "$WORK/relay.yaml" >"$WORK/relay.log" 2>&1 &
PIDS+=($!)
RELAY_PID=$!
wait_for 90 "cloudcore-lite answering" in_host api curl -sf --max-time 5 http://127.0.0.1:6443/readyz

log "Services: web and iperf on ra (direct, TCP lane), rq (direct, QUIC) and sb (relayed)"
service() { # service NAME PORT NODE ADDRESS: a Service whose one endpoint is ADDRESS:PORT on NODE (plain TCP)
    cat <<YAML
apiVersion: v1
kind: Service
metadata: {name: $1, namespace: default}
spec:
  ports:
    - {name: tcp, port: $2, targetPort: $2, protocol: TCP}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: $1-ep
  namespace: default
  labels: {kubernetes.io/service-name: $1}
addressType: IPv4
ports:
  - {name: tcp, port: $2, protocol: TCP}
endpoints:
  - {addresses: [$4], nodeName: $3, conditions: {ready: true}}
---
YAML
}
{ service web-ra 8080 ra "$RA"; service web-sb 8080 sb "$SB"; service iperf-ra 5201 ra "$RA"; service iperf-sb 5201 sb "$SB"
  service web-rq 8080 rq "$RQ"; service iperf-rq 5201 rq "$RQ"; } \
    >"$WORK/services.yaml"
kubectl_api() { in_host api kubectl --server http://127.0.0.1:6443 "$@"; }
kubectl_api create -f "$WORK/services.yaml" >"$WORK/kubectl.log" 2>&1 || { cat "$WORK/kubectl.log" >&2; kedge_die "kubectl create failed"; }
cluster_ip() { kubectl_api -n default get service "$1" -o jsonpath='{.spec.clusterIP}'; }
WEB_RA="$(cluster_ip web-ra)" WEB_SB="$(cluster_ip web-sb)" IPERF_RA="$(cluster_ip iperf-ra)" IPERF_SB="$(cluster_ip iperf-sb)"
WEB_RQ="$(cluster_ip web-rq)" IPERF_RQ="$(cluster_ip iperf-rq)"
log "ClusterIPs: web-ra $WEB_RA, web-sb $WEB_SB, iperf-ra $IPERF_RA, iperf-sb $IPERF_SB, web-rq $WEB_RQ, iperf-rq $IPERF_RQ"

for node in ra rq sb; do
    ip="$(address "$node")"
    mkdir -p "$WORK/www-$node" && echo "hello from $node" >"$WORK/www-$node/index.html"
    ip netns exec "$(ns "$node")" /usr/bin/python3 -m http.server 8080 --bind "$ip" --directory "$WORK/www-$node" >"$WORK/web-$node.log" 2>&1 &
    PIDS+=($!)
    ip netns exec "$(ns "$node")" iperf3 -s -B "$ip" -p 5201 >"$WORK/iperf3-s-$node.log" 2>&1 &
    PIDS+=($!)
done
wait_for 60 "mesh-server on the relay ready" grep -q "mesh-server ready" "$WORK/relay.log"

log "mesh-agents on pa, ra, rq, sb (JVM options: $AGENT_OPTS)"
for node in pa ra rq sb; do
    lane=true; [ "$node" = rq ] && lane=false
    cat >"$WORK/agent-$node.yaml" <<YAML
modules:
  edgeProxy: {connectTimeoutMillis: 20000}
  edgeTunnel: {meshServers: ["$RELAY:7443"], joinToken: $TOKEN, idleTimeout: 5, setupTimeout: 20, enableDirectTcp: $lane}
YAML
    # shellcheck disable=SC2086 # the options are a space-separated list
    ip netns exec "$(ns "$node")" java $AGENT_OPTS "$JUL_FORMAT" -cp "$CP_AGENT" io.kedge.agent.AgentCommand --node-name "$node" \
        -c "$WORK/agent-$node.yaml" --master "http://$API:6443" --state-dir "$WORK/state-$node" --admin 127.0.0.1:10560 \
        >"$WORK/agent-$node.log" 2>&1 &
    PIDS+=($!)
    eval "AGENT_PID_$node=$!"
done
for node in pa ra rq sb; do
    wait_for 120 "mesh-agent on $node ready" grep -q "mesh-agent ready" "$WORK/agent-$node.log"
    wait_for 60 "mesh-agent on $node registered" grep -q "registered with mesh-server" "$WORK/agent-$node.log"
done
wait_for 60 "web-ra's ClusterIP answering from pa" in_host pa curl -sf --max-time 20 "http://$WEB_RA:8080/"
wait_for 60 "web-sb's ClusterIP answering from pa" in_host pa curl -sf --max-time 20 "http://$WEB_SB:8080/"
wait_for 60 "web-rq's ClusterIP answering from pa" in_host pa curl -sf --max-time 20 "http://$WEB_RQ:8080/"

peers() { in_host "$1" curl -sf --max-time 5 http://127.0.0.1:10560/debug/peers; }
path_to() { # path_to FROM TO: the path of FROM's tunnel to TO, or "none"
    peers "$1" | /usr/bin/python3 -c 'import json,sys; p=[r for r in json.load(sys.stdin)["peers"] if r["node"]==sys.argv[1] and r["state"]=="open"]; print(p[0]["path"] if p else "none")' "$2"
}
lane_to() { # lane_to FROM TO: FROM's direct TCP lane to TO, or "none"
    peers "$1" | /usr/bin/python3 -c 'import json,sys; p=[r for r in json.load(sys.stdin)["peers"] if r["node"]==sys.argv[1] and r["state"]=="open"]; print(p[0].get("directTcp") or "none" if p else "none")' "$2"
}
lane_open() { [ "$(lane_to pa ra)" != none ]; }
wait_for 20 "pa's direct TCP lane to ra" lane_open
PATH_RA="$(path_to pa ra)" PATH_SB="$(path_to pa sb)" PATH_RQ="$(path_to pa rq)" LANE_RA="$(lane_to pa ra)" LANE_RQ="$(lane_to pa rq)"
log "paths from pa: ra $PATH_RA (TCP lane $LANE_RA), rq $PATH_RQ (TCP lane $LANE_RQ), sb $PATH_SB"

# ---- 1. throughput ------------------------------------------------------------------------
iperf() { # iperf LABEL TARGET: one iperf3 run from pa, prints Mbit/s received (or "failed")
    local label="$1" target="$2" out="$WORK/iperf-$1-$3.json"
    if in_host pa timeout $((IPERF_SECONDS + 30)) iperf3 -c "$target" -p 5201 -t "$IPERF_SECONDS" -J >"$out" 2>&1; then
        # iperf3 3.12 may exit 0 after an error, with no totals in its report.
        /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); s=d.get("end", {}).get("sum_received"); print("%.0f" % (s["bits_per_second"] / 1e6) if s and not d.get("error") else "failed")' "$out"
    else
        echo failed
    fi
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
busy_ticks() { # CPU ticks the four agents and mesh-server used in the last half second
    local pids=("$AGENT_PID_pa" "$AGENT_PID_ra" "$AGENT_PID_rq" "$AGENT_PID_sb" "$RELAY_PID") t0=0 t1=0 p
    for p in "${pids[@]}"; do t0=$((t0 + $(cpu_ticks "$p"))); done
    sleep 0.5
    for p in "${pids[@]}"; do t1=$((t1 + $(cpu_ticks "$p"))); done
    echo $((t1 - t0))
}
# Every run starts from quiet agents, so nothing left from the run before (a relayed tunnel draining
# what its QUIC stream buffered, a tunnel being set up) shares the two cores with it. Waits until the
# agents and mesh-server together use under 10 % of a core, at most SETTLE_SECONDS.
SETTLE_SECONDS="${SETTLE_SECONDS:-20}"
settle() {
    local start=$SECONDS
    while [ $((SECONDS - start)) -lt "$SETTLE_SECONDS" ] && [ "$(busy_ticks)" -ge 5 ]; do :; done
    echo $((SECONDS - start))
}
declare -A TPUT
for round in $(seq 1 "$ROUNDS"); do
    for kind in plain direct quic relayed; do
        case "$kind" in
            plain) target="$RA" ;;
            direct) target="$IPERF_RA"; in_host pa curl -sf --max-time 20 -o /dev/null "http://$WEB_RA:8080/" || true ;;
            quic) target="$IPERF_RQ"; in_host pa curl -sf --max-time 20 -o /dev/null "http://$WEB_RQ:8080/" || true ;;
            relayed) target="$IPERF_SB"; in_host pa curl -sf --max-time 20 -o /dev/null "http://$WEB_SB:8080/" || true ;;
        esac
        settled="$(settle)"
        t0="$(cpu_ticks "$AGENT_PID_pa")"
        TPUT[$kind.$round]="$(iperf "$kind" "$target" "$round")"
        TPUT[$kind.$round.cpu]="$(( $(cpu_ticks "$AGENT_PID_pa") - t0 ))"
        log "round $round $kind: ${TPUT[$kind.$round]} Mbit/s (pa's agent used ${TPUT[$kind.$round.cpu]} CPU ticks; quiet after ${settled} s)"
    done
done
PATH_RA_AFTER="$(path_to pa ra)" PATH_SB_AFTER="$(path_to pa sb)" PATH_RQ_AFTER="$(path_to pa rq)" LANE_RA_AFTER="$(lane_to pa ra)"

# ---- 2. setup time ------------------------------------------------------------------------
no_tunnels() { # neither pa nor its peers hold a tunnel to each other
    [ "$(path_to pa ra)" = none ] && [ "$(path_to pa sb)" = none ] && [ "$(path_to ra pa)" = none ] && [ "$(path_to sb pa)" = none ] \
        && [ "$(path_to pa rq)" = none ] && [ "$(path_to rq pa)" = none ]
}
starttransfer() { local v; v="$(in_host pa curl -s -o /dev/null --max-time 30 -w '%{time_starttransfer}' "http://$1:8080/")" && echo "$v" || echo failed; }
# The cold call: the time just before curl starts (inside pa, so no namespace entry in between) on
# stderr, time_starttransfer on stdout.
cold_call() {
    local v
    v="$(in_host pa bash -c 'date +%T.%3N >&2; exec curl -s -o /dev/null --max-time 30 -w "%{time_starttransfer}" "http://$0:8080/"' "$1")" \
        && echo "$v" || echo failed
}
: >"$WORK/setup.tsv"
for i in $(seq 1 "$SETUP_RUNS"); do
    wait_for 40 "the tunnels idling out before setup $i" no_tunnels
    for peer in ra sb; do
        ip="$WEB_RA"; [ "$peer" = sb ] && ip="$WEB_SB"
        cold="$(cold_call "$ip" 2>"$WORK/mark")"
        mark="$(head -1 "$WORK/mark")"
        warm="$(for _ in 1 2 3; do starttransfer "$ip"; done | { grep -E '^[0-9.]+$' || true; } | sort -n | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print "failed"}')"
        printf '%s\t%s\t%s\t%s\t%s\n' "$i" "$peer" "$mark" "$cold" "$warm" >>"$WORK/setup.tsv"
        log "setup $i to $peer: cold $cold s, warm $warm s"
    done
done

# What the relay saw during all of it: allocations held now, quota rejections, peer denials.
in_host relay curl -sf --max-time 5 http://127.0.0.1:9478/metrics \
    | grep -E '^kedge_turn_(allocations|quota_rejections_total|peer_denials_total|auth_failures_total)' >"$WORK/relay-metrics.txt" || true

# ---- 3. mesh-server memory ----------------------------------------------------------------
kib() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status"; }
live_heap_kib() { jcmd "$1" GC.class_histogram 2>/dev/null | awk '$1 == "Total" {printf "%d", $3 / 1024}'; }
declare -A MEM
MEM_SETS=("launcher defaults|" "-Xmx128m -XX:+UseSerialGC|-Xmx128m -XX:+UseSerialGC")
cat >"$WORK/memsrv.yaml" <<YAML
listen: {address: $MEMSRV, port: 3478, tlsPort: 5349}
auth: {realm: bench, sharedSecrets: [$SECRET]}
signaling: {port: 7443, joinToken: $TOKEN, maxAgents: 100000}
admin: {listen: 127.0.0.1:9479}
YAML
for set in "${MEM_SETS[@]}"; do
    label="${set%%|*}" opts="${set#*|}"
    log "[memory, $label] mesh-server on memsrv"
    # shellcheck disable=SC2086
    ip netns exec "$(ns memsrv)" java $opts -cp "$CP_SERVER" io.kedge.server.MeshServerCommand -c "$WORK/memsrv.yaml" \
        >"$WORK/memsrv-$label.log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    wait_for 60 "[$label] mesh-server ready" grep -q "mesh-server ready" "$WORK/memsrv-$label.log"
    sleep 5
    MEM[$label.idle_rss]="$(kib "$pid" VmRSS)"
    MEM[$label.idle_heap]="$(live_heap_kib "$pid")"
    MEM[$label.idle_rss_gc]="$(kib "$pid" VmRSS)"
    ip netns exec "$(ns api)" java -Xmx256m -cp "$CP_LOAD" io.kedge.server.bench.SignalingLoad "$MEMSRV:7443" "$TOKEN" "$AGENTS" 600 20 \
        >"$WORK/load-$label.log" 2>&1 &
    load=$!
    PIDS+=("$load")
    for _ in $(seq 1 600); do # until all are registered or the load client gave up (at most 300 s)
        grep -q "ALL REGISTERED" "$WORK/load-$label.log" && break
        kill -0 "$load" 2>/dev/null || break
        sleep 0.5
    done
    if ! grep -q "ALL REGISTERED" "$WORK/load-$label.log"; then
        log "[memory, $label] the load client did not register all agents: $(grep -m1 -E 'Exception|error' "$WORK/load-$label.log" || true)"
        MEM[$label.failed]="load client failed: $(grep -c '^REGISTERED' "$WORK/load-$label.log" || true)00 registered at most"
    fi
    MEM[$label.register]="$(sed -n 's/^ALL REGISTERED [0-9]* in \([0-9]*\) ms/\1/p' "$WORK/load-$label.log")"
    sleep 10
    MEM[$label.agents]="$(in_host memsrv curl -sf --max-time 5 http://127.0.0.1:9479/metrics | awk '/^kedge_signaling_agents[ {]/ {print $NF}' | head -1)"
    MEM[$label.load_rss]="$(kib "$pid" VmRSS)"
    MEM[$label.load_heap]="$(live_heap_kib "$pid")"
    MEM[$label.load_rss_gc]="$(kib "$pid" VmRSS)"
    MEM[$label.threads]="$(awk '$1 == "Threads:" {print $2}' "/proc/$pid/status")"
    log "[memory, $label] idle RSS ${MEM[$label.idle_rss]} KiB, live heap ${MEM[$label.idle_heap]} KiB; with $AGENTS agents (server says ${MEM[$label.agents]:-?}) RSS ${MEM[$label.load_rss]} KiB, live heap ${MEM[$label.load_heap]} KiB"
    kill "$load" "$pid" 2>/dev/null || true
    wait "$load" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
done

# ---- report -------------------------------------------------------------------------------
median() { tr ' ' '\n' | grep -E '^[0-9.]+$' | sort -n | awk '{a[NR]=$1} END {if (NR == 0) print "-"; else if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2] + a[NR/2+1]) / 2}'; }
mib() { awk -v v="$1" 'BEGIN {if (v == "") print "-"; else printf "%.1f", v / 1024}'; }
collect() { local k r out=""; for r in $(seq 1 "$ROUNDS"); do out+="${TPUT[$1.$r]} "; done; echo "$out"; }
PLAIN="$(collect plain | median)" DIRECT="$(collect direct | median)" QUIC="$(collect quic | median)" RELAYED="$(collect relayed | median)"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a + 0 == 0 || b + 0 == 0) print "-"; else printf "%.0f %%", 100 * a / b}'; }

# Setup figures and the breakdown from the agents' logs (same clock, millisecond timestamps).
/usr/bin/python3 - "$WORK" >"$WORK/setup.md" <<'PY'
import re, sys, statistics, os
work = sys.argv[1]
def seconds(t):
    h, m, s = t.split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)
stamp = re.compile(r"^(\d\d:\d\d:\d\d\.\d{3})")
def events(node):
    out = []
    for line in open(os.path.join(work, f"agent-{node}.log"), errors="replace"):
        m = stamp.match(line)
        if m:
            out.append((seconds(m.group(1)), line.rstrip()))
    return out
logs = {n: events(n) for n in ("pa", "ra", "sb")}
def first(node, after, pattern):
    for t, line in logs[node]:
        if t >= after and re.search(pattern, line):
            return t, line
    return None, None
def pct(values, p):
    v = sorted(values)
    if not v:
        return float("nan")
    k = (len(v) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)
rows = [l.split("\t") for l in open(os.path.join(work, "setup.tsv")).read().splitlines() if l]
stages = ["curl start to the offerer's ICE gathering (proxy accept, ice4j Agent)",
          "offerer gathers (host, STUN, TURN allocation) + offer via mesh-server",
          "answerer gathers (same) + answer", "answer via mesh-server to the offerer", "ICE checks and nomination (offerer)",
          "QUIC handshake: offerer's ICE done to its QUIC open", "open to first byte (stream, backend, response)"]
side = ["answerer's ICE done, relative to the offerer's", "answerer's QUIC open, relative to the offerer's"]
out = []
for peer, label in (("ra", "direct (pa -> ra)"), ("sb", "relayed (pa -> sb)")):
    setup, agent, cold, warm, failed, paths = [], [], [], [], 0, {}
    parts = {s: [] for s in stages + side}
    for i, p, mark, c, w in rows:
        if p != peer:
            continue
        if not re.fullmatch(r"[0-9.]+", c) or not re.fullmatch(r"[0-9.]+", w):
            failed += 1
            continue
        c, w = float(c), float(w)
        cold.append(c); warm.append(w); setup.append(c - w)
        t0 = seconds(mark)
        a, _ = first("pa", t0, r"\|Gathering candidates for component")
        b, _ = first(peer, a or t0, r"\|Gathering candidates for component")
        cc, _ = first(peer, b or t0, r"\|Add remote candidate")
        d, _ = first("pa", cc or t0, r"\|Add remote candidate")
        f, _ = first("pa", d or t0, r"\|Selected pair for stream")
        g, gl = first("pa", f or t0, r"tunnel to " + peer + r" open: ")
        if gl:
            m = re.search(r"open: (\S+).* in (\d+) ms", gl)
            agent.append(int(m.group(2)) / 1000)
            paths[m.group(1)] = paths.get(m.group(1), 0) + 1
        if None not in (a, b, cc, d, f, g):
            for s, v in zip(stages, (a - t0, b - a, cc - b, d - cc, f - d, g - f, t0 + c - g)):
                parts[s].append(v)
            rf, _ = first(peer, cc, r"\|Selected pair for stream")
            rg, _ = first(peer, cc, r"tunnel to pa open: ")
            if rf is not None and rg is not None:
                parts[side[0]].append(rf - f)
                parts[side[1]].append(rg - g)
    ms = lambda v: "%.0f" % (v * 1000) if v == v else "-"
    ice_failures = sum(1 for _, line in logs["pa"] if f"tunnel to {peer} failed at" in line)
    out.append(f"### {label}: {len(setup)} setups, {failed} cold calls failed (curl, 30 s), paths {paths or '-'}; "
               f"pa's agent logged {ice_failures} failed tunnel setups to {peer} (the next stream sets up anew)\n")
    out.append("| figure | p50 (ms) | p99 (ms) | min (ms) | max (ms) |")
    out.append("|---|---:|---:|---:|---:|")
    for name, vals in (("setup = cold time_starttransfer - warm median", setup),
                       ("cold time_starttransfer", cold), ("warm time_starttransfer (median of 3)", warm),
                       ("agent's own: offer to QUIC open (log)", agent)):
        out.append(f"| {name} | {ms(pct(vals, 50))} | {ms(pct(vals, 99))} | {ms(min(vals) if vals else float('nan'))} | {ms(max(vals) if vals else float('nan'))} |")
    out.append("")
    n = min((len(v) for v in parts.values()), default=0)
    out.append(f"Where the cold call's time goes (medians over the {n} setups whose log markers were all found):\n")
    out.append("| stage (log markers) | median (ms) | max (ms) |")
    out.append("|---|---:|---:|")
    for s in stages + side:
        v = parts[s]
        out.append(f"| {s} | {ms(statistics.median(v)) if v else '-'} | {ms(max(v)) if v else '-'} |")
    out.append("")
out.append("Raw (setup, peer, curl start, cold s, warm s):\n")
out.append("```")
out += ["  ".join(r) for r in rows]
out.append("```\n")
print("\n".join(out))
PY

out="$BENCH/results/$(date -u +%F)${QUICK:+-quick}.md"
mkdir -p "$(dirname "$out")"
{
    echo "# Tunnel benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')${QUICK:+ (--quick)}"
    echo
    echo "Produced by \`bench/tunnel/run.sh${QUICK:+ --quick}\` (ROUNDS=$ROUNDS, IPERF_SECONDS=$IPERF_SECONDS, SETUP_RUNS=$SETUP_RUNS,"
    echo "AGENTS=$AGENTS) in bench/tunnel/topology.yaml: pa behind a port-restricted NAT, ra and rq routed without NAT"
    echo "(rq's agent with its direct TCP lane off), sb behind a symmetric NAT, mesh-server on the relay. Agents: mesh-agent with \`$AGENT_OPTS\`"
    echo "($AGENT_OPTS_SOURCE), reading standalone cloudcore-lite, tunnel authenticated with a join token."
    echo "Paths from pa before the runs: ra $PATH_RA (direct TCP lane: $LANE_RA), rq $PATH_RQ (lane: $LANE_RQ), sb $PATH_SB;"
    echo "after the throughput runs: ra $PATH_RA_AFTER (lane: $LANE_RA_AFTER), rq $PATH_RQ_AFTER, sb $PATH_SB_AFTER."
    echo
    echo "## Machine"
    echo
    echo "- CPU: $(lscpu | sed -n 's/^Model name:\s*//p' | head -1), $(nproc) cores, shared with other engineers' builds and tests while this ran"
    echo "- Memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo); kernel $(uname -r)"
    echo "- JDK: $(java -version 2>&1 | head -1); $(iperf3 --version | head -1)"
    echo "- load average (1, 5, 15 min): $LOAD_BEFORE before the run, $(cut -d' ' -f1-3 /proc/loadavg) after"
    echo "- commit $(git -C "$KEDGE_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo
    echo "## 1. Throughput (iperf3 from pa, $IPERF_SECONDS s per run, $ROUNDS alternating rounds, medians)"
    echo
    echo "plain: iperf3 -c ra directly (pa's NAT, the internet segment, ra's router). direct: iperf3 -c the ClusterIP"
    echo "of iperf-ra, so pa's iptables DNAT -> pa's agent (L4 proxy) -> ra's direct TCP lane (TLS 1.3) -> ra's agent ->"
    echo "iperf3 on ra. QUIC: the same to iperf-rq, whose agent offers no lane: a QUIC stream over the punched ICE pair."
    echo "relayed: the same to iperf-sb, through mesh-server's TURN relay (QUIC). CPU: user+system"
    echo "ticks (1/100 s) of pa's agent during the run."
    echo
    echo "| path | Mbit/s (median) | vs plain | runs (Mbit/s) | pa agent CPU ticks per run |"
    echo "|---|---:|---:|---|---|"
    echo "| plain TCP pa -> ra | $PLAIN | 100 % | $(collect plain) | $(for r in $(seq 1 "$ROUNDS"); do printf '%s ' "${TPUT[plain.$r.cpu]}"; done) |"
    echo "| tunnel, direct: TCP lane (pa -> ra) | $DIRECT | $(ratio "$DIRECT" "$PLAIN") | $(collect direct) | $(for r in $(seq 1 "$ROUNDS"); do printf '%s ' "${TPUT[direct.$r.cpu]}"; done) |"
    echo "| tunnel, direct: QUIC over the punched pair (pa -> rq) | $QUIC | $(ratio "$QUIC" "$PLAIN") | $(collect quic) | $(for r in $(seq 1 "$ROUNDS"); do printf '%s ' "${TPUT[quic.$r.cpu]}"; done) |"
    echo "| tunnel, relayed (for information) | $RELAYED | $(ratio "$RELAYED" "$PLAIN") | $(collect relayed) | $(for r in $(seq 1 "$ROUNDS"); do printf '%s ' "${TPUT[relayed.$r.cpu]}"; done) |"
    echo
    echo "Target: direct >= 50 % of plain. Relayed UDP throughput of mesh-server against coturn on one path is in"
    echo "bench/relay/results (mesh-server 1.25-1.38x coturn in 2026-11-24-relay-rcvbuf.md); the agent path adds QUIC and the loopback bridge."
    echo
    echo "## 2. Tunnel setup ($SETUP_RUNS cold calls per path)"
    echo
    echo "Each setup starts with no tunnel between pa and the peer (idleTimeout 5 s; the script waits until both"
    echo "agents' peer tables are empty). One curl from pa to the peer's web ClusterIP (python http.server on the"
    echo "peer) opens it; then three warm calls on the open tunnel. setup = the cold call's time_starttransfer"
    echo "minus the warm median: from the client's first packet (the proxy accepts locally at once) to its first"
    echo "response byte, less what a call costs on an open tunnel. It includes the offer/answer through mesh-server,"
    echo "ICE gathering on both sides (a TURN allocation on mesh-server each), the checks, the QUIC handshake and"
    echo "the first stream. p99 of $SETUP_RUNS values is close to the maximum. Target: p50 <= 200 ms."
    echo
    cat "$WORK/setup.md"
    echo "The relay's counters after the setups (allocations still held, quota rejections, peer denials;"
    echo "allocationsPerUser is 1000 here, the default is 10):"
    echo
    echo '```'
    cat "$WORK/relay-metrics.txt"
    echo '```'
    echo
    echo "## 3. mesh-server memory with $AGENTS registered agents"
    echo
    echo "SignalingLoad (mesh-server test sources) on the api host holds $AGENTS signaling sessions (TLS, registered"
    echo "with the join token, a keepalive every 20 s, relay credentials issued to each). Live heap: the total of"
    echo "jcmd GC.class_histogram (a full GC first). RSS read before and after that GC."
    echo
    echo "| JVM options | RSS idle (MiB) | live heap idle (MiB) | RSS with agents (MiB) | after GC (MiB) | live heap with agents (MiB) | heap per agent (KiB) | RSS per agent (KiB) | agents the server counts | registering all, 4 at a time (ms) | threads |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for set in "${MEM_SETS[@]}"; do
        l="${set%%|*}"
        per_heap="$(awk -v a="${MEM[$l.load_heap]}" -v b="${MEM[$l.idle_heap]}" -v n="$AGENTS" 'BEGIN {printf "%.1f", (a - b) / n}')"
        per_rss="$(awk -v a="${MEM[$l.load_rss]}" -v b="${MEM[$l.idle_rss]}" -v n="$AGENTS" 'BEGIN {printf "%.1f", (a - b) / n}')"
        [ -n "${MEM[$l.failed]:-}" ] && echo "| $l | ${MEM[$l.failed]} |||||||||"
        echo "| $l | $(mib "${MEM[$l.idle_rss]}") | $(mib "${MEM[$l.idle_heap]}") | $(mib "${MEM[$l.load_rss]}") | $(mib "${MEM[$l.load_rss_gc]}") | $(mib "${MEM[$l.load_heap]}") | $per_heap | $per_rss | ${MEM[$l.agents]:--} | ${MEM[$l.register]:--} | ${MEM[$l.threads]} |"
    done
    echo
    echo "coturn has no signaling to compare with; its memory per TURN allocation (and mesh-server's) is in"
    echo "bench/relay/results."
} >"$out"
cat "$out"
log "written to $out"
