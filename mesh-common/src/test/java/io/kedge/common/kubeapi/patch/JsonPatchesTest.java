package io.kedge.common.kubeapi.patch;

import static io.kedge.common.kubeapi.Json.node;
import static io.kedge.common.kubeapi.Json.object;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kedge.common.kubeapi.ApiException;
import io.kedge.common.kubeapi.BuiltinTypes;
import org.junit.jupiter.api.Test;

/** RFC 7386 merge patches, RFC 6902 JSON patches and how {@link Patch} dispatches them per kind. */
class JsonPatchesTest {
    private static final ObjectNode DEVICE = object("""
            {'apiVersion':'devices.kubeedge.io/v1beta1','kind':'Device','metadata':{'name':'d','labels':{'a':'1'}},
             'spec':{'nodeName':'n1','properties':[{'name':'t'},{'name':'h'}]}}""");

    @Test
    void mergePatchFollowsRfc7386() {
        // RFC 7386 appendix A, a few of its cases.
        assertThat(JsonMergePatch.apply(node("{'a':'b'}"), node("{'a':'c'}"))).isEqualTo(node("{'a':'c'}"));
        assertThat(JsonMergePatch.apply(node("{'a':'b'}"), node("{'b':'c'}"))).isEqualTo(node("{'a':'b','b':'c'}"));
        assertThat(JsonMergePatch.apply(node("{'a':'b','b':'c'}"), node("{'a':null}"))).isEqualTo(node("{'b':'c'}"));
        assertThat(JsonMergePatch.apply(node("{'a':[{'b':'c'}]}"), node("{'a':[1]}"))).isEqualTo(node("{'a':[1]}"));
        assertThat(JsonMergePatch.apply(node("{'e':null}"), node("{'a':1}"))).isEqualTo(node("{'e':null,'a':1}"));
        assertThat(JsonMergePatch.apply(node("{}"), node("{'a':{'bb':{'ccc':null}}}"))).isEqualTo(node("{'a':{'bb':{}}}"));
    }

    @Test
    void jsonPatchAppliesEveryOperation() {
        ObjectNode out = new Patch(PatchType.JSON, node("""
                [{'op':'test','path':'/spec/nodeName','value':'n1'},
                 {'op':'replace','path':'/spec/nodeName','value':'n2'},
                 {'op':'add','path':'/spec/properties/-','value':{'name':'p'}},
                 {'op':'remove','path':'/spec/properties/0'},
                 {'op':'copy','from':'/spec/nodeName','path':'/metadata/labels/node'},
                 {'op':'move','from':'/metadata/labels/a','path':'/metadata/labels/b'}]""")).apply(DEVICE, BuiltinTypes.DEVICES);
        assertThat(out.at("/spec/nodeName").asText()).isEqualTo("n2");
        assertThat(out.at("/spec/properties").findValuesAsText("name")).containsExactly("h", "p");
        assertThat(out.at("/metadata/labels")).isEqualTo(node("{'node':'n2','b':'1'}"));
        assertThat(DEVICE.at("/spec/nodeName").asText()).isEqualTo("n1");
    }

    @Test
    void jsonPatchThatCannotApplyIs422AndMalformedIs400() {
        assertThatThrownBy(() -> new Patch(PatchType.JSON, node("[{'op':'test','path':'/spec/nodeName','value':'other'}]"))
                .apply(DEVICE, BuiltinTypes.DEVICES)).isInstanceOf(ApiException.class)
                .satisfies(e -> assertThat(((ApiException) e).code()).isEqualTo(422));
        assertThatThrownBy(() -> new Patch(PatchType.JSON, node("[{'op':'remove','path':'/spec/missing/x'}]"))
                .apply(DEVICE, BuiltinTypes.DEVICES)).isInstanceOf(ApiException.class)
                .satisfies(e -> assertThat(((ApiException) e).code()).isEqualTo(422));
        assertThatThrownBy(() -> new Patch(PatchType.JSON, node("{'op':'add'}")).apply(DEVICE, BuiltinTypes.DEVICES))
                .isInstanceOf(ApiException.class).satisfies(e -> assertThat(((ApiException) e).code()).isEqualTo(400));
        assertThatThrownBy(() -> new Patch(PatchType.JSON, node("[{'op':'frobnicate','path':'/a'}]")).apply(DEVICE, BuiltinTypes.DEVICES))
                .isInstanceOf(ApiException.class).satisfies(e -> assertThat(((ApiException) e).code()).isEqualTo(400));
        assertThatThrownBy(() -> new Patch(PatchType.JSON, node("[{'op':'add','path':'/a'}]")).apply(DEVICE, BuiltinTypes.DEVICES))
                .isInstanceOf(ApiException.class).hasMessageContaining("value");
    }

    @Test
    void strategicMergeIsRefusedForKindsWithoutMergeKeysAsKubernetesDoesForCustomResources() {
        assertThatThrownBy(() -> new Patch(PatchType.STRATEGIC, node("{'spec':{}}")).apply(DEVICE, BuiltinTypes.DEVICES))
                .isInstanceOf(ApiException.class).satisfies(e -> assertThat(((ApiException) e).code()).isEqualTo(415));
    }

    @Test
    void applyMergesTheAppliedConfiguration() {
        ObjectNode out = new Patch(PatchType.APPLY, node("{'spec':{'nodeName':'n9'}}")).apply(DEVICE, BuiltinTypes.DEVICES);
        assertThat(out.at("/spec/nodeName").asText()).isEqualTo("n9");
        assertThat(out.at("/spec/properties")).hasSize(2);
        assertThat(new Patch(PatchType.APPLY, node("{}")).createsWhenAbsent()).isTrue();
        assertThat(new Patch(PatchType.MERGE, node("{}")).createsWhenAbsent()).isFalse();
    }

    @Test
    void mergePatchBodyMustBeAnObject() {
        assertThatThrownBy(() -> new Patch(PatchType.MERGE, node("[1]")).apply(DEVICE, BuiltinTypes.DEVICES))
                .isInstanceOf(ApiException.class).satisfies(e -> assertThat(((ApiException) e).code()).isEqualTo(400));
    }

    @Test
    void contentTypesMapToPatchTypes() {
        assertThat(PatchType.fromContentType("application/strategic-merge-patch+json; charset=utf-8")).isEqualTo(PatchType.STRATEGIC);
        assertThat(PatchType.fromContentType("application/merge-patch+json")).isEqualTo(PatchType.MERGE);
        assertThat(PatchType.fromContentType("application/json-patch+json")).isEqualTo(PatchType.JSON);
        assertThat(PatchType.fromContentType("application/apply-patch+yaml")).isEqualTo(PatchType.APPLY);
        assertThat(PatchType.fromContentType("application/json")).isNull();
        assertThat(PatchType.fromContentType(null)).isNull();
    }
}
