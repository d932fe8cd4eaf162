# Shared by the benchmarks that run in a namespace topology of their own (source after
# bin/lib/common.sh): a work directory, the processes started (PIDS) and the topology run (RUN),
# all stopped and removed on exit, also on failure; log and wait_for helpers.
#
#   kedge_bench_begin NAME   creates WORK=/tmp/kedge-NAME.XXXXXX and installs the cleanup
#   kedge_bench_topology_up FILE   brings the topology up; ns, in_host and address for its hosts

kedge_bench_begin() {
    WORK="$(mktemp -d "/tmp/kedge-$1.XXXXXX")"
    RUN=""
    PIDS=()
    trap kedge_bench_cleanup EXIT
    trap 'exit 130' INT TERM
}

kedge_bench_cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    [ -n "$RUN" ] && "$KEDGE_ROOT/bin/topo" down "$RUN" >/dev/null 2>&1 || true
    if [ -n "${KEEP_WORK:-}" ]; then echo "work files kept in $WORK" >&2; else rm -rf "$WORK"; fi
}

log() { echo "$(date -u +%T) $*" >&2; }

wait_for() { # wait_for SECONDS DESCRIPTION CMD...: retries CMD twice a second
    local seconds="$1" what="$2" i; shift 2
    for i in $(seq 1 $((seconds * 2))); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.5
    done
    kedge_die "$what did not happen within ${seconds}s (KEEP_WORK=1 keeps the logs)"
}

# kedge_bench_topology_up FILE: brings up the topology in FILE (torn down by the cleanup) and defines
# RUN, ns HOST (the host's namespace), in_host HOST CMD... and address HOST (its eth0 IPv4 address).
kedge_bench_topology_up() {
    log "bringing up the topology"
    "$KEDGE_ROOT/bin/topo" up "$1" >"$WORK/topo.txt"
    RUN="$(sed -n 's/^up as run \([0-9a-f]*\).*/\1/p' "$WORK/topo.txt")"
    [ -n "$RUN" ] || kedge_die "could not read the run id from: $(cat "$WORK/topo.txt")"
}
ns() { echo "kt-$RUN-h-$1"; }
in_host() { local h="$1"; shift; ip netns exec "$(ns "$h")" "$@"; }
address() { in_host "$1" ip -4 -o addr show dev eth0 scope global | awk '{print $4}' | cut -d/ -f1 | head -1; }
