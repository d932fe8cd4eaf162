# Shared by the launchers in bin/: locate the checkout, install system packages, build on demand.
# Sourced, not executed.

KEDGE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# System packages the demo and the tests use. Installed only when something is missing.
KEDGE_PACKAGES=(iproute2 iptables procps)
# Each package is checked by one program it provides.
declare -A KEDGE_PACKAGE_PROBE=([iproute2]=ip [iptables]=iptables-restore [procps]=sysctl)

kedge_die() {
    echo "error: $*" >&2
    exit 1
}

kedge_require_root() {
    [ "$(id -u)" = 0 ] || kedge_die "this needs root: it builds network namespaces, veths and iptables rules"
}

kedge_require_tools() {
    command -v java >/dev/null || kedge_die "java not found: install a JDK 17 (apt-get install openjdk-17-jdk-headless)"
    command -v mvn >/dev/null || kedge_die "mvn not found: install Maven (apt-get install maven)"
}

# Installs the packages in KEDGE_PACKAGES that are missing, with apt-get.
kedge_ensure_packages() {
    local missing=() pkg
    for pkg in "${KEDGE_PACKAGES[@]}"; do
        command -v "${KEDGE_PACKAGE_PROBE[$pkg]:-$pkg}" >/dev/null 2>&1 || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    command -v apt-get >/dev/null || kedge_die "missing packages (${missing[*]}) and no apt-get to install them"
    echo "installing system packages: ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 || kedge_die "apt-get update failed"
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 || kedge_die "apt-get install ${missing[*]} failed"
}

# kedge_ensure_built MODULE [DEPENDENCY_MODULE...]: builds MODULE (and what it needs) unless its jar
# is newer than every source file, pom and resource of MODULE and the listed modules.
kedge_ensure_built() {
    local module="$1"; shift
    local jar="$KEDGE_ROOT/$module/target/$module.jar" stale="" dir
    if [ ! -f "$jar" ] || [ ! -d "$KEDGE_ROOT/$module/target/lib" ]; then
        stale=yes
    else
        for dir in "$module" "$@"; do
            if [ -n "$(find "$KEDGE_ROOT/$dir/src/main" "$KEDGE_ROOT/$dir/pom.xml" -newer "$jar" -print -quit 2>/dev/null)" ]; then
                stale=yes
                break
            fi
        done
        [ "$KEDGE_ROOT/pom.xml" -nt "$jar" ] && stale=yes
    fi
    if [ -n "$stale" ]; then
        kedge_require_tools
        echo "building $module ..." >&2
        (cd "$KEDGE_ROOT" && mvn -B -q -ntp -DskipTests -pl "$module" -am package) >&2 || kedge_die "build of $module failed"
        touch "$jar"
    fi
}

# kedge_java MODULE MAIN_CLASS ARGS...: runs MAIN_CLASS from MODULE's jar and runtime classpath.
kedge_java() {
    local module="$1" main="$2"; shift 2
    exec java ${KEDGE_JAVA_OPTS:-} -cp "$KEDGE_ROOT/$module/target/$module.jar:$KEDGE_ROOT/$module/target/lib/*" "$main" "$@"
}
