# Application class data sharing (AppCDS) for a long-running JVM: the classes a program loads,
# parsed and laid out once, kept in an archive that later starts map from disk instead of building
# the same metadata again in each process's own memory. For mesh-agent that is about 4-5 MiB less
# RSS and 10-12 MiB less at its high-water mark (bench/agent-memory). POSIX sh: sourced by
# bin/mesh-agent and by the image's launcher (charts/image).
#
# An archive fits one JDK, one set of JVM options and one exact classpath, so it is learnt where the
# program runs: a run without an archive records the classes it loads and the JVM writes them when
# it exits (-XX:ArchiveClassesAtExit); the launcher keeps that archive if the run lasted long enough
# to be representative and the archive loads, and later runs map it (-XX:SharedArchiveFile).
#
# Environment:
#   KEDGE_CDS                     auto (default): use the archive, or learn one during this run;
#                                 train: learn one during a run of KEDGE_CDS_TRAIN_SECONDS, then
#                                 exit (nothing to do when the archive exists); off: no archive
#   KEDGE_CDS_DIR                 where archives are kept (created if missing)
#   KEDGE_CDS_TRAIN_SECONDS       length of a train run (default 30)
#   KEDGE_CDS_MIN_LEARN_SECONDS   shorter runs (--help, a config error) teach nothing (default 20)

# kedge_cds_java NAME CLASSPATH MAIN ARGS...: runs MAIN with KEDGE_JAVA_OPTS as described above.
# Does not return.
kedge_cds_java() {
    _cds_name="$1" _cds_cp="$2" _cds_main="$3"
    shift 3
    _cds_mode="${KEDGE_CDS:-auto}"
    case "$_cds_mode" in
        auto|train) ;;
        off) kedge_cds_without "$@" ;;
        *)
            echo "error: KEDGE_CDS='$_cds_mode': must be auto, train or off" >&2
            exit 64 ;;
    esac
    _cds_dir="${KEDGE_CDS_DIR:?KEDGE_CDS_DIR must name a directory (or set KEDGE_CDS=off)}"
    _cds_train="${KEDGE_CDS_TRAIN_SECONDS:-30}"
    _cds_min="${KEDGE_CDS_MIN_LEARN_SECONDS:-20}"
    case "$_cds_train$_cds_min" in
        *[!0-9]*)
            echo "error: KEDGE_CDS_TRAIN_SECONDS='$_cds_train' and KEDGE_CDS_MIN_LEARN_SECONDS='$_cds_min' must be whole seconds" >&2
            exit 64 ;;
    esac
    if ! mkdir -p "$_cds_dir" 2>/dev/null || [ ! -w "$_cds_dir" ]; then
        echo "warning: KEDGE_CDS_DIR=$_cds_dir is not writable: running without a class data archive" >&2
        [ "$_cds_mode" = train ] && exit 0
        kedge_cds_without "$@"
    fi
    _cds_archive="$_cds_dir/$_cds_name-$(kedge_cds_key "$_cds_cp").jsa"

    if [ -f "$_cds_archive" ]; then
        [ "$_cds_mode" = train ] && { echo "class data archive present: $_cds_archive" >&2; exit 0; }
        # -Xshare:auto: an archive the JVM cannot use (it says why) is skipped, not fatal.
        # shellcheck disable=SC2086
        exec java ${KEDGE_JAVA_OPTS:-} -XX:SharedArchiveFile="$_cds_archive" -Xshare:auto -cp "$_cds_cp" "$_cds_main" "$@"
    fi
    if [ -f "$_cds_archive.failed" ]; then
        # This JDK could not write or map one before (e.g. no base archive): do not pay for learning again.
        [ "$_cds_mode" = train ] && exit 0
        kedge_cds_without "$@"
    fi

    _cds_tmp="$_cds_archive.$$.tmp"
    _cds_started=$(date +%s)
    # shellcheck disable=SC2086
    # (-Xlog:cds=error: the classes it cannot archive, such as picocli's, built for Java 5, are not news.)
    java ${KEDGE_JAVA_OPTS:-} -XX:ArchiveClassesAtExit="$_cds_tmp" -Xlog:cds=error -cp "$_cds_cp" "$_cds_main" "$@" &
    _cds_pid=$!
    # The JVM runs in the background so that the archive can be checked after it exits; signals
    # for the program are passed on (it writes the archive while it shuts down).
    trap 'kill -TERM "$_cds_pid" 2>/dev/null' TERM INT HUP
    _cds_timer=""
    if [ "$_cds_mode" = train ]; then
        ( sleep "$_cds_train"; kill -TERM "$_cds_pid" 2>/dev/null ) &
        _cds_timer=$!
    fi
    _cds_status=0
    # wait returns early when a trapped signal arrives; the JVM is still shutting down then.
    while :; do
        # (as a list, so that a failing status does not end a caller running with set -e)
        wait "$_cds_pid" && _cds_status=0 || _cds_status=$?
        kill -0 "$_cds_pid" 2>/dev/null || break
    done
    trap - TERM INT HUP
    [ -z "$_cds_timer" ] || kill "$_cds_timer" 2>/dev/null || true
    _cds_lasted=$(( $(date +%s) - _cds_started ))
    if [ "$_cds_lasted" -lt "$_cds_min" ]; then
        : # --help, a configuration error: too short to show what the program loads; nothing said
    elif [ ! -s "$_cds_tmp" ]; then
        if [ "$_cds_status" -eq 137 ]; then
            echo "class data archive: none written (the JVM was killed); the next run learns again" >&2
        else
            echo "class data archive: the JVM wrote none (exit status $_cds_status); later runs go without" >&2
            : >"$_cds_archive.failed"
        fi
    # shellcheck disable=SC2086
    elif java ${KEDGE_JAVA_OPTS:-} -XX:SharedArchiveFile="$_cds_tmp" -Xshare:on -cp "$_cds_cp" -version >/dev/null 2>&1; then
        mv -f "$_cds_tmp" "$_cds_archive"
        echo "class data archive learnt: $_cds_archive (later runs use it)" >&2
        # Archives of other JDKs, option sets or builds, learnt over a week ago: dropped.
        find "$_cds_dir" -maxdepth 1 -name "$_cds_name-*.jsa" ! -name "${_cds_archive##*/}" -mtime +7 -exec rm -f {} + 2>/dev/null || true
    else
        echo "class data archive: the one written does not load (-Xshare:on failed); later runs go without" >&2
        : >"$_cds_archive.failed"
    fi
    rm -f "$_cds_tmp"
    [ "$_cds_mode" = train ] && exit 0
    exit "$_cds_status"
}

# kedge_cds_without ARGS...: kedge_cds_java's program without any archive. Does not return.
kedge_cds_without() {
    # shellcheck disable=SC2086 # KEDGE_JAVA_OPTS holds several options
    exec java ${KEDGE_JAVA_OPTS:-} -cp "$_cds_cp" "$_cds_main" "$@"
}

# kedge_cds_key CLASSPATH: a checksum of what an archive must match: the java binary and version,
# the JDK's own archives it is layered on, KEDGE_JAVA_OPTS, and every classpath entry's name, size
# and modification time (in classpath order).
kedge_cds_key() {
    # Word splitting and globbing of the classpath entries (dir/lib/*) are intended.
    # shellcheck disable=SC2046,SC2086
    {
        command -v java
        # (JAVA_TOOL_OPTIONS would add its own lines; a setting there that breaks the archive only
        # makes the JVM skip it, with a warning.)
        (unset JAVA_TOOL_OPTIONS; java -version 2>&1)
        stat -L -c '%n %s %Y' "$(dirname "$(readlink -f "$(command -v java)")")"/../lib/server/*.jsa 2>&1 || true
        printf '%s\n' "${KEDGE_JAVA_OPTS:-}"
        stat -L -c '%n %s %Y' $(printf '%s' "$1" | tr ':' ' ') 2>&1 || true
    } | cksum | cut -d' ' -f1
}
