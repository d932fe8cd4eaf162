package io.kedge.charts;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.kedge.agent.config.AgentConfig;
import io.kedge.agent.discovery.KubeClients;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChartAgentTest {
    @TempDir
    Path dir;

    private static Container agentContainer(DaemonSet ds) {
        return ds.getSpec().getTemplate().getSpec().getContainers().stream().filter(c -> c.getName().equals("mesh-agent")).findFirst()
                .orElseThrow();
    }

    @Test
    void bothDaemonSetsShareTheNodeNetworkWithOnlyTheCapabilitiesTheAgentNeeds() {
        RenderedChart chart = RenderedChart.render();
        for (String flavour : List.of("edge", "cloud")) {
            DaemonSet ds = chart.get(DaemonSet.class, "kedge-agent-" + flavour);
            PodSpec pod = ds.getSpec().getTemplate().getSpec();
            assertThat(pod.getHostNetwork()).as(flavour).isTrue();
            // The agent is the cluster DNS: resolving through itself would loop.
            assertThat(pod.getDnsPolicy()).isEqualTo("Default");
            Container c = agentContainer(ds);
            assertThat(c.getSecurityContext().getPrivileged()).isNotEqualTo(Boolean.TRUE);
            assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
            assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
            assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
            assertThat(c.getSecurityContext().getCapabilities().getAdd()).containsExactlyInAnyOrder("NET_ADMIN", "NET_RAW", "NET_BIND_SERVICE");
            assertThat(c.getVolumeMounts()).anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/run/xtables.lock"));
            assertThat(pod.getVolumes()).anySatisfy(v -> {
                assertThat(v.getHostPath()).isNotNull();
                assertThat(v.getHostPath().getPath()).isEqualTo("/run/xtables.lock");
                assertThat(v.getHostPath().getType()).isEqualTo("FileOrCreate");
            });
            // The selector picks this flavour's pods only, so the two DaemonSets never fight over pods.
            assertThat(ds.getSpec().getSelector().getMatchLabels()).containsEntry("kedge.io/agent-flavour", flavour)
                    .allSatisfy((k, v) -> assertThat(ds.getSpec().getTemplate().getMetadata().getLabels()).containsEntry(k, v));
        }
    }

    @Test
    void anInitContainerLearnsTheClassDataArchiveByRunningTheAgentAsTheAgentContainerDoes() {
        DaemonSet ds = RenderedChart.render().get(DaemonSet.class, "kedge-agent-edge");
        Container agent = agentContainer(ds);
        List<Container> inits = ds.getSpec().getTemplate().getSpec().getInitContainers();
        assertThat(inits).hasSize(1);
        Container learn = inits.get(0);
        assertThat(env(agent)).containsEntry("KEDGE_CDS", "auto").containsEntry("KEDGE_CDS_DIR", "/var/lib/kedge-agent/cds");
        assertThat(env(learn)).containsEntry("KEDGE_CDS", "train").containsEntry("KEDGE_CDS_TRAIN_SECONDS", "30")
                .containsEntry("KEDGE_CDS_DIR", "/var/lib/kedge-agent/cds")
                .containsEntry("KEDGE_JAVA_OPTS", env(agent).get("KEDGE_JAVA_OPTS"));
        // The same program, arguments, privileges and mounts: an archive fits only an identical JVM and classpath.
        assertThat(learn.getImage()).isEqualTo(agent.getImage());
        assertThat(learn.getCommand()).isEqualTo(agent.getCommand());
        assertThat(learn.getArgs()).isEqualTo(agent.getArgs());
        assertThat(learn.getSecurityContext()).isEqualTo(agent.getSecurityContext());
        assertThat(learn.getVolumeMounts()).isEqualTo(agent.getVolumeMounts());
        assertThat(learn.getResources()).isEqualTo(agent.getResources());
        assertThat(agent.getVolumeMounts()).anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/var/lib/kedge-agent"));

        DaemonSet firstRunLearns = RenderedChart.render("agent.classDataArchive.trainSeconds", 0).get(DaemonSet.class, "kedge-agent-edge");
        assertThat(firstRunLearns.getSpec().getTemplate().getSpec().getInitContainers()).isEmpty();
        assertThat(env(agentContainer(firstRunLearns))).containsEntry("KEDGE_CDS", "auto");

        DaemonSet off = RenderedChart.render("agent.classDataArchive.enabled", false).get(DaemonSet.class, "kedge-agent-edge");
        assertThat(off.getSpec().getTemplate().getSpec().getInitContainers()).isEmpty();
        assertThat(env(agentContainer(off))).containsEntry("KEDGE_CDS", "off");
    }

    private static Map<String, String> env(Container c) {
        Map<String, String> env = new java.util.HashMap<>();
        c.getEnv().stream().filter(e -> e.getValue() != null).forEach(e -> env.put(e.getName(), e.getValue()));
        return env;
    }

    @Test
    void privilegedModeReplacesTheCapabilities() {
        Container c = agentContainer(RenderedChart.render("agent.privileged", true).get(DaemonSet.class, "kedge-agent-edge"));
        assertThat(c.getSecurityContext().getPrivileged()).isTrue();
        assertThat(c.getSecurityContext().getCapabilities()).isNull();
    }

    @Test
    void nodeNameComesFromTheDownwardApiAndTheMemoryLimitIs160Mi() {
        Container c = agentContainer(RenderedChart.render().get(DaemonSet.class, "kedge-agent-edge"));
        EnvVar nodeName = c.getEnv().stream().filter(e -> e.getName().equals("NODE_NAME")).findFirst().orElseThrow();
        assertThat(nodeName.getValueFrom().getFieldRef().getFieldPath()).isEqualTo("spec.nodeName");
        assertThat(c.getResources().getLimits()).containsEntry("memory", new Quantity("160Mi"));
        assertThat(c.getResources().getRequests()).containsKeys("cpu", "memory");
    }

    @Test
    void probesAndScrapeAnnotationsTargetTheAdminPortTheConfigListensOn() throws IOException {
        RenderedChart chart = RenderedChart.render("agent.admin.port", 10777);
        DaemonSet ds = chart.get(DaemonSet.class, "kedge-agent-cloud");
        Container c = agentContainer(ds);
        AgentConfig config = AgentConfig.load(chart.configFile("kedge-agent-cloud", "agent.yaml", dir));
        assertThat(config.admin().listen()).isEqualTo("0.0.0.0:10777");
        assertProbe(c.getLivenessProbe(), "/healthz", 10777, null);
        assertProbe(c.getReadinessProbe(), "/readyz", 10777, null);
        assertProbe(c.getStartupProbe(), "/healthz", 10777, null);
        assertThat(ds.getSpec().getTemplate().getMetadata().getAnnotations()).containsEntry("prometheus.io/scrape", "true")
                .containsEntry("prometheus.io/port", "10777").containsEntry("prometheus.io/path", "/metrics");
    }

    @Test
    void aLoopbackAdminIsProbedOnLoopbackAndNotAdvertisedForScraping() throws IOException {
        RenderedChart chart = RenderedChart.render("agent.admin.bindAddress", "127.0.0.1");
        DaemonSet ds = chart.get(DaemonSet.class, "kedge-agent-edge");
        assertProbe(agentContainer(ds).getReadinessProbe(), "/readyz", 10560, "127.0.0.1");
        assertThat(ds.getSpec().getTemplate().getMetadata().getAnnotations()).doesNotContainKey("prometheus.io/scrape");
        assertThat(AgentConfig.load(chart.configFile("kedge-agent-edge", "agent.yaml", dir)).admin().listen()).isEqualTo("127.0.0.1:10560");
    }

    static void assertProbe(Probe probe, String path, int port, String host) {
        assertThat(probe).isNotNull();
        assertThat(probe.getHttpGet().getPath()).isEqualTo(path);
        assertThat(probe.getHttpGet().getPort().getIntVal()).isEqualTo(port);
        assertThat(probe.getHttpGet().getHost()).isEqualTo(host);
    }

    @Test
    void edgeAgentsRunOnEdgeNodesOnlyReadTheMetaServerAndHoldNoToken() throws IOException {
        RenderedChart chart = RenderedChart.render();
        DaemonSet ds = chart.get(DaemonSet.class, "kedge-agent-edge");
        PodSpec pod = ds.getSpec().getTemplate().getSpec();
        assertThat(pod.getTolerations()).extracting(Toleration::getKey).contains("node-role.kubernetes.io/edge");
        assertThat(edgeLabelRule(pod).getOperator()).isEqualTo("Exists");
        assertThat(pod.getAutomountServiceAccountToken()).isFalse();

        AgentConfig config = AgentConfig.load(chart.configFile("kedge-agent-edge", "agent.yaml", dir));
        // Whatever the pod's environment says about an API server, the agent reads the metaServer.
        assertThat(KubeClients.source(config.kubeAPIConfig())).isEqualTo(new KubeClients.Source("master", "http://127.0.0.1:10550"));
        assertThat(config.nodeName()).as("the node name comes from NODE_NAME").isNull();
        assertThat(config.stateDir()).isEqualTo("/var/lib/kedge-agent");
        assertThat(agentContainer(ds).getVolumeMounts()).anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo(config.stateDir()));
        assertThat(agentContainer(ds).getArgs()).containsSequence("--config", "/etc/kedge/config/agent.yaml");
        assertThat(chart.mountedFile(pod, agentContainer(ds), "/etc/kedge/config/agent.yaml"))
                .isEqualTo(chart.get(io.fabric8.kubernetes.api.model.ConfigMap.class, "kedge-agent-edge").getData().get("agent.yaml"));
    }

    @Test
    void cloudAgentsAvoidEdgeNodesAndUseTheirServiceAccount() throws IOException {
        RenderedChart chart = RenderedChart.render();
        PodSpec pod = chart.get(DaemonSet.class, "kedge-agent-cloud").getSpec().getTemplate().getSpec();
        assertThat(edgeLabelRule(pod).getOperator()).isEqualTo("DoesNotExist");
        assertThat(pod.getServiceAccountName()).isEqualTo("kedge-agent");
        assertThat(pod.getAutomountServiceAccountToken()).isNotEqualTo(Boolean.FALSE);
        AgentConfig config = AgentConfig.load(chart.configFile("kedge-agent-cloud", "agent.yaml", dir));
        // Neither master nor kubeconfig: in a pod the agent takes the in-cluster credentials.
        assertThat(config.kubeAPIConfig().master()).isNull();
        assertThat(config.kubeAPIConfig().kubeConfig()).isNull();
        ClusterRoleBinding binding = chart.get(ClusterRoleBinding.class, "kedge-agent");
        assertThat(binding.getRoleRef().getName()).isEqualTo("kedge-agent");
        assertThat(binding.getSubjects()).singleElement().satisfies(s -> {
            assertThat(s.getName()).isEqualTo("kedge-agent");
            assertThat(s.getNamespace()).isEqualTo(RenderedChart.NAMESPACE);
        });
    }

    private static NodeSelectorRequirement edgeLabelRule(PodSpec pod) {
        return pod.getAffinity().getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution().getNodeSelectorTerms().get(0)
                .getMatchExpressions().stream().filter(e -> e.getKey().equals("node-role.kubernetes.io/edge")).findFirst().orElseThrow();
    }

    /** What the agent's informers watch (mesh-agent discovery.ClusterDiscovery): group, resource. */
    private static final List<List<String>> WATCHED = List.of(List.of("", "services"), List.of("", "endpoints"), List.of("", "pods"),
            List.of("", "nodes"), List.of("discovery.k8s.io", "endpointslices"), List.of("networking.istio.io", "destinationrules"));

    @Test
    void theClusterRoleLetsTheAgentListAndWatchWhatItWatchesAndWriteNothing() {
        ClusterRole role = RenderedChart.render().get(ClusterRole.class, "kedge-agent");
        for (List<String> gr : WATCHED) {
            for (String verb : List.of("get", "list", "watch")) {
                assertThat(grants(role.getRules(), gr.get(0), gr.get(1), verb)).as("%s %s/%s", verb, gr.get(0), gr.get(1)).isTrue();
            }
        }
        assertThat(role.getRules()).flatExtracting(PolicyRule::getVerbs).containsOnly("get", "list", "watch");
    }

    static boolean grants(List<PolicyRule> rules, String group, String resource, String verb) {
        return rules.stream().anyMatch(r -> (r.getApiGroups().contains(group) || r.getApiGroups().contains("*"))
                && (r.getResources().contains(resource) || r.getResources().contains("*"))
                && (r.getVerbs().contains(verb) || r.getVerbs().contains("*")));
    }

    @Test
    void meshServersTurnTheTunnelOnWithTheJoinTokenMountedWhereTheConfigSaysAndTheRealConfigAcceptsIt() throws IOException {
        RenderedChart chart = RenderedChart.render("agent.meshServers", List.of("relay1.example.net:7443", "198.51.100.7:7443"),
                "joinToken.value", "join-token-of-24-chars!!");
        for (String flavour : List.of("edge", "cloud")) {
            AgentConfig config = AgentConfig.load(chart.configFile("kedge-agent-" + flavour, "agent.yaml", dir));
            AgentConfig.EdgeTunnel tunnel = config.modules().edgeTunnel();
            assertThat(tunnel.enable()).isTrue();
            assertThat(tunnel.meshServers()).containsExactly("relay1.example.net:7443", "198.51.100.7:7443");
            DaemonSet ds = chart.get(DaemonSet.class, "kedge-agent-" + flavour);
            assertThat(chart.mountedFile(ds.getSpec().getTemplate().getSpec(), agentContainer(ds), tunnel.joinTokenFile()))
                    .isEqualTo("join-token-of-24-chars!!");
        }
    }

    @Test
    void withoutMeshServersTheTunnelIsOffAndNoTokenIsMounted() throws IOException {
        RenderedChart chart = RenderedChart.render("meshServer.enabled", false);
        AgentConfig config = AgentConfig.load(chart.configFile("kedge-agent-edge", "agent.yaml", dir));
        assertThat(config.modules().edgeTunnel().enable()).isFalse();
        assertThat(agentContainer(chart.get(DaemonSet.class, "kedge-agent-edge")).getVolumeMounts())
                .noneSatisfy(m -> assertThat(m.getMountPath()).contains("join-token"));
    }

    @Test
    void operatorConfigIsPassedThroughInTheAgentsOwnFormat() throws IOException {
        RenderedChart chart = RenderedChart.render(Map.of("agent.config.modules.edgeDNS.zone", "edge.example",
                "agent.config.modules.edgeProxy.loadBalancer.consistentHash.load", 2,
                "agent.config.modules.edgeDNS.cacheDNS.upstreamServers", List.of("192.0.2.53"),
                // Keys the chart owns cannot be overridden into something the pod does not provide.
                "agent.config.stateDir", "/elsewhere", "agent.config.kubeAPIConfig.master", "https://203.0.113.1:6443"));
        AgentConfig edge = AgentConfig.load(chart.configFile("kedge-agent-edge", "agent.yaml", dir));
        assertThat(edge.modules().edgeDNS().zone()).isEqualTo("edge.example");
        assertThat(edge.modules().edgeDNS().cacheDNS().upstreamServers()).containsExactly("192.0.2.53");
        assertThat(edge.modules().edgeProxy().loadBalancer().consistentHash().load()).isEqualTo(2.0);
        assertThat(edge.stateDir()).isEqualTo("/var/lib/kedge-agent");
        assertThat(edge.kubeAPIConfig().master()).isEqualTo("http://127.0.0.1:10550");
        AgentConfig cloud = AgentConfig.load(chart.configFile("kedge-agent-cloud", "agent.yaml", dir));
        assertThat(cloud.kubeAPIConfig().master()).isNull();
    }

    @Test
    void disablingAFlavourOrTheAgentRendersNothingOfIt() {
        RenderedChart noCloud = RenderedChart.render("agent.cloud.enabled", false);
        assertThat(noCloud.names()).contains("DaemonSet/kedge-agent-edge")
                .doesNotContain("DaemonSet/kedge-agent-cloud", "ConfigMap/kedge-agent-cloud", "ClusterRole/kedge-agent", "ServiceAccount/kedge-agent");
        RenderedChart none = RenderedChart.render("agent.enabled", false);
        assertThat(none.names()).noneMatch(n -> n.contains("agent")).contains("Deployment/kedge-server");
    }
}
