#!/bin/sh
# The image's programs: /usr/local/bin/<program> links here, and this runs the program the link is
# named after from its module's jar and runtime classpath (as bin/ does in a checkout). JVM options
# come from KEDGE_JAVA_OPTS (the chart sets them per program).
set -eu
program=$(basename "$0")
case "$program" in
    mesh-agent) module=mesh-agent main=io.kedge.agent.AgentCommand ;;
    meshctl) module=mesh-agent main=io.kedge.agent.cli.MeshctlCommand ;;
    mesh-server) module=mesh-server main=io.kedge.server.MeshServerCommand ;;
    cloudcore-lite) module=cloudcore-lite main=io.kedge.cloud.CloudcoreCommand ;;
    *) echo "kedge image: no program named $program (mesh-agent, meshctl, mesh-server, cloudcore-lite)" >&2; exit 64 ;;
esac
KEDGE_JAVA_OPTS="${KEDGE_JAVA_OPTS:-} -XX:-UsePerfData"
classpath="/opt/kedge/$module/$module.jar:/opt/kedge/$module/lib/*"
if [ "$program" = mesh-agent ]; then
    # The agent maps its class data archive, or learns one (cds.sh; the chart keeps archives in
    # the node's state directory and may learn one in an init container first).
    KEDGE_CDS_DIR="${KEDGE_CDS_DIR:-/tmp/kedge-cds}"
    . /opt/kedge/bin/cds.sh
    kedge_cds_java mesh-agent "$classpath" "$main" "$@"
fi
# Word splitting of KEDGE_JAVA_OPTS is intended: it holds several options.
# shellcheck disable=SC2086
exec java $KEDGE_JAVA_OPTS -cp "$classpath" "$main" "$@"
