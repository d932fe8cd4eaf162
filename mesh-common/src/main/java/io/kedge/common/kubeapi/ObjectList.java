package io.kedge.common.kubeapi;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/** The objects of a list and the resourceVersion they are current at (where a watch should resume). */
public record ObjectList(List<ObjectNode> items, long resourceVersion) {
    public ObjectList {
        items = List.copyOf(items);
    }
}
