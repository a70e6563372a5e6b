package dev.kemu.api.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kemu.api.model.ResourceCodec;
import dev.kemu.api.model.ResourceKey;
import dev.kemu.api.model.ResourceType;
import dev.kemu.api.model.ResourceTypes;
import dev.kemu.api.patch.ManagedFields;
import dev.kemu.api.patch.PatchEngine;
import dev.kemu.api.patch.PatchOptions;
import dev.kemu.api.patch.PatchResult;
import dev.kemu.api.patch.PatchSchema;
import dev.kemu.api.store.ApiException;
import dev.kemu.api.store.DeleteOptions;
import dev.kemu.api.store.FieldSelector;
import dev.kemu.api.store.LabelSelector;
import dev.kemu.api.store.ListOptions;
import dev.kemu.api.store.ResourceList;
import dev.kemu.api.store.ResourceStore;
import dev.kemu.api.store.WriteOptions;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The resource endpoints of the apiserver ({@code apiserver/pkg/endpoints/handlers}: create, get,
 * list, update, delete, deletecollection, watch, and the {@code status} and {@code scale}
 * subresources) for every kind of the store, namespaced and cluster-scoped.
 */
final class ResourceHandler {
  private final Vertx vertx;
  private final ResourceStore store;
  private final Discovery discovery;
  private final ApiServer.Options options;
  private final WorkerExecutor worker;
  private final TableRenderer tables;
  private final PatchEngine patches;
  private final Set<WatchStream> watches = ConcurrentHashMap.newKeySet();

  ResourceHandler(
      Vertx vertx,
      ResourceStore store,
      Discovery discovery,
      ApiServer.Options options,
      WorkerExecutor worker) {
    this.vertx = vertx;
    this.store = store;
    this.discovery = discovery;
    this.options = options;
    this.worker = worker;
    this.tables = new TableRenderer(store.clock());
    // Custom resources merge by the structure their CRD's schema declares.
    this.patches =
        new PatchEngine(
            PatchSchema.builtIn().withCustomSchemas(discovery::openApiV3Schema), store.clock());
  }

  /** What a request addresses, parsed from its path. */
  record Target(ResourceType type, String namespace, String name, String subresource, String path) {
    boolean collection() {
      return name == null;
    }

    ResourceKey key() {
      return new ResourceKey(type, type.namespaced() ? namespace : "", name);
    }
  }

  /** A response body with its status code and content type. */
  record Reply(int code, String contentType, byte[] body) {
    static Reply json(int code, byte[] body) {
      return new Reply(code, "application/json", body);
    }

    static Reply status(Status status) {
      return json(status.getCode(), ResourceCodec.encode(status));
    }
  }

  void handle(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    String[] parts = splitPath(request.path());
    Target target;
    try {
      if (parts.length == 2 && parts[0].equals("api") && parts[1].equals("v1")) {
        answer(
            ctx, () -> Reply.json(200, ResourceCodec.encode(discovery.apiResourceList("", "v1"))));
        return;
      }
      if (parts.length == 2 && parts[0].equals("apis")) {
        answer(
            ctx,
            () ->
                discovery
                    .apiGroup(parts[1])
                    .map(g -> Reply.json(200, ResourceCodec.encode(g)))
                    .orElse(Reply.status(ApiServer.notFoundStatus())));
        return;
      }
      if (parts.length == 3 && parts[0].equals("apis")) {
        answer(
            ctx,
            () ->
                discovery.hasVersion(parts[1], parts[2])
                    ? Reply.json(
                        200, ResourceCodec.encode(discovery.apiResourceList(parts[1], parts[2])))
                    : Reply.status(ApiServer.notFoundStatus()));
        return;
      }
      target = parse(parts);
    } catch (ApiException e) {
      ApiServer.sendStatus(ctx.response(), e.toStatus());
      return;
    }
    if (target == null) {
      ApiServer.sendStatus(ctx.response(), ApiServer.notFoundStatus());
      return;
    }
    HttpMethod method = request.method();
    MultiMap params = request.params();
    if (method.equals(HttpMethod.GET) && target.collection() && isWatch(params, request)) {
      startWatch(ctx, target);
      return;
    }
    answer(ctx, () -> serve(ctx, target));
  }

  private static boolean isWatch(MultiMap params, HttpServerRequest request) {
    String watch = params.get("watch");
    return "true".equals(watch) || "1".equals(watch) || isWebSocket(request);
  }

  static boolean isWebSocket(HttpServerRequest request) {
    String upgrade = request.getHeader("Upgrade");
    return upgrade != null && upgrade.equalsIgnoreCase("websocket");
  }

  private void answer(RoutingContext ctx, java.util.concurrent.Callable<Reply> task) {
    worker
        .<Reply>executeBlocking(
            () -> {
              try {
                return task.call();
              } catch (ApiException e) {
                return Reply.status(e.toStatus());
              } catch (InvalidOptions e) {
                return Reply.status(e.toStatus());
              } catch (UncheckedIOException e) {
                return Reply.status(
                    new ApiException.BadRequest(e.getCause().getMessage()).toStatus());
              } catch (IllegalArgumentException e) {
                return Reply.status(
                    new ApiException.BadRequest(String.valueOf(e.getMessage())).toStatus());
              }
            },
            false)
        .onSuccess(
            reply -> {
              if (!ctx.response().ended()) {
                ctx.response()
                    .setStatusCode(reply.code())
                    .putHeader("Content-Type", reply.contentType())
                    .end(Buffer.buffer(reply.body()));
              }
            })
        .onFailure(e -> ctx.fail(500, e));
  }

  private static String[] splitPath(String path) {
    String trimmed = path;
    while (trimmed.startsWith("/")) {
      trimmed = trimmed.substring(1);
    }
    while (trimmed.endsWith("/")) {
      trimmed = trimmed.substring(0, trimmed.length() - 1);
    }
    return trimmed.isEmpty() ? new String[0] : trimmed.split("/");
  }

  /** Parses {@code /api/v1/...} and {@code /apis/<group>/<version>/...}; null if not a resource. */
  private Target parse(String[] parts) {
    String group;
    String version;
    int rest;
    if (parts.length >= 2 && parts[0].equals("api") && parts[1].equals("v1")) {
      group = "";
      version = "v1";
      rest = 2;
    } else if (parts.length >= 3 && parts[0].equals("apis")) {
      group = parts[1];
      version = parts[2];
      rest = 3;
    } else {
      return null;
    }
    List<String> r = List.of(parts).subList(rest, parts.length);
    if (r.isEmpty()) {
      return null;
    }
    String path = String.join("/", parts);
    if (r.get(0).equals("namespaces") && r.size() >= 3) {
      var namespaced = discovery.find(group, version, r.get(2));
      if (namespaced.isPresent() && namespaced.get().namespaced()) {
        String ns = r.get(1);
        return switch (r.size()) {
          case 3 -> new Target(namespaced.get(), ns, null, null, path);
          case 4 -> new Target(namespaced.get(), ns, r.get(3), null, path);
          case 5 -> subresource(namespaced.get(), ns, r.get(3), r.get(4), path);
          default -> null;
        };
      }
    }
    var type = discovery.find(group, version, r.get(0));
    if (type.isEmpty()) {
      return null;
    }
    return switch (r.size()) {
      case 1 -> new Target(type.get(), "", null, null, path);
      case 2 -> new Target(type.get(), "", r.get(1), null, path);
      case 3 -> subresource(type.get(), "", r.get(1), r.get(2), path);
      default -> null;
    };
  }

  private Target subresource(
      ResourceType type, String namespace, String name, String sub, String path) {
    boolean known =
        (sub.equals("status") && discovery.hasStatus(type))
            || (sub.equals("scale") && Discovery.hasScale(type));
    return known ? new Target(type, namespace, name, sub, path) : null;
  }

  // ---------------------------------------------------------------- verbs

  private Reply serve(RoutingContext ctx, Target target) {
    HttpMethod method = ctx.request().method();
    MultiMap params = ctx.request().params();
    String accept = ctx.request().getHeader("Accept");
    checkAccept(accept);
    if (method.equals(HttpMethod.GET)) {
      return target.collection() ? list(target, params, accept) : get(target, params, accept);
    }
    if (method.equals(HttpMethod.POST)) {
      if (!target.collection()) {
        throw new ApiException.MethodNotSupported(target.type(), "create");
      }
      return create(ctx, target, params);
    }
    if (method.equals(HttpMethod.PUT)) {
      if (target.collection()) {
        throw new ApiException.MethodNotSupported(target.type(), "update");
      }
      return update(ctx, target, params);
    }
    if (method.equals(HttpMethod.PATCH)) {
      if (target.collection()) {
        throw new ApiException.MethodNotSupported(target.type(), "patch");
      }
      return patch(ctx, target, params);
    }
    if (method.equals(HttpMethod.DELETE)) {
      return target.collection()
          ? deleteCollection(ctx, target, params)
          : delete(ctx, target, params);
    }
    throw new ApiException.MethodNotSupported(
        target.type(), method.name().toLowerCase(Locale.ROOT));
  }

  /** The apiserver answers 406 when no offered media type is one it can produce. */
  private static void checkAccept(String accept) {
    if (accept == null || accept.isBlank()) {
      return;
    }
    for (String type : accept.split(",")) {
      String t = type.trim().toLowerCase(Locale.ROOT);
      if (t.startsWith("application/json")
          || t.startsWith("application/yaml")
          || t.startsWith("*/*")
          || t.startsWith("application/*")) {
        return;
      }
    }
    throw new ApiException.BadRequest(
        "only the following media types are accepted: application/json, application/yaml");
  }

  private Reply get(Target target, MultiMap params, String accept) {
    HasMetadata object =
        store
            .get(target.key())
            .orElseThrow(() -> new ApiException.NotFound(target.type(), target.name()));
    if ("scale".equals(target.subresource())) {
      return Reply.json(200, ResourceCodec.encode(Scales.scaleOf(target.type(), object)));
    }
    if (wantsTable(accept)) {
      return table(target.type(), List.of(object), store.resourceVersion(), params, null);
    }
    return encode(200, object, accept);
  }

  private Reply encode(int code, Object object, String accept) {
    if (accept != null && accept.trim().toLowerCase(Locale.ROOT).startsWith("application/yaml")) {
      return new Reply(
          code, "application/yaml", ResourceCodec.toYaml(object).getBytes(StandardCharsets.UTF_8));
    }
    return Reply.json(code, ResourceCodec.encode(object));
  }

  static boolean wantsTable(String accept) {
    return accept != null && accept.contains("as=Table");
  }

  private ListOptions listOptions(Target target, MultiMap params) {
    LabelSelector labels = LabelSelector.parse(params.get("labelSelector"));
    FieldSelector fields = FieldSelector.parse(params.get("fieldSelector"), target.type());
    return new ListOptions(target.type().namespaced() ? target.namespace() : "", labels, fields);
  }

  /** A continue token: where the previous page ended, and the list's resourceVersion. */
  record ContinueToken(long rv, String namespace, String name) {
    String encode() {
      ObjectNode node = ResourceCodec.json().createObjectNode();
      node.put("v", "meta.k8s.io/v1");
      node.put("rv", rv);
      node.put("start", namespace + "/" + name);
      node.put("ns", namespace);
      node.put("name", name);
      return Base64.getUrlEncoder().withoutPadding().encodeToString(ResourceCodec.encode(node));
    }

    static ContinueToken decode(String token) {
      try {
        JsonNode node = ResourceCodec.json().readTree(Base64.getUrlDecoder().decode(token));
        return new ContinueToken(
            node.path("rv").asLong(), node.path("ns").asText(), node.path("name").asText());
      } catch (IOException | IllegalArgumentException e) {
        throw new ApiException.BadRequest("continue key is not valid: " + e.getMessage());
      }
    }
  }

  private static final Comparator<HasMetadata> BY_KEY =
      Comparator.comparing((HasMetadata o) -> nullToEmpty(o.getMetadata().getNamespace()))
          .thenComparing(o -> nullToEmpty(o.getMetadata().getName()));

  private static String nullToEmpty(String s) {
    return s == null ? "" : s;
  }

  private Reply list(Target target, MultiMap params, String accept) {
    String cont0 = params.get("continue");
    if (!wantsTable(accept)
        && (accept == null
            || !accept.trim().toLowerCase(Locale.ROOT).startsWith("application/yaml"))
        && (params.get("limit") == null
            || params.get("limit").isEmpty()
            || params.get("limit").equals("0"))
        && (cont0 == null || cont0.isEmpty())) {
      return encodedList(target, params);
    }
    ResourceList<HasMetadata> all = store.list(target.type(), listOptions(target, params));
    List<HasMetadata> items = all.items();
    long rv = all.resourceVersion();
    String cont = params.get("continue");
    if (cont != null && !cont.isEmpty()) {
      ContinueToken token = ContinueToken.decode(cont);
      rv = token.rv();
      List<HasMetadata> after = new ArrayList<>();
      for (HasMetadata item : items) {
        if (compare(item, token.namespace(), token.name()) > 0) {
          after.add(item);
        }
      }
      items = after;
    }
    String next = null;
    Long remaining = null;
    long limit = parseLong(params.get("limit"), "limit", 0);
    if (limit > 0 && items.size() > limit) {
      HasMetadata last = items.get((int) limit - 1);
      remaining = (long) items.size() - limit;
      items = items.subList(0, (int) limit);
      next =
          new ContinueToken(
                  rv, nullToEmpty(last.getMetadata().getNamespace()), last.getMetadata().getName())
              .encode();
    }
    if (wantsTable(accept)) {
      return table(target.type(), items, rv, params, next);
    }
    ObjectNode list = ResourceCodec.json().createObjectNode();
    list.put("kind", target.type().kind() + "List");
    list.put("apiVersion", target.type().apiVersion());
    ObjectNode meta = list.putObject("metadata");
    meta.put("resourceVersion", Long.toString(rv));
    if (next != null) {
      meta.put("continue", next);
      meta.put("remainingItemCount", remaining);
    }
    var array = list.putArray("items");
    for (HasMetadata item : items) {
      array.add(ResourceCodec.tree(item));
    }
    return encode(200, list, accept);
  }

  /**
   * A whole list served from the stored encodings, without decoding: the list's resourceVersion is
   * read first, so every change after it reaches a watch started from it.
   */
  private Reply encodedList(Target target, MultiMap params) {
    ListOptions selection = listOptions(target, params);
    long rv = store.resourceVersion();
    List<byte[]> items = store.listEncoded(target.type(), selection);
    Buffer out = Buffer.buffer(64 + items.stream().mapToInt(i -> i.length + 1).sum());
    out.appendString(
        "{\"kind\":\""
            + target.type().kind()
            + "List\",\"apiVersion\":\""
            + target.type().apiVersion()
            + "\",\"metadata\":{\"resourceVersion\":\""
            + rv
            + "\"},\"items\":[");
    for (int i = 0; i < items.size(); i++) {
      if (i > 0) {
        out.appendByte((byte) ',');
      }
      out.appendBytes(items.get(i));
    }
    out.appendString("]}");
    return Reply.json(200, out.getBytes());
  }

  private static int compare(HasMetadata item, String namespace, String name) {
    int c = nullToEmpty(item.getMetadata().getNamespace()).compareTo(namespace);
    return c != 0 ? c : nullToEmpty(item.getMetadata().getName()).compareTo(name);
  }

  private Reply table(
      ResourceType type, List<HasMetadata> items, long rv, MultiMap params, String next) {
    String include = params.get("includeObject");
    return Reply.json(200, ResourceCodec.encode(tables.table(type, items, rv, next, include)));
  }

  static long parseLong(String value, String name, long fallback) {
    if (value == null || value.isEmpty()) {
      return fallback;
    }
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw new ApiException.BadRequest(
          "invalid value for " + name + ": \"" + value + "\": " + e.getMessage());
    }
  }

  private WriteOptions writeOptions(MultiMap params) {
    boolean dryRun = dryRun(params);
    String manager = params.get("fieldManager");
    if (manager != null && manager.length() > 128) {
      throw new InvalidOptions(
          "CreateOptions", List.of("fieldManager: Too long: may not be more than 128 bytes"));
    }
    return new WriteOptions(dryRun, manager);
  }

  /** {@code dryRun=All} is the one value the apiserver takes. */
  static boolean dryRun(MultiMap params) {
    List<String> values = params.getAll("dryRun");
    if (values.isEmpty()) {
      return false;
    }
    for (String value : values) {
      if (!value.equals("All")) {
        throw new ApiException.BadRequest(
            "Invalid dryRun value: " + values + ", accepted values are: [All]");
      }
    }
    return true;
  }

  private Reply create(RoutingContext ctx, Target target, MultiMap params) {
    WriteOptions write = writeOptions(params);
    HasMetadata object = Bodies.decodeObject(ctx, target.type());
    scope(object, target);
    object = recordUpdate(ctx, target, null, object, write);
    HasMetadata created = store.create(object, write);
    settle(write.dryRun());
    return Reply.json(201, ResourceCodec.encode(created));
  }

  /**
   * Records a non-apply write in managedFields as {@code operation: Update} for its manager ({@code
   * fieldManager}, or the client's User-Agent as the apiserver derives it), so that a later
   * server-side apply conflicts with it as upstream.
   */
  private HasMetadata recordUpdate(
      RoutingContext ctx, Target target, HasMetadata old, HasMetadata object, WriteOptions write) {
    String manager =
        write.fieldManager() != null && !write.fieldManager().isEmpty()
            ? write.fieldManager()
            : ManagedFields.managerFromUserAgent(ctx.request().getHeader("User-Agent"));
    byte[] json =
        patches
            .managedFields()
            .recordUpdate(
                target.type(),
                old == null ? null : ResourceCodec.encode(old),
                ResourceCodec.encode(object),
                manager,
                target.subresource());
    return ResourceCodec.decode(json, target.type().javaType());
  }

  /** The namespace of the URL is the object's; a different one in the body is a bad request. */
  private static void scope(HasMetadata object, Target target) {
    ObjectMeta meta = object.getMetadata();
    if (target.type().namespaced()) {
      String ns = meta.getNamespace();
      if (ns != null && !ns.isEmpty() && !ns.equals(target.namespace())) {
        throw new ApiException.BadRequest(
            "the namespace of the provided object does not match the namespace sent on the"
                + " request");
      }
      meta.setNamespace(target.namespace());
    } else {
      meta.setNamespace(null);
    }
  }

  private Reply update(RoutingContext ctx, Target target, MultiMap params) {
    WriteOptions write = writeOptions(params);
    if ("scale".equals(target.subresource())) {
      JsonNode scale = Bodies.decodeTree(ctx);
      HasMetadata updated = Scales.applyScale(store, target, scale, write);
      settle(write.dryRun());
      return Reply.json(200, ResourceCodec.encode(Scales.scaleOf(target.type(), updated)));
    }
    HasMetadata object = Bodies.decodeObject(ctx, target.type());
    scope(object, target);
    String name = object.getMetadata().getName();
    if (name == null || name.isEmpty()) {
      object.getMetadata().setName(target.name());
    } else if (!name.equals(target.name())) {
      throw new ApiException.BadRequest(
          "the name of the object ("
              + name
              + ") does not match the name on the URL ("
              + target.name()
              + ")");
    }
    object = recordUpdate(ctx, target, store.get(target.key()).orElse(null), object, write);
    HasMetadata updated =
        "status".equals(target.subresource())
            ? store.updateStatus(object, write)
            : store.update(object, write);
    settle(write.dryRun());
    return Reply.json(200, ResourceCodec.encode(updated));
  }

  /**
   * PATCH ({@code handlers/patch.go}): JSON patch, merge patch, strategic merge patch and
   * server-side apply through the patch engine, then a write with the current resourceVersion; a
   * write that lost a race with another is retried on the fresh object, as the apiserver does for
   * patches without a resourceVersion precondition. An apply to a missing object creates it.
   */
  private Reply patch(RoutingContext ctx, Target target, MultiMap params) {
    WriteOptions write = writeOptions(params);
    String contentType = ctx.request().getHeader("Content-Type");
    byte[] body =
        ctx.body() == null || ctx.body().buffer() == null
            ? new byte[0]
            : ctx.body().buffer().getBytes();
    String forceText = params.get("force");
    Boolean force = forceText == null ? null : Boolean.valueOf(forceText);
    PatchOptions patchOptions = new PatchOptions(write.fieldManager(), force, target.subresource());
    for (int attempt = 0; ; attempt++) {
      var current = store.get(target.key());
      if ("scale".equals(target.subresource())) {
        HasMetadata object =
            current.orElseThrow(() -> new ApiException.NotFound(target.type(), target.name()));
        PatchResult result =
            patches.patch(
                target.type(),
                ResourceCodec.encode(Scales.scaleOf(target.type(), object)),
                body,
                contentType,
                new PatchOptions(write.fieldManager(), force, null));
        HasMetadata updated = Scales.applyScale(store, target, readTree(result.json()), write);
        settle(write.dryRun());
        return Reply.json(200, ResourceCodec.encode(Scales.scaleOf(target.type(), updated)));
      }
      if (current.isEmpty()
          && !Bodies.mediaType(contentType).equals(PatchEngine.APPLY_PATCH_YAML)) {
        throw new ApiException.NotFound(target.type(), target.name());
      }
      PatchResult result =
          patches.patch(
              target.type(),
              current.map(ResourceCodec::encode).orElse(null),
              body,
              contentType,
              patchOptions);
      HasMetadata object;
      try {
        object = ResourceCodec.json().readValue(result.json(), target.type().javaType());
      } catch (IOException e) {
        throw new ApiException.BadRequest(
            target.type().kind()
                + " in version \""
                + target.type().version()
                + "\" cannot be handled as a "
                + target.type().kind()
                + ": "
                + (e instanceof JsonProcessingException j
                    ? j.getOriginalMessage()
                    : e.getMessage()));
      }
      if (object.getMetadata() == null) {
        object.setMetadata(new ObjectMeta());
      }
      scope(object, target);
      String name = object.getMetadata().getName();
      if (name == null || name.isEmpty()) {
        object.getMetadata().setName(target.name());
      } else if (!name.equals(target.name())) {
        throw new ApiException.BadRequest(
            "the name of the object ("
                + name
                + ") does not match the name on the URL ("
                + target.name()
                + ")");
      }
      if (!Bodies.mediaType(contentType).equals(PatchEngine.APPLY_PATCH_YAML)) {
        object = recordUpdate(ctx, target, current.orElse(null), object, write);
      }
      try {
        if (current.isEmpty()) {
          HasMetadata created = store.create(object, write);
          settle(write.dryRun());
          return Reply.json(201, ResourceCodec.encode(created));
        }
        HasMetadata updated =
            "status".equals(target.subresource())
                ? store.updateStatus(object, write)
                : store.update(object, write);
        settle(write.dryRun());
        return Reply.json(200, ResourceCodec.encode(updated));
      } catch (ApiException.Conflict | ApiException.AlreadyExists e) {
        if (attempt >= 4 || patchPinsVersion(body)) {
          throw e;
        }
      }
    }
  }

  private static JsonNode readTree(byte[] json) {
    try {
      return ResourceCodec.json().readTree(json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Whether the patch itself names a resourceVersion (then a conflict is the client's). */
  private static boolean patchPinsVersion(byte[] body) {
    return new String(body, StandardCharsets.UTF_8).contains("resourceVersion");
  }

  private Reply delete(RoutingContext ctx, Target target, MultiMap params) {
    if (target.subresource() != null) {
      throw new ApiException.MethodNotSupported(target.type(), "delete");
    }
    DeleteOptions delete = Bodies.deleteOptions(ctx, params, dryRun(params));
    HasMetadata after =
        store
            .delete(target.key(), delete)
            .orElseThrow(() -> new ApiException.NotFound(target.type(), target.name()));
    settle(delete.dryRun());
    boolean pending = !delete.dryRun() && store.get(target.key()).isPresent();
    if (pending || target.type().equals(ResourceTypes.POD) || delete.dryRun()) {
      // A graceful or finalizer-held delete answers the object with its deletionTimestamp; Pods
      // always answer the object (ReturnDeletedObject in the pod registry).
      return Reply.json(
          200, ResourceCodec.encode(pending ? store.get(target.key()).orElse(after) : after));
    }
    return Reply.json(200, ResourceCodec.encode(deletedStatus(target, after)));
  }

  /** The Status the generic registry's {@code finalizeDelete} returns. */
  private static Status deletedStatus(Target target, HasMetadata deleted) {
    return new StatusBuilder()
        .withNewMetadata()
        .endMetadata()
        .withStatus("Success")
        .withNewDetails()
        .withName(deleted.getMetadata().getName())
        .withGroup(target.type().group().isEmpty() ? null : target.type().group())
        .withKind(target.type().plural())
        .withUid(deleted.getMetadata().getUid())
        .endDetails()
        .build();
  }

  private Reply deleteCollection(RoutingContext ctx, Target target, MultiMap params) {
    DeleteOptions delete = Bodies.deleteOptions(ctx, params, dryRun(params));
    ResourceList<HasMetadata> matching = store.list(target.type(), listOptions(target, params));
    List<HasMetadata> deleted = new ArrayList<>();
    for (HasMetadata item : matching.items()) {
      try {
        store.delete(store.keyOf(item), delete).ifPresent(deleted::add);
      } catch (ApiException.NotFound e) {
        // Deleted meanwhile: as the apiserver, skip it.
      }
    }
    settle(delete.dryRun());
    ObjectNode list = ResourceCodec.json().createObjectNode();
    list.put("kind", target.type().kind() + "List");
    list.put("apiVersion", target.type().apiVersion());
    list.putObject("metadata").put("resourceVersion", Long.toString(store.resourceVersion()));
    var array = list.putArray("items");
    deleted.forEach(d -> array.add(ResourceCodec.tree(d)));
    return Reply.json(200, ResourceCodec.encode(list));
  }

  private void settle(boolean dryRun) {
    if (!dryRun) {
      options.awaitSettled().run();
    }
  }

  // ---------------------------------------------------------------- watch

  private void startWatch(RoutingContext ctx, Target target) {
    WatchStream.Request request;
    try {
      request =
          WatchStream.Request.parse(
              target, ctx.request().params(), ctx.request().getHeader("Accept"));
      request = request.withSelection(listOptions(target, ctx.request().params()));
    } catch (ApiException e) {
      ApiServer.sendStatus(ctx.response(), e.toStatus());
      return;
    } catch (InvalidOptions e) {
      ApiServer.sendStatus(ctx.response(), e.toStatus());
      return;
    }
    WatchStream.Request watch = request;
    if (isWebSocket(ctx.request())) {
      ctx.request()
          .toWebSocket()
          .onSuccess(
              socket -> {
                WatchStream stream =
                    WatchStream.overWebSocket(
                        vertx, store, tables, watch, options, socket, watches);
                start(stream);
              })
          .onFailure(
              e ->
                  ApiServer.sendStatus(
                      ctx.response(), new ApiException.BadRequest(e.getMessage()).toStatus()));
      return;
    }
    WatchStream stream =
        WatchStream.overHttp(vertx, store, tables, watch, options, ctx.response(), watches);
    start(stream);
  }

  private void start(WatchStream stream) {
    watches.add(stream);
    worker
        .executeBlocking(
            () -> {
              stream.start();
              return null;
            },
            false)
        .onFailure(stream::fail);
  }

  /** Closes every watch (the server is stopping). */
  void close() {
    for (WatchStream stream : List.copyOf(watches)) {
      stream.close();
    }
  }
}
