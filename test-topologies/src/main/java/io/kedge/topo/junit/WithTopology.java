package io.kedge.topo.junit;

import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Brings a topology up once for the annotated test class and tears it down after its last test,
 * also when tests fail. Tests receive the live {@link io.kedge.topo.live.Topology} as a parameter
 * (of {@code @BeforeAll}, constructors or test methods). When a test fails, the output of every
 * process started in the topology is printed.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Inherited
@ExtendWith(TopologyExtension.class)
public @interface WithTopology {
    /** A classpath resource such as {@code topologies/demo.yaml}, or a file path. */
    String value();
}
