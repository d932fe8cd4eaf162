{{/* Names: the release name, prefixed to the chart's when it does not contain it already. */}}
{{- define "kedge.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "kedge.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selector labels of one component: dict "root" $ "component" "agent" ("flavour" "edge"). */}}
{{- define "kedge.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- with .flavour }}
kedge.io/agent-flavour: {{ . }}
{{- end }}
{{- end -}}

{{- define "kedge.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{- define "kedge.serviceAccountName" -}}
{{- $sa := .Values.agent.serviceAccount -}}
{{- $sa.name | default (ternary (printf "%s-agent" (include "kedge.fullname" .)) "default" $sa.create) -}}
{{- end -}}

{{- define "kedge.cloudcoreServiceAccountName" -}}
{{- $sa := .Values.cloudcore.serviceAccount -}}
{{- $sa.name | default (ternary (printf "%s-cloudcore" (include "kedge.fullname" .)) "default" $sa.create) -}}
{{- end -}}

{{/* The join token's Secret: the one this chart creates from joinToken.value, else the existing one. */}}
{{- define "kedge.joinTokenSecret" -}}
{{- if .Values.joinToken.value -}}
{{- printf "%s-join-token" (include "kedge.fullname" .) -}}
{{- else -}}
{{- required "joinToken: set existingSecret (a Secret you created) or value (at least 16 characters): agents authenticate to mesh-servers with it" .Values.joinToken.existingSecret -}}
{{- end -}}
{{- end -}}

{{/* Whether anything mounts the join token: tunnelling agents, and a mesh-server without a client CA. */}}
{{- define "kedge.needsJoinToken" -}}
{{- if or (and .Values.meshServer.enabled (not .Values.meshServer.clientCa.existingSecret)) (and .Values.agent.enabled .Values.agent.meshServers) -}}true{{- end -}}
{{- end -}}

{{- define "kedge.turnSecret" -}}
{{- if .Values.meshServer.turnSecret.value -}}
{{- printf "%s-turn-secret" (include "kedge.fullname" .) -}}
{{- else -}}
{{- required "meshServer.turnSecret: set existingSecret (a Secret you created) or value (at least 16 characters): an open relay is not offered" .Values.meshServer.turnSecret.existingSecret -}}
{{- end -}}
{{- end -}}

{{/* Where secrets are mounted in the containers (the rendered configs name these files). */}}
{{- define "kedge.joinTokenFile" -}}/etc/kedge/secrets/join-token/token{{- end -}}
{{- define "kedge.turnSecretFile" -}}/etc/kedge/secrets/turn/shared-secret{{- end -}}
{{- define "kedge.clientCaFile" -}}/etc/kedge/secrets/client-ca/ca.crt{{- end -}}

{{/* The mesh-server's admin address: loopback with hostNetwork (a public node), else all addresses. */}}
{{- define "kedge.serverAdminAddress" -}}
{{- .Values.meshServer.admin.bindAddress | default (ternary "127.0.0.1" "0.0.0.0" .Values.meshServer.hostNetwork) -}}
{{- end -}}

{{/*
Probes against an admin endpoint: dict "address" BIND "port" PORT. A loopback-bound endpoint is
probed on 127.0.0.1, which the kubelet reaches only for hostNetwork pods (the charts only bind
loopback there).
*/}}
{{- define "kedge.probes" -}}
{{- $host := ternary "127.0.0.1" "" (hasPrefix "127." .address) -}}
startupProbe:
  httpGet:
    path: /healthz
    port: {{ .port }}
    {{- with $host }}
    host: {{ . }}
    {{- end }}
  periodSeconds: 2
  failureThreshold: 60
livenessProbe:
  httpGet:
    path: /healthz
    port: {{ .port }}
    {{- with $host }}
    host: {{ . }}
    {{- end }}
  periodSeconds: 10
  timeoutSeconds: 3
  failureThreshold: 3
readinessProbe:
  httpGet:
    path: /readyz
    port: {{ .port }}
    {{- with $host }}
    host: {{ . }}
    {{- end }}
  periodSeconds: 5
  timeoutSeconds: 3
  failureThreshold: 2
{{- end -}}

{{/* Prometheus scrape annotations, unless the admin endpoint is bound to loopback (nothing could scrape it). */}}
{{- define "kedge.scrapeAnnotations" -}}
{{- if not (hasPrefix "127." .address) -}}
prometheus.io/scrape: "true"
prometheus.io/port: {{ .port | quote }}
prometheus.io/path: /metrics
{{- end -}}
{{- end -}}

{{/*
The agent's configuration file for one flavour (dict "root" $ "flavour" "edge"|"cloud"): the
operator's agent.config with the keys the chart owns set on top.
*/}}
{{- define "kedge.agentConfig" -}}
{{- $a := .root.Values.agent -}}
{{- $cfg := deepCopy ($a.config | default dict) -}}
{{- $_ := unset $cfg "nodeName" -}}
{{- $_ := set $cfg "stateDir" "/var/lib/kedge-agent" -}}
{{- $_ := set $cfg "admin" (dict "listen" (printf "%s:%d" $a.admin.bindAddress (int $a.admin.port))) -}}
{{- $kube := get $cfg "kubeAPIConfig" | default dict -}}
{{- $_ := unset $kube "kubeConfig" -}}
{{- if eq .flavour "edge" -}}
{{- /* An explicit master without credentials: the metaServer, never the cloud API. */ -}}
{{- $_ := set $kube "master" $a.edge.metaServer -}}
{{- else -}}
{{- $_ := unset $kube "master" -}}
{{- end -}}
{{- $_ := set $cfg "kubeAPIConfig" $kube -}}
{{- $modules := get $cfg "modules" | default dict -}}
{{- $tunnel := get $modules "edgeTunnel" | default dict -}}
{{- if $a.meshServers -}}
{{- $_ := set $tunnel "enable" true -}}
{{- $_ := set $tunnel "meshServers" $a.meshServers -}}
{{- $_ := set $tunnel "joinTokenFile" (include "kedge.joinTokenFile" .root) -}}
{{- $_ := unset $tunnel "joinToken" -}}
{{- else -}}
{{- $_ := set $tunnel "enable" false -}}
{{- end -}}
{{- $_ := set $modules "edgeTunnel" $tunnel -}}
{{- $_ := set $cfg "modules" $modules -}}
{{- toYaml $cfg -}}
{{- end -}}

{{/*
mesh-server's configuration file: the operator's meshServer.config with the keys the chart owns
(listeners, credentials, relay ports, admin) set on top.
*/}}
{{- define "kedge.serverConfig" -}}
{{- $s := .Values.meshServer -}}
{{- $cfg := deepCopy ($s.config | default dict) -}}
{{- $listen := get $cfg "listen" | default dict -}}
{{- $_ := set $listen "port" (int $s.ports.stun) -}}
{{- $_ := set $listen "tlsPort" (int $s.ports.tls) -}}
{{- $_ := set $cfg "listen" $listen -}}
{{- $auth := get $cfg "auth" | default dict -}}
{{- $_ := unset $auth "sharedSecrets" -}}
{{- $_ := set $auth "sharedSecretFile" (include "kedge.turnSecretFile" .) -}}
{{- $_ := set $cfg "auth" $auth -}}
{{- $relay := get $cfg "relay" | default dict -}}
{{- $_ := set $relay "portRange" $s.relayPortRange -}}
{{- with $s.relayPublicAddress -}}
{{- $_ := set $relay "publicAddress" . -}}
{{- end -}}
{{- $_ := set $cfg "relay" $relay -}}
{{- $sig := get $cfg "signaling" | default dict -}}
{{- $_ := set $sig "port" (int $s.ports.signaling) -}}
{{- $_ := unset $sig "joinToken" -}}
{{- if $s.clientCa.existingSecret -}}
{{- $_ := set $sig "clientCa" (include "kedge.clientCaFile" .) -}}
{{- $_ := unset $sig "joinTokenFile" -}}
{{- else -}}
{{- $_ := set $sig "joinTokenFile" (include "kedge.joinTokenFile" .) -}}
{{- end -}}
{{- $_ := set $cfg "signaling" $sig -}}
{{- $_ := set $cfg "admin" (dict "listen" (printf "%s:%d" (include "kedge.serverAdminAddress" .) (int $s.admin.port))) -}}
{{- toYaml $cfg -}}
{{- end -}}

{{/* Values the programs would refuse or that could not work: fail the rendering with the reason. */}}
{{- define "kedge.validate" -}}
{{- if not (or .Values.agent.enabled .Values.meshServer.enabled) -}}
{{- fail "kedge: agent.enabled and meshServer.enabled are both false: nothing to deploy" -}}
{{- end -}}
{{- if and .Values.agent.enabled (not (or .Values.agent.edge.enabled .Values.agent.cloud.enabled)) -}}
{{- fail "agent: agent.edge.enabled and agent.cloud.enabled are both false (set agent.enabled=false to deploy no agent)" -}}
{{- end -}}
{{- with .Values.joinToken.value -}}
{{- if lt (len .) 16 -}}
{{- fail "joinToken.value must be at least 16 characters" -}}
{{- end -}}
{{- end -}}
{{- if include "kedge.needsJoinToken" . -}}
{{- $_ := include "kedge.joinTokenSecret" . -}}
{{- end -}}
{{- if .Values.meshServer.enabled -}}
{{- $s := .Values.meshServer -}}
{{- $_ := include "kedge.turnSecret" . -}}
{{- with $s.turnSecret.value -}}
{{- if lt (len .) 16 -}}
{{- fail "meshServer.turnSecret.value must be at least 16 characters" -}}
{{- end -}}
{{- end -}}
{{- $range := splitList "-" $s.relayPortRange -}}
{{- if or (ne (len $range) 2) (lt (atoi (first $range)) 1024) (gt (atoi (last $range)) 65535) (ge (atoi (first $range)) (atoi (last $range))) -}}
{{- fail (printf "meshServer.relayPortRange=%s: expected FIRST-LAST within 1024-65535, first below last" $s.relayPortRange) -}}
{{- end -}}
{{- if and (not $s.hostNetwork) (gt (int $s.replicas) 1) -}}
{{- fail (printf "meshServer.replicas=%d needs meshServer.hostNetwork=true: each replica needs its own advertised address and relay ports, which one Service cannot give" (int $s.replicas)) -}}
{{- end -}}
{{- if and (not $s.hostNetwork) (not $s.relayPublicAddress) -}}
{{- fail "meshServer.hostNetwork=false: set meshServer.relayPublicAddress (the address clients reach the relay ports at)" -}}
{{- end -}}
{{- end -}}
{{- if .Values.cloudcore.enabled -}}
{{- $c := .Values.cloudcore -}}
{{- if not $c.advertiseAddress -}}
{{- fail "cloudcore.advertiseAddress is required: the addresses (IPs or DNS names) edge nodes dial for CloudHub and bootstrap" -}}
{{- end -}}
{{- if and (not $c.persistence.enabled) (not $c.ca.existingSecret) -}}
{{- fail "cloudcore: without persistence.enabled the CA must come from a Secret (cloudcore.ca.existingSecret), or every restart would make a new CA and orphan the edges' certificates" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
cloudcore-lite's configuration file: the operator's cloudcore.config with the keys the chart owns
set on top (cluster mode with in-cluster credentials, listeners, advertise addresses, data dir).
*/}}
{{- define "kedge.cloudcoreConfig" -}}
{{- $c := .Values.cloudcore -}}
{{- $cfg := deepCopy ($c.config | default dict) -}}
{{- $_ := set $cfg "dataDir" "/var/lib/kedge-cloudcore" -}}
{{- $_ := set $cfg "admin" (dict "listen" (printf "%s:%d" $c.admin.bindAddress (int $c.admin.port))) -}}
{{- $modules := get $cfg "modules" | default dict -}}
{{- $_ := set $modules "standalone" (dict "enable" false) -}}
{{- $_ := set $modules "cluster" (dict "enable" true) -}}
{{- /* The cluster's own controllers maintain EndpointSlices. */ -}}
{{- $_ := set $modules "endpointsController" (dict "enable" false) -}}
{{- $hub := get $modules "cloudHub" | default dict -}}
{{- $_ := set $hub "enable" true -}}
{{- $_ := set $hub "listen" (printf "0.0.0.0:%d" (int $c.ports.cloudHub)) -}}
{{- $_ := set $hub "httpsListen" (printf "0.0.0.0:%d" (int $c.ports.bootstrap)) -}}
{{- $_ := set $hub "advertiseAddress" $c.advertiseAddress -}}
{{- $_ := set $modules "cloudHub" $hub -}}
{{- $_ := set $cfg "modules" $modules -}}
{{- toYaml $cfg -}}
{{- end -}}

{{/*
The agent's container without name, ports, probes and resources: image, command, environment
(plus extraEnv, a list of name/value), security context and mounts. Shared by the agent container
and the init container that learns its class data archive, which must run it identically.
*/}}
{{- define "kedge.agentContainerBody" -}}
{{- $root := .root -}}
{{- $a := $root.Values.agent -}}
image: {{ include "kedge.image" $root }}
imagePullPolicy: {{ $root.Values.image.pullPolicy }}
command: [mesh-agent]
args: [--config, /etc/kedge/config/agent.yaml, --log-level, {{ $a.logLevel | quote }}]
env:
  - name: NODE_NAME
    valueFrom:
      fieldRef:
        fieldPath: spec.nodeName
  - name: KEDGE_JAVA_OPTS
    value: {{ $a.javaOpts | quote }}
  # glibc would give each of the agent's ~40 threads its own malloc arena.
  - name: MALLOC_ARENA_MAX
    value: "2"
  # Class data archives (bin/lib/cds.sh) live on the node with the catalog state.
  - name: KEDGE_CDS_DIR
    value: /var/lib/kedge-agent/cds
  {{- range .extraEnv }}
  - name: {{ .name }}
    value: {{ .value | quote }}
  {{- end }}
  {{- with $a.extraEnv }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
securityContext:
  {{- if $a.privileged }}
  privileged: true
  {{- else }}
  # iptables needs uid 0; everything else is dropped.
  runAsUser: 0
  runAsNonRoot: false
  allowPrivilegeEscalation: false
  capabilities:
    drop: [ALL]
    add: [NET_ADMIN, NET_RAW, NET_BIND_SERVICE]
  {{- end }}
  readOnlyRootFilesystem: true
volumeMounts:
  - name: config
    mountPath: /etc/kedge/config
    readOnly: true
  - name: state
    mountPath: /var/lib/kedge-agent
  - name: xtables-lock
    mountPath: /run/xtables.lock
  - name: tmp
    mountPath: /tmp
  {{- if $a.meshServers }}
  - name: join-token
    mountPath: /etc/kedge/secrets/join-token
    readOnly: true
  {{- end }}
{{- end -}}
