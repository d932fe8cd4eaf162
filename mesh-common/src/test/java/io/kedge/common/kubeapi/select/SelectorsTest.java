package io.kedge.common.kubeapi.select;

import static io.kedge.common.kubeapi.Json.node;
import static io.kedge.common.kubeapi.Json.object;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kedge.common.kubeapi.ApiException;
import io.kedge.common.kubeapi.BuiltinTypes;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SelectorsTest {
    private static final JsonNode LABELS = node("{'app':'web','tier':'front','version':'3','example.com/team':'a'}");

    private static boolean labels(String selector) {
        return LabelSelector.parse(selector).matches(LABELS);
    }

    @Test
    void equalityAndInequality() {
        assertThat(labels("app=web")).isTrue();
        assertThat(labels("app==web")).isTrue();
        assertThat(labels("app=db")).isFalse();
        assertThat(labels("app!=db")).isTrue();
        assertThat(labels("missing!=x")).isTrue();
        assertThat(labels("app=web,tier=back")).isFalse();
        assertThat(labels(" app = web , tier = front ")).isTrue();
        assertThat(labels("example.com/team=a")).isTrue();
    }

    @Test
    void setsExistenceAndNumbers() {
        assertThat(labels("app in (web, db)")).isTrue();
        assertThat(labels("app notin (web)")).isFalse();
        assertThat(labels("missing notin (x)")).isTrue();
        assertThat(labels("tier")).isTrue();
        assertThat(labels("!tier")).isFalse();
        assertThat(labels("!missing")).isTrue();
        assertThat(labels("version>2")).isTrue();
        assertThat(labels("version<3")).isFalse();
        assertThat(labels("")).isTrue();
        assertThat(LabelSelector.parse("app=web").matches(node("null"))).isFalse();
        assertThat(LabelSelector.ofEquals(Map.of("app", "web", "tier", "front")).matches(LABELS)).isTrue();
        assertThat(LabelSelector.ofEquals(Map.of("app", "db")).matches(LABELS)).isFalse();
    }

    @Test
    void badLabelSelectorsAre400s() {
        for (String bad : new String[] {"app=", "=web", "app in web", "app in (web", "app >= 3", "a b", "app=we b", "version>x"}) {
            if (bad.equals("app=")) {
                // An empty value is legal: it matches the empty label value.
                assertThat(labels(bad)).isFalse();
                continue;
            }
            assertThatThrownBy(() -> LabelSelector.parse(bad)).as(bad).isInstanceOf(ApiException.class)
                    .satisfies(e -> assertThat(((ApiException) e).code()).isEqualTo(400));
        }
    }

    @Test
    void fieldSelectorsReadDottedPathsOfSelectableFields() {
        ObjectNode pod = object("{'metadata':{'name':'p','namespace':'ns'},'spec':{'nodeName':'n1'},'status':{'phase':'Running'}}");
        assertThat(FieldSelector.parse("spec.nodeName=n1", BuiltinTypes.PODS).matches(pod)).isTrue();
        assertThat(FieldSelector.parse("spec.nodeName==n2", BuiltinTypes.PODS).matches(pod)).isFalse();
        assertThat(FieldSelector.parse("spec.nodeName!=n2,metadata.namespace=ns", BuiltinTypes.PODS).matches(pod)).isTrue();
        assertThat(FieldSelector.parse("metadata.name=p,status.phase=Running", BuiltinTypes.PODS).matches(pod)).isTrue();
        assertThat(FieldSelector.parse("spec.nodeName=", BuiltinTypes.PODS).matches(object("{'spec':{}}"))).isTrue();
        assertThat(FieldSelector.parse("metadata.name=a\\,b", BuiltinTypes.PODS).matches(object("{'metadata':{'name':'a,b'}}"))).isTrue();
    }

    @Test
    void unsupportedFieldsAndSyntaxAre400s() {
        assertThatThrownBy(() -> FieldSelector.parse("spec.nodeName=n1", BuiltinTypes.SERVICES))
                .isInstanceOf(ApiException.class).hasMessageContaining("field label not supported: spec.nodeName");
        assertThatThrownBy(() -> FieldSelector.parse("metadata.name", BuiltinTypes.PODS))
                .isInstanceOf(ApiException.class).hasMessageContaining("no operator");
    }
}
