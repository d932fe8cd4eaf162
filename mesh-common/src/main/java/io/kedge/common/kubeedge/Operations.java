package io.kedge.common.kubeedge;

import java.util.Set;

/** Operations, groups and module names of KubeEdge's cloud-edge messages (see kubeedge-wire.md). */
public final class Operations {
    public static final String INSERT = "insert";
    public static final String UPDATE = "update";
    public static final String PATCH = "patch";
    public static final String DELETE = "delete";
    public static final String QUERY = "query";
    public static final String RESPONSE = "response";
    public static final String ERROR = "error";
    public static final String UPLOAD = "upload";
    public static final String KEEPALIVE = "keepalive";
    public static final String CONNECT = "connect";

    /** Every operation a peer may send; anything else is answered with an error. */
    public static final Set<String> ALL = Set.of(INSERT, UPDATE, PATCH, DELETE, QUERY, RESPONSE, ERROR, UPLOAD, KEEPALIVE,
            CONNECT, "updated", "deleted", "get", "detail", "delta", "document");

    public static final String GROUP_RESOURCE = "resource";
    public static final String GROUP_TWIN = "twin";
    public static final String GROUP_USER = "user";
    public static final String GROUP_META = "meta";
    public static final String GROUP_BUS = "bus";
    public static final String GROUP_HUB = "hub";

    public static final String SOURCE_EDGECONTROLLER = "edgecontroller";
    public static final String SOURCE_DEVICECONTROLLER = "devicecontroller";
    public static final String SOURCE_CLOUDHUB = "cloudhub";
    public static final String SOURCE_SYNCCONTROLLER = "synccontroller";
    public static final String SOURCE_METAMANAGER = "metamanager";
    public static final String SOURCE_EDGED = "edged";
    public static final String SOURCE_WEBSOCKET = "websocket";

    private Operations() {
    }
}
