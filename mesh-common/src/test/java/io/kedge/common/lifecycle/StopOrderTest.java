package io.kedge.common.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StopOrderTest {
    @Test
    void stopsNewestFirstAndCarriesOnPastAFailure() {
        List<String> stopped = new ArrayList<>();
        StopOrder order = new StopOrder();
        order.push(() -> stopped.add("admin"));
        order.push(() -> {
            stopped.add("store");
            throw new IllegalStateException("disk gone");
        });
        order.push(() -> stopped.add("proxy"));
        order.stopAll();
        assertThat(stopped).containsExactly("proxy", "store", "admin");
        assertThat(order.isEmpty()).isTrue();
        order.stopAll();
        assertThat(stopped).hasSize(3);
    }
}
