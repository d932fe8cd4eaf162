#!/usr/bin/env bash
# What any agent-to-agent tunnel can reach on this machine, measured with a C anchor: a tunnel has
# two userspace hops on the data path (the sending node's agent and the receiving node's agent).
# On the namespace path of bench/tunnel/run.sh (pa behind a port-restricted NAT -> the internet
# segment -> ra), side by side and alternating: iperf3 plain TCP pa -> ra; iperf3 through two
# HAProxy hops in TCP mode (one on pa, one on ra: the two agents' places), once in the clear and
# once with TLS 1.3 (AES-128-GCM) between the hops, as an encrypted tunnel must be. Writes
# bench/tunnel/results/<date>-two-hop-ceiling.md. Needs root; everything is torn down on exit.
set -euo pipefail
source "$(dirname "$0")/../../bin/lib/common.sh"

case "${1:-}" in
    -h|--help)
        sed -n '2,8s/^# \{0,1\}//p' "$0"
        echo
        echo "usage: bench/tunnel/two-hop-ceiling.sh"
        echo "environment: ROUNDS (3), IPERF_SECONDS (10), NBTHREAD (HAProxy threads per hop, 2), RESULTS (output file)"
        exit 0 ;;
esac

kedge_require_root
KEDGE_PACKAGES+=(iperf3 haproxy openssl)
KEDGE_PACKAGE_PROBE+=([iperf3]=iperf3 [haproxy]=haproxy [openssl]=openssl)
kedge_ensure_packages
kedge_ensure_built test-topologies mesh-common

ROUNDS="${ROUNDS:-3}"
IPERF_SECONDS="${IPERF_SECONDS:-10}"
NBTHREAD="${NBTHREAD:-2}"
BENCH="$KEDGE_ROOT/bench/tunnel"
RESULTS="${RESULTS:-$BENCH/results/$(date -u +%F)-two-hop-ceiling.md}"

source "$(dirname "$0")/../lib/topology-bench.sh"
kedge_bench_begin two-hop-ceiling

kedge_bench_topology_up "$BENCH/topology.yaml"
RA="$(address ra)"
[ -n "$RA" ] || kedge_die "ra has no address"
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"

# The receiving end: iperf3 on ra; hop 2 (ra) forwards to it, hop 1 (pa) forwards to hop 2.
in_host ra iperf3 -s -p 5201 >"$WORK/iperf3-s.log" 2>&1 &
PIDS+=($!)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=ra" -days 1 \
    -keyout "$WORK/ra.key" -out "$WORK/ra.crt" >/dev/null 2>&1
cat "$WORK/ra.crt" "$WORK/ra.key" >"$WORK/ra.pem"
haproxy_config() { # haproxy_config FILE FRONTENDS...: a TCP-mode HAProxy with the given frontend lines
    local file="$1"; shift
    {
        printf 'global\n    nbthread %s\n    maxconn 1024\n    ssl-default-bind-ciphersuites TLS_AES_128_GCM_SHA256\n' "$NBTHREAD"
        printf '    ssl-default-server-ciphersuites TLS_AES_128_GCM_SHA256\n'
        printf 'defaults\n    mode tcp\n    timeout connect 3s\n    timeout client 1h\n    timeout server 1h\n'
        printf '%s\n' "$@"
    } >"$file"
}
haproxy_config "$WORK/hop2.cfg" \
    "listen clear" "    bind $RA:8443" "    server iperf 127.0.0.1:5201" \
    "listen tls" "    bind $RA:8444 ssl crt $WORK/ra.pem ssl-min-ver TLSv1.3" "    server iperf 127.0.0.1:5201"
haproxy_config "$WORK/hop1.cfg" \
    "listen clear" "    bind 127.0.0.1:15201" "    server ra $RA:8443" \
    "listen tls" "    bind 127.0.0.1:15202" "    server ra $RA:8444 ssl verify none ssl-min-ver TLSv1.3"
in_host ra haproxy -f "$WORK/hop2.cfg" >"$WORK/hop2.log" 2>&1 &
PIDS+=($!)
in_host pa haproxy -f "$WORK/hop1.cfg" >"$WORK/hop1.log" 2>&1 &
PIDS+=($!)
wait_for 20 "iperf3 on ra through both hops" in_host pa bash -c "exec 3<>/dev/tcp/127.0.0.1/15202"

mbits() { # mbits HOST PORT: iperf3 from pa for IPERF_SECONDS, Mbit/s received
    in_host pa iperf3 -c "$1" -p "$2" -t "$IPERF_SECONDS" -J \
        | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e6))'
}
declare -A RUNS=([plain]="" [clear]="" [tls]="")
ORDER=(plain clear tls)
for round in $(seq 1 "$ROUNDS"); do
    for path in "${ORDER[@]}"; do
        case "$path" in
            plain) m="$(mbits "$RA" 5201)" ;;
            clear) m="$(mbits 127.0.0.1 15201)" ;;
            tls) m="$(mbits 127.0.0.1 15202)" ;;
        esac
        RUNS[$path]+="$m "
        log "round $round: $path $m Mbit/s"
    done
    # Rotate the order, so that no path always runs first.
    ORDER=("${ORDER[@]:1}" "${ORDER[0]}")
done

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
P="$(echo "${RUNS[plain]}" | median)"
C="$(echo "${RUNS[clear]}" | median)"
T="$(echo "${RUNS[tls]}" | median)"
pct() { python3 -c "print(round(100*$1/$2))"; }
{
    echo "# Two-hop tunnel ceiling, $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "Produced by \`bench/tunnel/two-hop-ceiling.sh\` (ROUNDS=$ROUNDS, IPERF_SECONDS=$IPERF_SECONDS, NBTHREAD=$NBTHREAD) on"
    echo "bench/tunnel/topology.yaml's path pa (port-restricted NAT) -> internet segment -> ra, the path of"
    echo "bench/tunnel/run.sh's throughput figures. iperf3 from pa, one stream; paths alternate within a round."
    echo
    echo "- plain: iperf3 -c ra directly."
    echo "- two hops, clear: pa -> HAProxy on pa (mode tcp) -> HAProxy on ra -> iperf3 on ra (127.0.0.1)."
    echo "- two hops, TLS 1.3: the same with TLS 1.3 (TLS_AES_128_GCM_SHA256, OpenSSL) between the two HAProxies."
    echo
    echo "A tunnel between two agents has the same shape: a userspace hop on each node, encrypted between"
    echo "them. These figures are what a mature C implementation of that shape reaches here."
    echo
    echo "## Machine"
    echo
    echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; load average $LOAD_BEFORE before, $(cut -d' ' -f1-3 /proc/loadavg) after"
    echo "- $(haproxy -v | head -1); $(openssl version); $(iperf3 --version | head -1)"
    echo "- kernel $(uname -r); commit $(cd "$KEDGE_ROOT" && git rev-parse --short HEAD)"
    echo
    echo "## Results (Mbit/s)"
    echo
    echo "| path | median | vs plain | runs |"
    echo "|---|---:|---:|---|"
    echo "| plain TCP pa -> ra | $P | 100 % | ${RUNS[plain]}|"
    echo "| two HAProxy hops, clear | $C | $(pct "$C" "$P") % | ${RUNS[clear]}|"
    echo "| two HAProxy hops, TLS 1.3 between them | $T | $(pct "$T" "$P") % | ${RUNS[tls]}|"
} >"$RESULTS"
log "written to $RESULTS"
cat "$RESULTS"
