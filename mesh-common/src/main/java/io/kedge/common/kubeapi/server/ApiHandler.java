package io.kedge.common.kubeapi.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kedge.common.kubeapi.ApiException;
import io.kedge.common.kubeapi.KubeObjects;
import io.kedge.common.kubeapi.ObjectList;
import io.kedge.common.kubeapi.Preconditions;
import io.kedge.common.kubeapi.ResourceStore;
import io.kedge.common.kubeapi.ResourceType;
import io.kedge.common.kubeapi.ResourceTypes;
import io.kedge.common.kubeapi.WriteOptions;
import io.kedge.common.kubeapi.patch.Patch;
import io.kedge.common.kubeapi.patch.PatchType;
import io.kedge.common.kubeapi.select.FieldSelector;
import io.kedge.common.kubeapi.select.LabelSelector;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes Kubernetes REST requests to a {@link ResourceStore}: discovery, OpenAPI, health, and for every
 * registered type get, list (selectors, pagination), watch, create, update, patch, delete and
 * deletecollection, on the object or its status subresource. Every failure is answered with a
 * {@code Status} object.
 */
final class ApiHandler extends Handler.Abstract {
    private static final Logger log = LoggerFactory.getLogger(ApiHandler.class);
    private static final Set<String> PUBLIC_PATHS = Set.of("/healthz", "/livez", "/readyz", "/version");
    private static final Set<String> PROPAGATION = Set.of("Orphan", "Background", "Foreground");

    private final KubeApiServer.Settings settings;
    private final ResourceStore store;
    private final ResourceTypes types;
    private final Discovery discovery;
    private final OpenApi openApi;
    private final OpenApiV2 openApiV2;
    private final RequestBodies bodies;
    private final ApiMetrics metrics;
    private final ScheduledExecutorService scheduler;
    private final Clock clock;
    private final List<WatchStream> openWatches = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Supplier<String> serverAddress;

    ApiHandler(KubeApiServer.Settings settings, ScheduledExecutorService scheduler, ApiMetrics metrics, Supplier<String> serverAddress) {
        this.settings = settings;
        this.store = settings.store();
        this.types = settings.types();
        this.discovery = new Discovery(types);
        this.openApi = new OpenApi(types, settings.gitVersion());
        this.openApiV2 = new OpenApiV2(types, settings.gitVersion());
        this.bodies = new RequestBodies(settings.maxBodyBytes());
        this.metrics = metrics;
        this.scheduler = scheduler;
        this.clock = settings.clock();
        this.serverAddress = serverAddress;
    }

    /** What one request is about, for routing and for the request metric. */
    private static final class Call {
        final Request request;
        final Response response;
        final Callback callback;
        final Fields query;
        final String queryError;
        String verb = "other";
        String resource = "";
        int code;

        Call(Request request, Response response, Callback callback) {
            this.request = request;
            this.response = response;
            this.callback = callback;
            Fields parsed;
            String problem = null;
            try {
                parsed = Request.extractQueryParameters(request);
            } catch (RuntimeException e) {
                parsed = new Fields();
                problem = e.getMessage();
            }
            this.query = parsed;
            this.queryError = problem;
        }

        String param(String name) {
            Fields.Field f = query.get(name);
            return f == null ? null : f.getValue();
        }

        boolean flag(String name) {
            String v = param(name);
            return v != null && (v.equals("true") || v.equals("1"));
        }
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        Call call = new Call(request, response, callback);
        try {
            if (call.queryError != null) {
                throw ApiException.badRequest("malformed query string: " + call.queryError);
            }
            String path = normalize(request.getHttpURI().getDecodedPath());
            if (!PUBLIC_PATHS.contains(path) && !authenticated(request)) {
                throw ApiException.unauthorized();
            }
            route(call, path);
        } catch (ApiException e) {
            sendStatus(call, e);
        } catch (RuntimeException e) {
            log.error("{} {} failed", request.getMethod(), request.getHttpURI().getPathQuery(), e);
            sendStatus(call, ApiException.internal(e.toString()));
        }
        return true;
    }

    private boolean authenticated(Request request) {
        if (settings.bearerTokens().isEmpty()) {
            return true;
        }
        String header = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        byte[] offered = header.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        boolean ok = false;
        for (String token : settings.bearerTokens()) {
            ok |= MessageDigest.isEqual(offered, token.getBytes(StandardCharsets.UTF_8));
        }
        return ok;
    }

    private static String normalize(String path) {
        if (path == null || path.isEmpty()) {
            return "/";
        }
        while (path.length() > 1 && path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        return path;
    }

    // ---- routing ----

    private void route(Call call, String path) {
        String method = call.request.getMethod();
        switch (path) {
            case "/healthz", "/livez" -> {
                call.verb = "health";
                sendText(call, 200, "ok");
                return;
            }
            case "/readyz" -> {
                call.verb = "health";
                String problem = settings.readiness().get();
                sendText(call, problem == null ? 200 : 503, problem == null ? "ok" : "not ready: " + problem);
                return;
            }
            case "/version" -> {
                call.verb = "discovery";
                sendJson(call, 200, version());
                return;
            }
            case "/" -> {
                call.verb = "discovery";
                ObjectNode root = KubeObjects.JSON.createObjectNode();
                var paths = root.putArray("paths");
                List.of("/api", "/api/v1", "/apis", "/healthz", "/livez", "/openapi/v2", "/openapi/v3", "/readyz", "/version").forEach(paths::add);
                sendJson(call, 200, root);
                return;
            }
            default -> {
            }
        }
        if (path.startsWith("/healthz/") || path.startsWith("/livez/") || path.startsWith("/readyz/")) {
            call.verb = "health";
            sendText(call, 200, "ok");
            return;
        }
        if (path.startsWith("/openapi/")) {
            call.verb = "openapi";
            openApi(call, path);
            return;
        }
        List<String> segments = new ArrayList<>(Arrays.asList(path.substring(1).split("/")));
        String group;
        String version;
        List<String> rest;
        if (segments.get(0).equals("api")) {
            call.verb = "discovery";
            if (segments.size() == 1) {
                requireGet(method);
                Representation r = Representation.negotiate(accept(call));
                if (r == Representation.AGGREGATED_DISCOVERY) {
                    sendJson(call, 200, discovery.aggregated(true), Representation.AGGREGATED_DISCOVERY_TYPE);
                } else {
                    sendJson(call, 200, discovery.coreVersions(serverAddress.get()));
                }
                return;
            }
            group = "";
            version = segments.get(1);
            rest = segments.subList(2, segments.size());
        } else if (segments.get(0).equals("apis")) {
            call.verb = "discovery";
            if (segments.size() == 1) {
                requireGet(method);
                Representation r = Representation.negotiate(accept(call));
                if (r == Representation.AGGREGATED_DISCOVERY) {
                    sendJson(call, 200, discovery.aggregated(false), Representation.AGGREGATED_DISCOVERY_TYPE);
                } else {
                    sendJson(call, 200, discovery.groupList());
                }
                return;
            }
            if (segments.size() == 2) {
                requireGet(method);
                sendJson(call, 200, orNotFound(discovery.group(segments.get(1))));
                return;
            }
            group = segments.get(1);
            version = segments.get(2);
            rest = segments.subList(3, segments.size());
        } else {
            throw notFound();
        }
        if (rest.isEmpty()) {
            requireGet(method);
            sendJson(call, 200, orNotFound(discovery.resourceList(group, version)));
            return;
        }
        resource(call, group, version, rest);
    }

    private void openApi(Call call, String path) {
        requireGet(call.request.getMethod());
        if (path.equals("/openapi/v3")) {
            sendJson(call, 200, openApi.index());
            return;
        }
        if (path.startsWith("/openapi/v3/api/") || path.startsWith("/openapi/v3/apis/")) {
            String[] parts = path.substring("/openapi/v3/".length()).split("/");
            ObjectNode doc = parts[0].equals("api") && parts.length == 2 ? openApi.document("", parts[1])
                    : parts[0].equals("apis") && parts.length == 3 ? openApi.document(parts[1], parts[2]) : null;
            sendJson(call, 200, orNotFound(doc));
            return;
        }
        if (path.equals("/openapi/v2")) {
            Boolean protobuf = OpenApiV2.wantsProtobuf(accept(call));
            if (protobuf == null) {
                throw ApiException.notAcceptable("only the following media types are accepted: application/json, "
                        + OpenApiV2.PROTOBUF_TYPE);
            }
            OpenApiV2.Encoded doc = openApiV2.encoded();
            if (protobuf) {
                // Kubernetes answers application/octet-stream: the requested type, with its '@', is not
                // a valid media type and Go's mime parser (hence client-go) rejects it.
                send(call, 200, "application/octet-stream", doc.protobuf());
            } else {
                send(call, 200, "application/json", doc.json());
            }
            return;
        }
        throw notFound();
    }

    private void resource(Call call, String group, String version, List<String> path) {
        List<String> rest = new ArrayList<>(path);
        boolean legacyWatch = false;
        if (rest.get(0).equals("watch")) {
            legacyWatch = true;
            rest.remove(0);
        }
        String namespace = null;
        if (rest.size() >= 3 && rest.get(0).equals("namespaces")
                && types.find(group, version, rest.get(2)).map(ResourceType::namespaced).orElse(false)) {
            namespace = rest.get(1);
            rest = rest.subList(2, rest.size());
        }
        if (rest.isEmpty() || rest.size() > 3) {
            throw notFound();
        }
        ResourceType type = types.find(group, version, rest.get(0)).orElseThrow(ApiHandler::notFound);
        String name = rest.size() > 1 ? rest.get(1) : null;
        String subresource = rest.size() > 2 ? rest.get(2) : null;
        if (subresource != null && !(subresource.equals("status") && type.statusSubresource())) {
            throw notFound();
        }
        if (type.namespaced() && namespace == null && name != null) {
            throw notFound();
        }
        call.resource = type.groupResource().toString();
        String method = call.request.getMethod();
        boolean status = subresource != null;
        switch (method) {
            case "GET" -> {
                if (legacyWatch || call.flag("watch")) {
                    call.verb = "watch";
                    watch(call, type, namespace, name);
                } else if (name == null) {
                    call.verb = "list";
                    list(call, type, namespace);
                } else {
                    call.verb = "get";
                    get(call, type, namespace, name);
                }
            }
            case "POST" -> {
                call.verb = "create";
                if (name != null) {
                    throw ApiException.methodNotAllowed("POST is not allowed on a named object; use PUT or PATCH");
                }
                create(call, type, namespace);
            }
            case "PUT" -> {
                call.verb = "update";
                requireName(name, method);
                update(call, type, namespace, name, status);
            }
            case "PATCH" -> {
                call.verb = "patch";
                requireName(name, method);
                patch(call, type, namespace, name, status);
            }
            case "DELETE" -> {
                if (status) {
                    throw ApiException.methodNotAllowed("the status subresource cannot be deleted");
                }
                if (name == null) {
                    call.verb = "deletecollection";
                    deleteCollection(call, type, namespace);
                } else {
                    call.verb = "delete";
                    delete(call, type, namespace, name);
                }
            }
            default -> throw ApiException.methodNotAllowed("the server does not allow this method on the requested resource");
        }
    }

    // ---- verbs ----

    private void get(Call call, ResourceType type, String namespace, String name) {
        requireVerb(type, "get");
        Renderer renderer = renderer(call, type);
        sendJson(call, 200, renderer.single(store.get(type, namespace, name)));
    }

    private void list(Call call, ResourceType type, String namespace) {
        requireVerb(type, "list");
        Renderer renderer = renderer(call, type);
        LabelSelector labels = LabelSelector.parse(call.param("labelSelector"));
        FieldSelector fields = FieldSelector.parse(call.param("fieldSelector"), type);
        ObjectList all = store.list(type, namespace);
        checkListVersion(call, all.resourceVersion());

        long listVersion = all.resourceVersion();
        String start = null;
        String token = call.param("continue");
        if (token != null && !token.isEmpty()) {
            ContinueToken decoded = ContinueToken.decode(token);
            listVersion = decoded.resourceVersion();
            start = decoded.start();
        }
        List<ObjectNode> matching = new ArrayList<>();
        for (ObjectNode o : all.items()) {
            if (start != null && ContinueToken.key(o).compareTo(start) < 0) {
                continue;
            }
            if (labels.matches(KubeObjects.labels(o)) && fields.matches(o)) {
                matching.add(o);
            }
        }
        long limit = parseLong(call.param("limit"), "limit", 0);
        String next = null;
        Long remaining = null;
        if (limit > 0 && matching.size() > limit) {
            next = new ContinueToken(listVersion, ContinueToken.key(matching.get((int) limit))).encode();
            remaining = (long) matching.size() - limit;
            matching = matching.subList(0, (int) limit);
        }
        sendJson(call, 200, renderer.list(matching, listVersion, next, remaining));
    }

    /** resourceVersion / resourceVersionMatch of a list, against what the store can serve (its newest state). */
    private void checkListVersion(Call call, long current) {
        String rv = call.param("resourceVersion");
        String match = call.param("resourceVersionMatch");
        if (match != null && !match.isEmpty()) {
            if (rv == null || rv.isEmpty()) {
                throw ApiException.badRequest("resourceVersionMatch is forbidden unless resourceVersion is provided");
            }
            if (!match.equals("Exact") && !match.equals("NotOlderThan")) {
                throw ApiException.badRequest("resourceVersionMatch: Unsupported value: \"" + match + "\": supported values: "
                        + "\"Exact\", \"NotOlderThan\"");
            }
        }
        Long requested = "0".equals(rv) ? null : KubeObjects.parseResourceVersion(rv);
        if (requested == null) {
            return;
        }
        if (requested > current) {
            throw ApiException.resourceVersionTooLarge(requested, current);
        }
        if ("Exact".equals(match) && requested != current) {
            throw ApiException.gone("too old resource version: " + requested + " (" + current + ")");
        }
    }

    private void watch(Call call, ResourceType type, String namespace, String name) {
        requireVerb(type, "watch");
        // Jetty consumes the Upgrade header it cannot honour; the WebSocket key tells the handshake apart.
        if (call.request.getHeaders().get("Sec-WebSocket-Key") != null) {
            // Watches are served as HTTP streams only. A WebSocket handshake gets a complete, empty 200
            // (a watch that ended at once): clients such as fabric8 then fall back to HTTP streaming,
            // where an answer that never completes would leave their handshake waiting.
            send(call, 200, "application/json", new byte[0]);
            return;
        }
        Renderer renderer = renderer(call, type);
        LabelSelector labels = LabelSelector.parse(call.param("labelSelector"));
        String fieldText = call.param("fieldSelector");
        if (name != null) {
            fieldText = (fieldText == null || fieldText.isEmpty() ? "" : fieldText + ",") + "metadata.name=" + name;
        }
        FieldSelector fields = FieldSelector.parse(fieldText, type);
        boolean initialEvents = call.flag("sendInitialEvents");
        String rv = call.param("resourceVersion");
        String from = initialEvents ? null : rv;
        long requested = parseLong(call.param("timeoutSeconds"), "timeoutSeconds", 0);
        long max = settings.maxWatchSeconds();
        // Like the API server: a watch without a timeout gets one between max/2 and max, so that
        // clients do not all reconnect at once.
        long seconds = requested > 0 ? Math.min(requested, max) : ThreadLocalRandom.current().nextLong(max / 2, max + 1);

        Response response = call.response;
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache, private");
        EndPoint endPoint = call.request.getConnectionMetaData().getConnection().getEndPoint();
        long idleBefore = endPoint.getIdleTimeout();
        endPoint.setIdleTimeout(TimeUnit.SECONDS.toMillis(seconds + 60));

        String resource = call.resource;
        List<ScheduledFuture<?>> timers = new ArrayList<>();
        WatchStream[] self = new WatchStream[1];
        Runnable onEnd = () -> {
            timers.forEach(t -> t.cancel(false));
            openWatches.remove(self[0]);
            endPoint.setIdleTimeout(idleBefore);
            metrics.watchClosed(resource);
        };
        boolean bookmarks = call.flag("allowWatchBookmarks");
        WatchStream stream = new WatchStream(response, call.callback, getServer().getThreadPool(), renderer,
                new WatchStream.Options(labels, fields, bookmarks, initialEvents), onEnd);
        self[0] = stream;
        metrics.watchOpened(resource);
        metrics.request("watch", resource, 200);
        openWatches.add(stream);
        stream.start(listener -> store.watch(type, namespace, from, listener));
        timers.add(scheduler.schedule(stream::finish, seconds, TimeUnit.SECONDS));
        if (bookmarks && stream.storeWatch() != null) {
            long every = settings.bookmarkInterval().toMillis();
            timers.add(scheduler.scheduleWithFixedDelay(() -> {
                var w = stream.storeWatch();
                if (w != null) {
                    w.bookmark();
                }
            }, every, every, TimeUnit.MILLISECONDS));
        }
    }

    private void create(Call call, ResourceType type, String namespace) {
        requireVerb(type, "create");
        ObjectNode object = objectBody(call, type);
        placeNamespace(type, object, namespace);
        ObjectNode created = store.create(type, object, writeOptions(call, false));
        sendJson(call, 201, renderer(call, type).versioned(created));
    }

    private void update(Call call, ResourceType type, String namespace, String name, boolean status) {
        requireVerb(type, "update");
        ObjectNode object = objectBody(call, type);
        placeName(object, name);
        placeNamespace(type, object, namespace);
        ObjectNode updated = store.update(type, object, writeOptions(call, status));
        sendJson(call, 200, renderer(call, type).versioned(updated));
    }

    private void patch(Call call, ResourceType type, String namespace, String name, boolean status) {
        requireVerb(type, "patch");
        String contentType = call.request.getHeaders().get(HttpHeader.CONTENT_TYPE);
        PatchType patchType = PatchType.fromContentType(contentType);
        if (patchType == null) {
            throw ApiException.unsupportedMediaType("the body of the request was in an unknown format - accepted media types "
                    + "include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
                    + (type.strategicMerge() ? ", application/strategic-merge-patch+json" : ""));
        }
        JsonNode body = bodies.parse(call.request, bodies.read(call.request));
        boolean existed = true;
        if (patchType == PatchType.APPLY) {
            String manager = call.param("fieldManager");
            if (manager == null || manager.isEmpty()) {
                throw ApiException.badRequest("PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: "
                        + "is required for apply patch");
            }
            if (!body.isObject()) {
                throw ApiException.badRequest("an apply patch must be an object");
            }
            checkKind(type, (ObjectNode) body);
            placeName((ObjectNode) body, name);
            placeNamespace(type, (ObjectNode) body, namespace);
            existed = exists(type, namespace, name);
        }
        ObjectNode patched = store.patch(type, namespace, name, new Patch(patchType, body), writeOptions(call, status));
        sendJson(call, existed ? 200 : 201, renderer(call, type).versioned(patched));
    }

    private boolean exists(ResourceType type, String namespace, String name) {
        try {
            store.get(type, namespace, name);
            return true;
        } catch (ApiException e) {
            if (e.code() == 404) {
                return false;
            }
            throw e;
        }
    }

    private void delete(Call call, ResourceType type, String namespace, String name) {
        requireVerb(type, "delete");
        DeleteRequest options = deleteOptions(call);
        ObjectNode deleted = store.delete(type, namespace, name, options.preconditions(), options.write());
        sendJson(call, 200, renderer(call, type).versioned(deleted));
    }

    private void deleteCollection(Call call, ResourceType type, String namespace) {
        requireVerb(type, "deletecollection");
        DeleteRequest options = deleteOptions(call);
        LabelSelector labels = LabelSelector.parse(call.param("labelSelector"));
        FieldSelector fields = FieldSelector.parse(call.param("fieldSelector"), type);
        List<ObjectNode> deleted = new ArrayList<>();
        for (ObjectNode o : store.list(type, namespace).items()) {
            if (!labels.matches(KubeObjects.labels(o)) || !fields.matches(o)) {
                continue;
            }
            try {
                deleted.add(store.delete(type, KubeObjects.namespace(o), KubeObjects.name(o), Preconditions.NONE, options.write()));
            } catch (ApiException e) {
                if (e.code() != 404) {
                    throw e;
                }
            }
        }
        sendJson(call, 200, renderer(call, type).list(deleted, store.resourceVersion(), null, null));
    }

    private record DeleteRequest(Preconditions preconditions, WriteOptions write) {
    }

    /** DeleteOptions from the body (optional) and the query; propagation is accepted and validated. */
    private DeleteRequest deleteOptions(Call call) {
        byte[] raw = bodies.read(call.request);
        String uid = null;
        String rv = null;
        boolean dryRun = dryRun(call.param("dryRun"));
        String propagation = call.param("propagationPolicy");
        if (raw.length > 0) {
            JsonNode body = bodies.parse(call.request, raw);
            if (!body.isObject()) {
                throw ApiException.badRequest("DeleteOptions must be an object");
            }
            uid = body.path("preconditions").path("uid").asText(null);
            rv = body.path("preconditions").path("resourceVersion").asText(null);
            for (JsonNode d : body.path("dryRun")) {
                dryRun |= dryRun(d.asText());
            }
            if (body.hasNonNull("propagationPolicy")) {
                propagation = body.get("propagationPolicy").asText();
            }
            if (body.has("gracePeriodSeconds") && !body.get("gracePeriodSeconds").isNull() && !body.get("gracePeriodSeconds").canConvertToLong()) {
                throw ApiException.badRequest("gracePeriodSeconds must be an integer");
            }
        }
        if (propagation != null && !propagation.isEmpty() && !PROPAGATION.contains(propagation)) {
            throw ApiException.badRequest("propagationPolicy: Unsupported value: \"" + propagation + "\": supported values: "
                    + "\"Orphan\", \"Background\", \"Foreground\"");
        }
        parseLong(call.param("gracePeriodSeconds"), "gracePeriodSeconds", 0);
        return new DeleteRequest(new Preconditions(uid, rv), new WriteOptions(dryRun, false));
    }

    // ---- request helpers ----

    private WriteOptions writeOptions(Call call, boolean status) {
        String validation = call.param("fieldValidation");
        if (validation != null && !validation.isEmpty() && !Set.of("Ignore", "Warn", "Strict").contains(validation)) {
            throw ApiException.badRequest("fieldValidation: Unsupported value: \"" + validation + "\": supported values: "
                    + "\"Ignore\", \"Warn\", \"Strict\"");
        }
        return new WriteOptions(dryRun(call.param("dryRun")), status);
    }

    private static boolean dryRun(String value) {
        if (value == null || value.isEmpty()) {
            return false;
        }
        if (!value.equals("All")) {
            throw ApiException.badRequest("dryRun: Unsupported value: \"" + value + "\": supported values: \"All\"");
        }
        return true;
    }

    private ObjectNode objectBody(Call call, ResourceType type) {
        JsonNode body = bodies.parse(call.request, bodies.read(call.request));
        if (!body.isObject()) {
            throw ApiException.badRequest("the request body must be a JSON object (got " + body.getNodeType().name().toLowerCase(java.util.Locale.ROOT) + ")");
        }
        checkKind(type, (ObjectNode) body);
        return (ObjectNode) body;
    }

    /** The body's kind and apiVersion, when given, must be the URL's (any served version of the group). */
    private void checkKind(ResourceType type, ObjectNode body) {
        String kind = body.path("kind").asText("");
        if (!kind.isEmpty() && !kind.equals(type.kind())) {
            throw ApiException.badRequest("the object's kind \"" + kind + "\" does not match the resource " + type.plural()
                    + " (kind \"" + type.kind() + "\")");
        }
        String apiVersion = body.path("apiVersion").asText("");
        if (!apiVersion.isEmpty() && !apiVersion.equals(type.apiVersion())
                && types.byKind(apiVersion, type.kind()).filter(t -> t.groupResource().equals(type.groupResource())).isEmpty()) {
            throw ApiException.badRequest("the API version in the data (" + apiVersion + ") does not match the expected API version ("
                    + type.apiVersion() + ")");
        }
    }

    private static void placeName(ObjectNode object, String name) {
        String inBody = KubeObjects.name(object);
        if (inBody == null || inBody.isEmpty()) {
            KubeObjects.metadata(object).put("name", name);
        } else if (!inBody.equals(name)) {
            throw ApiException.badRequest("the name of the object (" + inBody + ") does not match the name on the URL (" + name + ")");
        }
    }

    private static void placeNamespace(ResourceType type, ObjectNode object, String namespace) {
        if (!type.namespaced()) {
            return;
        }
        if (namespace == null) {
            throw ApiException.methodNotAllowed("a namespaced object is created through /namespaces/{namespace}/" + type.plural());
        }
        String inBody = KubeObjects.namespace(object);
        if (inBody == null || inBody.isEmpty()) {
            KubeObjects.metadata(object).put("namespace", namespace);
        } else if (!inBody.equals(namespace)) {
            throw ApiException.badRequest("the namespace of the provided object does not match the namespace sent on the request");
        }
    }

    private Renderer renderer(Call call, ResourceType type) {
        Representation r = "GET".equals(call.request.getMethod()) ? Representation.negotiate(accept(call)) : Representation.JSON;
        if (r == null) {
            throw ApiException.notAcceptable("only the following media types are accepted: application/json, "
                    + "application/json;as=Table;v=v1;g=meta.k8s.io, application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io");
        }
        if (r == Representation.AGGREGATED_DISCOVERY) {
            r = Representation.JSON;
        }
        return new Renderer(type, r, call.param("includeObject"), clock.instant());
    }

    private static String accept(Call call) {
        return call.request.getHeaders().get(HttpHeader.ACCEPT);
    }

    private static void requireVerb(ResourceType type, String verb) {
        if (!type.supports(verb)) {
            throw ApiException.methodNotAllowed(type.groupResource() + " does not support " + verb);
        }
    }

    private static void requireGet(String method) {
        if (!method.equals("GET") && !method.equals("HEAD")) {
            throw ApiException.methodNotAllowed("only GET is allowed here");
        }
    }

    private static void requireName(String name, String method) {
        if (name == null) {
            throw ApiException.methodNotAllowed(method + " needs an object name in the URL");
        }
    }

    private static long parseLong(String text, String name, long fallback) {
        Long value = KubeObjects.parseCount(text, name);
        return value == null ? fallback : value;
    }

    private static ObjectNode orNotFound(ObjectNode doc) {
        if (doc == null) {
            throw notFound();
        }
        return doc;
    }

    private static ApiException notFound() {
        return new ApiException(404, "NotFound", "the server could not find the requested resource");
    }

    private ObjectNode version() {
        ObjectNode v = KubeObjects.JSON.createObjectNode();
        String git = settings.gitVersion();
        String[] parts = git.replaceFirst("^v", "").split("[.+-]");
        v.put("major", parts[0]);
        v.put("minor", parts.length > 1 ? parts[1] : "0");
        v.put("gitVersion", git);
        v.put("gitCommit", "");
        v.put("gitTreeState", "clean");
        v.put("buildDate", "1970-01-01T00:00:00Z");
        v.put("goVersion", "java" + Runtime.version().feature());
        v.put("compiler", "kedge");
        v.put("platform", "linux/amd64");
        return v;
    }

    // ---- responses ----

    private void sendJson(Call call, int code, ObjectNode body) {
        sendJson(call, code, body, "application/json");
    }

    private void sendJson(Call call, int code, ObjectNode body, String contentType) {
        byte[] bytes;
        try {
            bytes = call.flag("pretty") ? KubeObjects.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(body)
                    : KubeObjects.JSON.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw ApiException.internal("could not encode the answer: " + e.getOriginalMessage());
        }
        send(call, code, contentType, bytes);
    }

    private void sendText(Call call, int code, String text) {
        send(call, code, "text/plain; charset=utf-8", text.getBytes(StandardCharsets.UTF_8));
    }

    private void sendStatus(Call call, ApiException e) {
        if (e.code() >= 500) {
            log.warn("{} {}: {}", call.request.getMethod(), call.request.getHttpURI().getPathQuery(), e.getMessage());
        } else {
            log.debug("{} {}: {} {}", call.request.getMethod(), call.request.getHttpURI().getPathQuery(), e.code(), e.getMessage());
        }
        if (!bodies.discardRest(call.request)) {
            call.response.getHeaders().put(HttpHeader.CONNECTION, "close");
        }
        try {
            send(call, e.code(), "application/json", KubeObjects.JSON.writeValueAsBytes(e.toStatus()));
        } catch (JsonProcessingException impossible) {
            send(call, 500, "text/plain", "internal error".getBytes(StandardCharsets.UTF_8));
        }
    }

    private void send(Call call, int code, String contentType, byte[] body) {
        call.code = code;
        metrics.request(call.verb, call.resource, code);
        Response response = call.response;
        response.setStatus(code);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache, private");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        response.write(true, ByteBuffer.wrap(body), call.callback);
    }

    /** Ends every open watch (server stopping). */
    void finishWatches() {
        openWatches.forEach(WatchStream::finish);
    }

    /**
     * A list continuation: the list's resourceVersion and the key (namespace, name) of the next object.
     * Later pages are read from the current state, so a client that follows a paginated list with a
     * watch from the first page's resourceVersion sees every change that pages missed.
     */
    private record ContinueToken(long resourceVersion, String start) {
        static String key(ObjectNode o) {
            String ns = KubeObjects.namespace(o);
            return (ns == null ? "" : ns) + '\0' + KubeObjects.name(o);
        }

        String encode() {
            ObjectNode n = KubeObjects.JSON.createObjectNode();
            n.put("v", "meta.k8s.io/v1");
            n.put("rv", resourceVersion);
            n.put("start", start);
            return Base64.getUrlEncoder().withoutPadding().encodeToString(n.toString().getBytes(StandardCharsets.UTF_8));
        }

        static ContinueToken decode(String token) {
            try {
                JsonNode n = KubeObjects.JSON.readTree(Base64.getUrlDecoder().decode(token));
                if (!n.path("rv").canConvertToLong() || !n.path("start").isTextual()) {
                    throw new IllegalArgumentException("missing fields");
                }
                return new ContinueToken(n.get("rv").asLong(), n.get("start").asText());
            } catch (IllegalArgumentException | java.io.IOException e) {
                throw ApiException.badRequest("invalid continue token: " + e.getMessage());
            }
        }
    }
}
