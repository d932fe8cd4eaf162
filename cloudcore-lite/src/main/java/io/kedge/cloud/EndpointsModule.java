package io.kedge.cloud;

import io.kedge.cloud.endpoints.EndpointsController;
import io.kedge.common.kubeapi.ResourceStore;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.function.Supplier;

/** Runs the {@link EndpointsController} against the store another module provides. */
public final class EndpointsModule implements CloudModule {
    private final Supplier<ResourceStore> store;
    private final Duration resync;
    private final PrometheusRegistry metrics;
    private EndpointsController controller;

    public EndpointsModule(Supplier<ResourceStore> store, Duration resync, PrometheusRegistry metrics) {
        this.store = store;
        this.resync = resync;
        this.metrics = metrics;
    }

    @Override
    public String name() {
        return "endpointsController";
    }

    @Override
    public void start() {
        controller = new EndpointsController(store.get(), resync, metrics);
        controller.start();
    }

    @Override
    public Object status() {
        return controller != null && controller.idle() ? "idle" : "reconciling";
    }

    @Override
    public void close() {
        if (controller != null) {
            controller.close();
        }
    }
}
