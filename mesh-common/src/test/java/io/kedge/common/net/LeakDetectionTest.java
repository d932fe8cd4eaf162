package io.kedge.common.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LeakDetectionTest {
    private ResourceLeakDetector.Level before;
    private String property;

    @BeforeEach
    void remember() {
        before = ResourceLeakDetector.getLevel();
        property = System.getProperty(LeakDetection.PROPERTY);
    }

    @AfterEach
    void restore() {
        ResourceLeakDetector.setLevel(before);
        if (property == null) {
            System.clearProperty(LeakDetection.PROPERTY);
        } else {
            System.setProperty(LeakDetection.PROPERTY, property);
        }
    }

    @Test
    void offWhenNobodyAskedForALevel() {
        System.clearProperty(LeakDetection.PROPERTY);
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.SIMPLE);

        assertThat(LeakDetection.productionDefault()).isEqualTo(ResourceLeakDetector.Level.DISABLED);
        assertThat(ResourceLeakDetector.isEnabled()).isFalse();
    }

    @Test
    void aLevelSetOnTheCommandLineStays() {
        System.setProperty(LeakDetection.PROPERTY, "paranoid");
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);

        assertThat(LeakDetection.productionDefault()).isEqualTo(ResourceLeakDetector.Level.PARANOID);
    }
}
