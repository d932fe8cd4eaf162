package io.kedge.common.kubeapi.patch;

import static io.kedge.common.kubeapi.Json.node;
import static io.kedge.common.kubeapi.Json.object;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kedge.common.kubeapi.ApiException;
import io.kedge.common.kubeapi.BuiltinTypes;
import org.junit.jupiter.api.Test;

/** Strategic merge patches as kubectl apply / kubectl patch produce them, on the built-in kinds' merge keys. */
class StrategicMergePatchTest {
    private static final PatchSchema POD = BuiltinTypes.PODS.patchSchema();
    private static final PatchSchema SERVICE = BuiltinTypes.SERVICES.patchSchema();
    private static final PatchSchema NODE = BuiltinTypes.NODES.patchSchema();

    private static final ObjectNode LIVE_POD = object("""
            {'metadata':{'name':'p','labels':{'app':'web','tier':'front'},'finalizers':['a','b']},
             'spec':{'containers':[
                 {'name':'web','image':'nginx:1','ports':[{'containerPort':80,'name':'http'},{'containerPort':443}],
                  'env':[{'name':'A','value':'1'},{'name':'B','value':'2'}]},
                 {'name':'sidecar','image':'envoy'}],
               'volumes':[{'name':'data','emptyDir':{}}],
               'tolerations':[{'key':'x'},{'key':'y'}]}}""");

    @Test
    void containersMergeByNameAndKeepTheirOtherFields() {
        ObjectNode out = StrategicMergePatch.apply(LIVE_POD, node("{'spec':{'containers':[{'name':'web','image':'nginx:2'}]}}"), POD);
        assertThat(out.at("/spec/containers/0/image").asText()).isEqualTo("nginx:2");
        assertThat(out.at("/spec/containers/0/ports")).hasSize(2);
        assertThat(out.at("/spec/containers/1/name").asText()).isEqualTo("sidecar");
    }

    @Test
    void nestedListsMergeByTheirOwnKeys() {
        ObjectNode out = StrategicMergePatch.apply(LIVE_POD, node("""
                {'spec':{'containers':[{'name':'web',
                   'ports':[{'containerPort':8080,'name':'alt'}],
                   'env':[{'name':'B','value':'two'},{'name':'C','value':'3'}]}]}}"""), POD);
        assertThat(out.at("/spec/containers/0/ports").findValuesAsText("containerPort")).containsExactlyInAnyOrder("80", "443", "8080");
        assertThat(out.at("/spec/containers/0/env")).isEqualTo(node(
                "[{'name':'A','value':'1'},{'name':'B','value':'two'},{'name':'C','value':'3'}]"));
    }

    @Test
    void patchDeleteRemovesOneElementByKey() {
        ObjectNode out = StrategicMergePatch.apply(LIVE_POD,
                node("{'spec':{'containers':[{'name':'sidecar','$patch':'delete'}]}}"), POD);
        assertThat(out.at("/spec/containers")).hasSize(1);
        assertThat(out.at("/spec/containers/0/name").asText()).isEqualTo("web");
    }

    @Test
    void patchReplaceInAListReplacesTheWholeList() {
        ObjectNode out = StrategicMergePatch.apply(LIVE_POD,
                node("{'spec':{'containers':[{'name':'only','image':'x'},{'$patch':'replace'}]}}"), POD);
        assertThat(out.at("/spec/containers")).isEqualTo(node("[{'name':'only','image':'x'}]"));
    }

    @Test
    void patchReplaceInAMapReplacesTheMap() {
        ObjectNode out = StrategicMergePatch.apply(LIVE_POD,
                node("{'metadata':{'labels':{'$patch':'replace','only':'this'}}}"), POD);
        assertThat(out.at("/metadata/labels")).isEqualTo(node("{'only':'this'}"));
        assertThat(out.at("/metadata/name").asText()).isEqualTo("p");
    }

    @Test
    void nullDeletesAKey() {
        ObjectNode out = StrategicMergePatch.apply(LIVE_POD, node("{'metadata':{'labels':{'tier':null}}}"), POD);
        assertThat(out.at("/metadata/labels")).isEqualTo(node("{'app':'web'}"));
    }

    @Test
    void untaggedListsAreReplacedWhole() {
        ObjectNode out = StrategicMergePatch.apply(LIVE_POD, node("{'spec':{'tolerations':[{'key':'z'}]}}"), POD);
        assertThat(out.at("/spec/tolerations")).isEqualTo(node("[{'key':'z'}]"));
    }

    @Test
    void scalarSetsUnionAndDeleteFromPrimitiveListRemoves() {
        ObjectNode out = StrategicMergePatch.apply(LIVE_POD,
                node("{'metadata':{'finalizers':['c','a'],'$deleteFromPrimitiveList/finalizers':['b']}}"), POD);
        assertThat(out.at("/metadata/finalizers")).isEqualTo(node("['c','a']"));
        ObjectNode node = StrategicMergePatch.apply(object("{'spec':{'podCIDRs':['100.64.1.0/24']}}"),
                node("{'spec':{'podCIDRs':['100.64.2.0/24']}}"), NODE);
        // Without $setElementOrder, Kubernetes puts the patch's new items before the server-only ones.
        assertThat(node.at("/spec/podCIDRs")).isEqualTo(node("['100.64.2.0/24','100.64.1.0/24']"));
    }

    @Test
    void setElementOrderOrdersTheMergedListAsKubectlApplyAsks() {
        // What `kubectl apply` sends when a port is added in front of an existing one.
        ObjectNode live = object("{'spec':{'ports':[{'name':'http','port':80,'targetPort':'http'},{'name':'https','port':443}]}}");
        ObjectNode out = StrategicMergePatch.apply(live, node("""
                {'spec':{'$setElementOrder/ports':[{'port':9090},{'port':80}],
                         'ports':[{'name':'metrics','port':9090}]}}"""), SERVICE);
        // 9090 before 80 as ordered; 443 (server-only) keeps its place after 80.
        assertThat(out.at("/spec/ports").findValuesAsText("port")).containsExactly("9090", "80", "443");
        assertThat(out.at("/spec/ports/1/targetPort").asText()).isEqualTo("http");
    }

    @Test
    void setElementOrderWithoutChangesReordersTheLiveList() {
        ObjectNode live = object("{'spec':{'ports':[{'port':1},{'port':2},{'port':3}]}}");
        ObjectNode out = StrategicMergePatch.apply(live, node("{'spec':{'$setElementOrder/ports':[{'port':3},{'port':1},{'port':2}]}}"),
                SERVICE);
        assertThat(out.at("/spec/ports").findValuesAsText("port")).containsExactly("3", "1", "2");
    }

    @Test
    void retainKeysClearsKeysNotListed() {
        // Changing a volume from emptyDir to hostPath: kubectl sends $retainKeys so emptyDir goes.
        ObjectNode out = StrategicMergePatch.apply(LIVE_POD, node("""
                {'spec':{'volumes':[{'name':'data','$retainKeys':['hostPath','name'],'hostPath':{'path':'/d'}}]}}"""), POD);
        assertThat(out.at("/spec/volumes/0")).isEqualTo(node("{'name':'data','hostPath':{'path':'/d'}}"));
    }

    @Test
    void retainKeysMustListWhatThePatchSets() {
        assertThatThrownBy(() -> StrategicMergePatch.apply(LIVE_POD, node("""
                {'spec':{'volumes':[{'name':'data','$retainKeys':['name'],'hostPath':{'path':'/d'}}]}}"""), POD))
                .isInstanceOf(ApiException.class).satisfies(e -> assertThat(((ApiException) e).code()).isEqualTo(400));
    }

    @Test
    void newElementsComeFirstWithoutAnOrderAndHaveTheirDirectivesResolved() {
        ObjectNode out = StrategicMergePatch.apply(LIVE_POD, node("""
                {'spec':{'containers':[{'name':'new','image':'i','env':[{'name':'X','value':'1'}]}]}}"""), POD);
        // As in Kubernetes' mergeSortedSlice: an element the live list lacks cannot be placed relative
        // to it, so the patch's elements go first (kubectl apply sends $setElementOrder to avoid this).
        assertThat(out.at("/spec/containers")).extracting(c -> c.get("name").asText()).containsExactly("new", "web", "sidecar");
        assertThat(out.toString()).doesNotContain("$patch");
    }

    @Test
    void theOriginalIsNotModified() {
        ObjectNode before = LIVE_POD.deepCopy();
        StrategicMergePatch.apply(LIVE_POD, node("{'spec':{'containers':[{'name':'web','$patch':'delete'}]}}"), POD);
        assertThat(LIVE_POD).isEqualTo(before);
    }

    @Test
    void malformedPatchesAreBadRequests() {
        assertThatThrownBy(() -> StrategicMergePatch.apply(LIVE_POD, node("[1,2]"), POD))
                .isInstanceOf(ApiException.class).hasMessageContaining("JSON object");
        assertThatThrownBy(() -> StrategicMergePatch.apply(LIVE_POD, node("{'spec':{'containers':[{'image':'no-name'}]}}"), POD))
                .isInstanceOf(ApiException.class).hasMessageContaining("merge key");
        assertThatThrownBy(() -> StrategicMergePatch.apply(LIVE_POD, node("{'spec':{'$patch':'explode'}}"), POD))
                .isInstanceOf(ApiException.class).hasMessageContaining("explode");
    }
}
