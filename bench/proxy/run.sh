#!/usr/bin/env bash
# Benchmarks the mesh-agent ClusterIP proxy against HAProxy on loopback, in one run, side by side:
#   TCP: iperf3 throughput direct, through our proxy, through HAProxy (mode tcp);
#   HTTP: wrk (64 connections) RPS and p99 latency through our proxy and through HAProxy (mode http),
#         both in front of the same small Netty HTTP backend (and the backend alone, for reference);
#         our proxy once more in a JVM with bin/mesh-agent's options (the agent as shipped), and that
#         one and HAProxy each with an event loop pinned per CPU (cpuAffinity: spread; cpu-map).
# Writes bench/proxy/results/<date>.md with machine info and ratios. Needs root only to install
# iperf3, haproxy and wrk when they are missing. Everything binds 127.0.0.1 and is stopped on exit.
set -euo pipefail

case "${1:-}" in
    -h|--help)
        sed -n '2,7s/^# \{0,1\}//p' "$0"
        echo
        echo "usage: bench/proxy/run.sh [--quick]      (--quick: short runs, for trying the script)"
        echo "environment: IO_THREADS (proxy and HAProxy threads, default 2), TRANSPORT (NIO|EPOLL|AUTO, default AUTO: epoll where it loads, as the agent),"
        echo "             PROXY_JAVA_OPTS (the proxy's JVM options; default those of the backend; a second proxy"
        echo "             always runs with bin/mesh-agent's options, SHIPPED=0 leaves it out; PINNED=0 leaves out the"
        echo "             pinned pair: that proxy with --cpu-affinity SPREAD against HAProxy with cpu-map),"
        echo "             BENCH_ROUNDS (iperf3 rounds), BENCH_HTTP_ROUNDS (wrk rounds), BENCH_WRK_SECONDS, BENCH_WARMUP_SECONDS,"
        echo "             BENCH_TAG (results/<date>-TAG.md), KEEP_WORK=1"
        exit 0 ;;
esac

MODE="${1:-}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OUT_DIR="$ROOT/bench/proxy/results"
WORK="$(mktemp -d /tmp/kedge-proxy-bench.XXXXXX)"
IO_THREADS="${IO_THREADS:-2}"
TRANSPORT="${TRANSPORT:-AUTO}"
TCP_SECONDS=10
WRK_SECONDS=10
WARMUP_SECONDS=30
ROUNDS=3
# HTTP rounds are short and many: on a shared machine a burst of other work spans a round or two,
# and the median of the per-round ratios (each round's pair measured back to back) sets it aside.
HTTP_ROUNDS=10
if [ "$MODE" = "--quick" ]; then
    TCP_SECONDS=3; WRK_SECONDS=5; WARMUP_SECONDS=3; ROUNDS=1; HTTP_ROUNDS=2
fi
ROUNDS="${BENCH_ROUNDS:-$ROUNDS}"
HTTP_ROUNDS="${BENCH_HTTP_ROUNDS:-$HTTP_ROUNDS}"
WRK_SECONDS="${BENCH_WRK_SECONDS:-$WRK_SECONDS}"
WARMUP_SECONDS="${BENCH_WARMUP_SECONDS:-$WARMUP_SECONDS}"

PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    if [ -n "${KEEP_WORK:-}" ]; then echo "work files kept in $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT INT TERM

need() { # need PROGRAM PACKAGE
    command -v "$1" >/dev/null 2>&1 && return 0
    echo "installing $2 ..." >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" >&2
}
need iperf3 iperf3
need haproxy haproxy
need wrk wrk
need python3 python3

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_port() { # wait_port PORT: until something accepts on 127.0.0.1:PORT (at most 30 s)
    local i
    for i in $(seq 1 300); do
        if python3 -c "import socket,sys; s=socket.socket(); s.settimeout(0.2); sys.exit(s.connect_ex(('127.0.0.1', $1)))" 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    echo "error: nothing listens on 127.0.0.1:$1" >&2
    exit 1
}

echo "building ..." >&2
(cd "$ROOT" && mvn -B -q -ntp -pl mesh-agent -am test-compile dependency:build-classpath \
    -Dmdep.includeScope=test -Dmdep.outputFile="$WORK/cp.txt") >&2
CP="$ROOT/mesh-agent/target/test-classes:$ROOT/mesh-agent/target/classes:$(cat "$WORK/cp.txt")"
JAVA_OPTS=(-Xms256m -Xmx512m -XX:+UseParallelGC -Dio.netty.leakDetection.level=disabled)

IPERF_PORT="$(free_port)"
BACKEND_PORT="$(free_port)"
HAPROXY_TCP_PORT="$(free_port)"
HAPROXY_HTTP_PORT="$(free_port)"

iperf3 -s -B 127.0.0.1 -p "$IPERF_PORT" >"$WORK/iperf3-server.log" 2>&1 &
PIDS+=($!)
java "${JAVA_OPTS[@]}" -cp "$CP" io.kedge.agent.proxy.bench.BenchHttpBackend --listen "127.0.0.1:$BACKEND_PORT" --threads 1 \
    >"$WORK/backend.log" 2>&1 &
PIDS+=($!)
wait_port "$IPERF_PORT"
wait_port "$BACKEND_PORT"

# Our proxy: it prints "tcp HOST:PORT" and "http HOST:PORT"; it runs until its stdin closes.
# start_proxy NAME CPU_AFFINITY JVM_OPTIONS...: starts one; sets PROXY_PID, PROXY_TCP_PORT, PROXY_HTTP_PORT
# (a file descriptor of this shell holds its stdin open until the script ends).
start_proxy() {
    local name="$1" affinity="$2" fd; shift 2
    mkfifo "$WORK/$name.in"
    java "$@" -cp "$CP" io.kedge.agent.proxy.bench.ProxyBenchMain --io-threads "$IO_THREADS" --transport "$TRANSPORT" \
        --cpu-affinity "$affinity" --tcp-target "127.0.0.1:$IPERF_PORT" --http-target "127.0.0.1:$BACKEND_PORT" \
        <"$WORK/$name.in" >"$WORK/$name.out" 2>"$WORK/$name.log" &
    PIDS+=($!)
    PROXY_PID=$!
    exec {fd}>"$WORK/$name.in"
    local i
    for i in $(seq 1 300); do
        grep -q '^http ' "$WORK/$name.out" 2>/dev/null && grep -q '^tcp ' "$WORK/$name.out" && break
        sleep 0.1
    done
    PROXY_TCP_PORT="$(awk '$1=="tcp"{split($2,a,":"); print a[2]}' "$WORK/$name.out")"
    PROXY_HTTP_PORT="$(awk '$1=="http"{split($2,a,":"); print a[2]}' "$WORK/$name.out")"
    [ -n "$PROXY_TCP_PORT" ] && [ -n "$PROXY_HTTP_PORT" ] || { cat "$WORK/$name.log" >&2; echo "error: $name did not start" >&2; exit 1; }
}
# PROXY_JAVA_OPTS: the proxy's own JVM options, to compare settings (GC, JIT) in one script.
read -r -a PROXY_OPTS <<<"${PROXY_JAVA_OPTS:-${JAVA_OPTS[*]}}"
# The agent as shipped: bin/mesh-agent's JVM options (chosen for the 128 MiB RSS target).
read -r -a SHIPPED_OPTS <<<"$(sed -n 's/^DEFAULT_JAVA_OPTS="\(.*\)"$/\1/p' "$ROOT/bin/mesh-agent")"
SHIPPED="${SHIPPED:-1}"
if [ "$SHIPPED" = 1 ]; then
    start_proxy shipped NONE "${SHIPPED_OPTS[@]}"
    SHIPPED_PID=$PROXY_PID
    SHIPPED_HTTP_PORT=$PROXY_HTTP_PORT
fi
start_proxy proxy NONE "${PROXY_OPTS[@]}"
# The pinned pair: each event loop (ours) and each thread (HAProxy's cpu-map) on a CPU of its own.
read -r -a CPUS <<<"$(python3 -c 'import os; print(" ".join(map(str, sorted(os.sched_getaffinity(0)))))')"
PINNED="${PINNED:-1}"
if [ "$PINNED" = 1 ] && [ "$IO_THREADS" -gt "${#CPUS[@]}" ]; then
    echo "warning: $IO_THREADS threads but ${#CPUS[@]} CPUs: no pinned pair" >&2
    PINNED=0
fi
if [ "$PINNED" = 1 ]; then
    start_proxy pinned SPREAD "${SHIPPED_OPTS[@]}"
    PINNED_PID=$PROXY_PID
    PINNED_HTTP_PORT=$PROXY_HTTP_PORT
    HAPROXY_PINNED_PORT="$(free_port)"
fi

# HAProxy with the equivalent setup: same thread count, TCP pass-through, and HTTP with
# X-Forwarded-For and keep-alive connections to the backend (our proxy pools them too).
cat >"$WORK/haproxy.cfg" <<CFG
global
    nbthread $IO_THREADS
    maxconn 4096
defaults
    timeout connect 3s
    timeout client 1h
    timeout server 1h
    maxconn 4096
frontend tcp_in
    mode tcp
    bind 127.0.0.1:$HAPROXY_TCP_PORT
    default_backend tcp_out
backend tcp_out
    mode tcp
    server iperf 127.0.0.1:$IPERF_PORT
frontend http_in
    mode http
    option http-keep-alive
    option forwardfor
    bind 127.0.0.1:$HAPROXY_HTTP_PORT
    default_backend http_out
backend http_out
    mode http
    http-reuse always
    server web 127.0.0.1:$BACKEND_PORT
CFG
haproxy -f "$WORK/haproxy.cfg" -db >"$WORK/haproxy.log" 2>&1 &
PIDS+=($!)
HAPROXY_PID=$!
if [ "$PINNED" = 1 ]; then
    # The same HTTP setup, threads pinned one per CPU (HAProxy 2.6 applies only the auto: form here).
    sed -e "/^    nbthread/a\    cpu-map auto:1/1-$IO_THREADS ${CPUS[*]:0:$IO_THREADS}" \
        -e "/^frontend tcp_in/,/^    server iperf/d" -e "s/127.0.0.1:$HAPROXY_HTTP_PORT/127.0.0.1:$HAPROXY_PINNED_PORT/" \
        "$WORK/haproxy.cfg" >"$WORK/haproxy-pinned.cfg"
    haproxy -f "$WORK/haproxy-pinned.cfg" -db >"$WORK/haproxy-pinned.log" 2>&1 &
    PIDS+=($!)
    HAPROXY_PINNED_PID=$!
fi
wait_port "$PROXY_TCP_PORT"
wait_port "$PROXY_HTTP_PORT"
wait_port "$HAPROXY_TCP_PORT"
wait_port "$HAPROXY_HTTP_PORT"
if [ "$SHIPPED" = 1 ]; then wait_port "$SHIPPED_HTTP_PORT"; fi
if [ "$PINNED" = 1 ]; then wait_port "$PINNED_HTTP_PORT"; wait_port "$HAPROXY_PINNED_PORT"; fi

# allowed_cpus PID NAME_PATTERN: "thread: CPUs" for each thread of PID whose name matches (what the kernel enforces)
allowed_cpus() {
    local t
    for t in /proc/"$1"/task/*; do
        if grep -Eq "$2" "$t/comm"; then
            printf '%s: %s; ' "$(cat "$t/comm")" "$(sed -n 's/^Cpus_allowed_list:\s*//p' "$t/status")"
        fi
    done
}

iperf_gbps() { # iperf_gbps PORT SECONDS [EXTRA...]: received throughput in Gbit/s
    local port="$1" secs="$2"; shift 2
    iperf3 -c 127.0.0.1 -p "$port" -t "$secs" -J "$@" >"$WORK/iperf.json"
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%.2f" % (d["end"]["sum_received"]["bits_per_second"]/1e9))' "$WORK/iperf.json"
}

cpu_ticks() { # cpu_ticks PID: user+system clock ticks of a process (0 for PID 0)
    if [ "$1" = 0 ]; then echo 0; else awk '{print $14 + $15}' "/proc/$1/stat"; fi
}

wrk_run() { # wrk_run PORT SECONDS [LABEL] -> "RPS P99_MS ok|errors"; the raw output is kept as wrk-LABEL.txt
    local out="$WORK/wrk-${3:-last}.txt"
    wrk -t2 -c64 -d"$2"s --latency "http://127.0.0.1:$1/" >"$out" 2>&1 || true
    python3 - "$out" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
m = re.search(r"\s99%\s+([\d.]+)(us|ms|s)\b", text)
if not rps or not m:
    print("0 0 failed")
    sys.exit(0)
value, unit = float(m.group(1)), m.group(2)
ms = value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)", text)
print("%.0f %.3f %s" % (float(rps.group(1)), ms, "errors" if errors else "ok"))
PY
}

echo "warming up (JIT) ..." >&2
iperf_gbps "$PROXY_TCP_PORT" "$WARMUP_SECONDS" >/dev/null
# wrk through our proxy in six short runs, not one long one: each run opens and closes its 64
# connections (a close with requests in flight, new connections on the selector), the paths every
# measured round starts and ends with; a JIT that has only seen steady traffic deoptimises there and
# recompiles during the first measured round (seen with -Xlog:jit+compilation).
for _ in 1 2 3 4 5 6; do
    wrk_run "$PROXY_HTTP_PORT" "$(( (WARMUP_SECONDS + 5) / 6 ))" >/dev/null
    if [ "$SHIPPED" = 1 ]; then wrk_run "$SHIPPED_HTTP_PORT" "$(( (WARMUP_SECONDS + 5) / 6 ))" >/dev/null; fi
    if [ "$PINNED" = 1 ]; then wrk_run "$PINNED_HTTP_PORT" "$(( (WARMUP_SECONDS + 5) / 6 ))" >/dev/null; fi
done
wrk_run "$HAPROXY_HTTP_PORT" 3 >/dev/null
if [ "$PINNED" = 1 ]; then
    wrk_run "$HAPROXY_PINNED_PORT" 3 >/dev/null
    # Read once the threads exist (Netty starts an event loop with its first channel).
    PINNED_CPUS="$(allowed_cpus "$PINNED_PID" '^proxy-io')"
    HAPROXY_PINNED_CPUS="$(allowed_cpus "$HAPROXY_PINNED_PID" .)"
    HAPROXY_CPUS="$(allowed_cpus "$HAPROXY_PID" .)"
fi

# The CPU is shared with other work: every figure is measured in several rounds, ours and HAProxy's
# alternating, and the report gives the mean (and each round) and, for the ratios, the median of
# the per-round ratios as well.
declare -A R
for round in $(seq 1 "$ROUNDS"); do
    echo "round $round: iperf3 ..." >&2
    R[tcp_direct]+=" $(iperf_gbps "$IPERF_PORT" "$TCP_SECONDS")"
    R[tcp_proxy]+=" $(iperf_gbps "$PROXY_TCP_PORT" "$TCP_SECONDS")"
    R[tcp_haproxy]+=" $(iperf_gbps "$HAPROXY_TCP_PORT" "$TCP_SECONDS")"
    R[tcp4_proxy]+=" $(iperf_gbps "$PROXY_TCP_PORT" "$TCP_SECONDS" -P 4)"
    R[tcp4_haproxy]+=" $(iperf_gbps "$HAPROXY_TCP_PORT" "$TCP_SECONDS" -P 4)"
done
# The TCP rounds leave the HTTP proxies idle for longer than our upstream pool keeps an idle connection
# (60 s), so the first measured request would find the pool empty and dial: a path the warm-up above
# never took once the JIT had compiled the proxy (its connections stayed pooled from run to run). The
# first use of such a path deoptimises the compiled code around it; with bin/mesh-agent's options (C2
# only, one compiler thread) the event loops then run interpreted code for most of a second while it
# recompiles, which put up to 5 ms into the first round's p99 (seen with -XX:+LogCompilation). A
# long-running agent pays that once per path. Every proxy, HAProxy included, gets the same short run
# here so that the rounds measure the steady state.
echo "warming up after the TCP rounds (pools idled out) ..." >&2
wrk_run "$PROXY_HTTP_PORT" 5 >/dev/null
if [ "$SHIPPED" = 1 ]; then wrk_run "$SHIPPED_HTTP_PORT" 5 >/dev/null; fi
wrk_run "$HAPROXY_HTTP_PORT" 5 >/dev/null
if [ "$PINNED" = 1 ]; then wrk_run "$PINNED_HTTP_PORT" 5 >/dev/null; wrk_run "$HAPROXY_PINNED_PORT" 5 >/dev/null; fi
for round in $(seq 1 "$HTTP_ROUNDS"); do
    echo "round $round: wrk ..." >&2
    # HAProxy runs between our two proxies, which swap places every round: each of ours is measured
    # right before or right after HAProxy, as often before as after. (One of ours, not HAProxy,
    # follows the backend-alone run, which leaves the backend at its busiest.)
    pair=("proxy $PROXY_HTTP_PORT $PROXY_PID" "haproxy $HAPROXY_HTTP_PORT $HAPROXY_PID")
    if [ "$SHIPPED" = 1 ]; then pair+=("shipped $SHIPPED_HTTP_PORT $SHIPPED_PID"); fi
    if (( round % 2 == 0 )); then
        if [ "$SHIPPED" = 1 ]; then pair=("${pair[2]}" "${pair[1]}" "${pair[0]}"); else pair=("${pair[1]}" "${pair[0]}"); fi
    fi
    # Then the pinned pair, also swapping places every round.
    if [ "$PINNED" = 1 ]; then
        pinned=("pinned $PINNED_HTTP_PORT $PINNED_PID" "haproxy_pinned $HAPROXY_PINNED_PORT $HAPROXY_PINNED_PID")
        if (( round % 2 == 0 )); then pinned=("${pinned[1]}" "${pinned[0]}"); fi
        pair+=("${pinned[@]}")
    fi
    for target in "direct $BACKEND_PORT 0" "${pair[@]}"; do
        read -r name port pid <<<"$target"
        before="$(cpu_ticks "$pid")"
        read -r rps p99 err < <(wrk_run "$port" "$WRK_SECONDS" "$name-$round")
        after="$(cpu_ticks "$pid")"
        R[rps_$name]+=" $rps"
        R[p99_$name]+=" $p99"
        # CPU the proxy process spent per request, in microseconds: steadier than requests/s on a shared machine.
        R[cpu_$name]+=" $(python3 -c "import sys; t,r,s,hz=map(float,sys.argv[1:]); print('%.1f' % (t*1e6/hz/(r*s)) if r else 0)" \
            "$((after - before))" "$rps" "$WRK_SECONDS" "$(getconf CLK_TCK)")"
        [ "$err" = ok ] || R[err_$name]="errors"
    done
done

# Figures go through Python; a failure inside "$(...)" in the report's echo lines would not stop the
# script (set -e ignores it) and would leave an empty string, which is how the first results file
# came to show "****" where the ratios belong. So every value is checked once, here, before the
# report is written, and the helpers print "n/a" with a reason instead of nothing.
check_values() {
    local key bad="" want
    for key in tcp_direct tcp_proxy tcp_haproxy tcp4_proxy tcp4_haproxy rps_direct rps_proxy rps_haproxy \
               p99_direct p99_proxy p99_haproxy cpu_proxy cpu_haproxy $( [ "$SHIPPED" = 1 ] && echo rps_shipped p99_shipped cpu_shipped ) \
               $( [ "$PINNED" = 1 ] && echo rps_pinned p99_pinned cpu_pinned rps_haproxy_pinned p99_haproxy_pinned cpu_haproxy_pinned ); do
        if [[ "$key" == tcp* ]]; then want="$ROUNDS"; else want="$HTTP_ROUNDS"; fi
        if ! python3 -c 'import sys; v=[float(x) for x in sys.argv[2:]]; sys.exit(0 if len(v) == int(sys.argv[1]) else 1)' \
                "$want" ${R[$key]:-} 2>/dev/null; then
            echo "warning: $key has no clean value per round: '${R[$key]:-}'" >&2
            bad=yes
        fi
    done
    [ -z "$bad" ]
}
mean() { # mean "V1 V2 ...": the mean, or n/a
    python3 -c "import sys; v=[float(x) for x in sys.argv[1:]]; print(('%.2f' if max(v) < 1000 else '%.0f') % (sum(v)/len(v)))" $1 2>/dev/null \
        || echo "n/a"
}
ratio() { # ratio A B: A/B with two decimals, or n/a
    python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print('%.2f' % (a/b) if b else 'n/a')" "$1" "$2" 2>/dev/null \
        || echo "n/a ($1 / $2)"
}
mean_ratio() { # mean_ratio KEY_A KEY_B: ratio of the means of two figures
    ratio "$(mean "${R[$1]:-}")" "$(mean "${R[$2]:-}")"
}
round_ratios() { # round_ratios KEY_A KEY_B: "median (min-max)" of the per-round ratios A/B, or n/a
    python3 -c '
import statistics, sys
a, b = [float(x) for x in sys.argv[1].split()], [float(x) for x in sys.argv[2].split()]
r = [x / y for x, y in zip(a, b) if y]
print("%.2f (%.2f-%.2f)" % (statistics.median(r), min(r), max(r)) if r and len(a) == len(b) else "n/a")' "${R[$1]:-}" "${R[$2]:-}" 2>/dev/null \
        || echo "n/a"
}
show() { # show KEY: "mean (round1, round2)"
    echo "$(mean "${R[$1]:-}") ($(echo ${R[$1]:-} | sed 's/ /, /g'))"
}
check_values || echo "warning: some figures are missing; the report shows n/a for them (work files: KEEP_WORK=1)" >&2
mkdir -p "$OUT_DIR"
# Not "$( [ ... ] && echo -quick)": in an assignment its false test is the status of the whole line,
# and set -e ended every full run right here, before the report was written.
QUICK_SUFFIX=""
if [ "$MODE" = "--quick" ]; then QUICK_SUFFIX="-quick"; fi
REPORT="$OUT_DIR/$(date +%F)${BENCH_TAG:+-$BENCH_TAG}$QUICK_SUFFIX.md"
{
    echo "# ClusterIP proxy benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "Produced by \`bench/proxy/run.sh\`$( [ "$MODE" = "--quick" ] && echo ' --quick')."
    echo
    echo "## Machine"
    echo
    echo "- CPU: $(lscpu | sed -n 's/^Model name:\s*//p' | head -1), $(nproc) cores online (shared with other work; load average at start: $(cut -d' ' -f1-3 /proc/loadavg))"
    echo "- Kernel: $(uname -sr)"
    echo "- JDK: $(java -version 2>&1 | head -1)"
    echo "- $(haproxy -v | head -1)"
    echo "- $(iperf3 --version | head -1 | cut -d' ' -f1-2), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
    echo "- Our proxy: $IO_THREADS event loop threads, transport $TRANSPORT, JVM ${PROXY_OPTS[*]}; HAProxy: nbthread $IO_THREADS"
    if [ "$SHIPPED" = 1 ]; then echo "- Our proxy as shipped (HTTP only): the same, in a JVM with bin/mesh-agent's options: ${SHIPPED_OPTS[*]}"; fi
    if [ "$PINNED" = 1 ]; then
        echo "- Pinned pair (HTTP only): our proxy as shipped with --cpu-affinity SPREAD (the agent's modules.edgeProxy.cpuAffinity: spread), and HAProxy with cpu-map auto:1/1-$IO_THREADS ${CPUS[*]:0:$IO_THREADS}. CPUs each thread may use, as the kernel reports them:"
        echo "  - ours, pinned: ${PINNED_CPUS:-n/a}"
        echo "  - HAProxy, pinned: ${HAPROXY_PINNED_CPUS:-n/a}"
        echo "  - HAProxy, not pinned: ${HAPROXY_CPUS:-n/a}"
    fi
    echo "- Everything on 127.0.0.1; warm-up first: ${WARMUP_SECONDS} s of iperf3 and of wrk (six runs) through our proxy (JIT), 3 s of wrk through HAProxy; after the TCP rounds, 5 s of wrk through each HTTP proxy (pools idled out); each round runs HAProxy's wrk between our two proxies', which swap places every round"
    echo
    echo "## TCP throughput (iperf3, ${TCP_SECONDS} s per round, Gbit/s received; mean of $ROUNDS rounds, each round in parentheses)"
    echo
    echo "| path | 1 stream | 4 streams |"
    echo "|---|---:|---:|"
    echo "| direct (no proxy) | $(show tcp_direct) | |"
    echo "| Kedge proxy | $(show tcp_proxy) | $(show tcp4_proxy) |"
    echo "| HAProxy, mode tcp | $(show tcp_haproxy) | $(show tcp4_haproxy) |"
    echo
    echo "- Kedge / HAProxy: **$(mean_ratio tcp_proxy tcp_haproxy)** (1 stream), **$(mean_ratio tcp4_proxy tcp4_haproxy)** (4 streams) (target >= 1.00)"
    echo "- Kedge / direct: $(mean_ratio tcp_proxy tcp_direct)"
    echo
    echo "## HTTP/1.1 (wrk, 2 threads, 64 connections, ${WRK_SECONDS} s per round, small fixed response; mean of $HTTP_ROUNDS rounds)"
    echo
    echo "| path | requests/s | p99 latency (ms) | proxy CPU per request (us) | errors |"
    echo "|---|---:|---:|---:|---|"
    echo "| backend alone (no proxy) | $(show rps_direct) | $(show p99_direct) | | ${R[err_direct]:-none} |"
    echo "| Kedge proxy (HTTP port) | $(show rps_proxy) | $(show p99_proxy) | $(show cpu_proxy) | ${R[err_proxy]:-none} |"
    echo "| HAProxy, mode http | $(show rps_haproxy) | $(show p99_haproxy) | $(show cpu_haproxy) | ${R[err_haproxy]:-none} |"
    if [ "$SHIPPED" = 1 ]; then echo "| Kedge proxy, bin/mesh-agent's JVM options | $(show rps_shipped) | $(show p99_shipped) | $(show cpu_shipped) | ${R[err_shipped]:-none} |"; fi
    if [ "$PINNED" = 1 ]; then
        echo "| Kedge proxy, bin/mesh-agent's JVM options, event loops pinned (spread) | $(show rps_pinned) | $(show p99_pinned) | $(show cpu_pinned) | ${R[err_pinned]:-none} |"
        echo "| HAProxy, mode http, threads pinned (cpu-map) | $(show rps_haproxy_pinned) | $(show p99_haproxy_pinned) | $(show cpu_haproxy_pinned) | ${R[err_haproxy_pinned]:-none} |"
    fi
    echo
    echo "Ratios: of the means, then the median (min-max) of the $HTTP_ROUNDS per-round ratios."
    echo
    echo "- Kedge / HAProxy requests/s: **$(mean_ratio rps_proxy rps_haproxy)**, median $(round_ratios rps_proxy rps_haproxy) (target >= 1.00)"
    echo "- Kedge / HAProxy p99: **$(mean_ratio p99_proxy p99_haproxy)**, median $(round_ratios p99_proxy p99_haproxy) (target <= 1.00)"
    echo "- Kedge / HAProxy CPU per request: $(mean_ratio cpu_proxy cpu_haproxy), median $(round_ratios cpu_proxy cpu_haproxy) (the whole JVM: event loops, GC and JIT threads)"
    if [ "$SHIPPED" = 1 ]; then
        echo "- With bin/mesh-agent's JVM options, Kedge / HAProxy: requests/s **$(mean_ratio rps_shipped rps_haproxy)**, median $(round_ratios rps_shipped rps_haproxy); p99 **$(mean_ratio p99_shipped p99_haproxy)**, median $(round_ratios p99_shipped p99_haproxy); CPU per request $(mean_ratio cpu_shipped cpu_haproxy), median $(round_ratios cpu_shipped cpu_haproxy)"
    fi
    if [ "$PINNED" = 1 ]; then
        echo "- Both pinned, Kedge (bin/mesh-agent's JVM options) / HAProxy: requests/s **$(mean_ratio rps_pinned rps_haproxy_pinned)**, p99 **$(mean_ratio p99_pinned p99_haproxy_pinned)**, CPU per request $(mean_ratio cpu_pinned cpu_haproxy_pinned)"
    fi
    echo
    echo "## Raw wrk output, last round"
    for t in direct proxy haproxy $( [ "$SHIPPED" = 1 ] && echo shipped ) $( [ "$PINNED" = 1 ] && echo pinned haproxy_pinned ); do
        echo
        echo "### $t"
        echo
        echo '```'
        cat "$WORK/wrk-$t-$HTTP_ROUNDS.txt"
        echo '```'
    done
} >"$REPORT"
cat "$REPORT"
echo >&2
echo "written to $REPORT" >&2
