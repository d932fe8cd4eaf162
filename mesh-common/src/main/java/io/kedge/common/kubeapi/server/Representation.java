package io.kedge.common.kubeapi.server;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What shape an answer takes, chosen from the Accept header the way the Kubernetes API chooses:
 * the first media range it can serve wins. kubectl asks for {@code as=Table} (server-side printing);
 * metadata informers ask for {@code as=PartialObjectMetadata}; kubectl's discovery asks for the
 * aggregated {@code APIGroupDiscoveryList}; everything else gets plain JSON.
 */
public enum Representation {
    JSON, TABLE, PARTIAL_METADATA, AGGREGATED_DISCOVERY;

    /** Content type of aggregated discovery answers (client-go recognises the format by it). */
    public static final String AGGREGATED_DISCOVERY_TYPE = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

    /** The representation to answer with, or null when the header allows nothing we serve. */
    public static Representation negotiate(String accept) {
        if (accept == null || accept.isBlank()) {
            return JSON;
        }
        for (String range : accept.split(",")) {
            String[] parts = range.split(";");
            String type = parts[0].trim().toLowerCase(Locale.ROOT);
            Map<String, String> params = new HashMap<>();
            for (int i = 1; i < parts.length; i++) {
                String[] kv = parts[i].split("=", 2);
                if (kv.length == 2) {
                    params.put(kv[0].trim(), kv[1].trim());
                }
            }
            if (!(type.equals("application/json") || type.equals("*/*") || type.equals("application/*"))) {
                continue;
            }
            String as = params.get("as");
            if (as == null) {
                return JSON;
            }
            String group = params.getOrDefault("g", "");
            String version = params.getOrDefault("v", "");
            if (as.equals("Table") && group.equals("meta.k8s.io") && (version.equals("v1") || version.equals("v1beta1"))) {
                return TABLE;
            }
            if ((as.equals("PartialObjectMetadata") || as.equals("PartialObjectMetadataList")) && group.equals("meta.k8s.io")
                    && version.equals("v1")) {
                return PARTIAL_METADATA;
            }
            if (as.equals("APIGroupDiscoveryList") && group.equals("apidiscovery.k8s.io") && version.equals("v2")) {
                return AGGREGATED_DISCOVERY;
            }
        }
        return null;
    }
}
