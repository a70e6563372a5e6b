package dev.kemu.api.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kemu.api.model.ResourceCodec;
import dev.kemu.api.model.ResourceType;
import dev.kemu.api.store.ApiException;
import dev.kemu.api.store.EventType;
import dev.kemu.api.store.ListOptions;
import dev.kemu.api.store.ResourceStore;
import dev.kemu.api.store.Watch;
import dev.kemu.api.store.WatchEvent;
import dev.kemu.api.store.WatchHandler;
import dev.kemu.api.store.WatchOptions;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Status;
import io.vertx.core.Context;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.ServerWebSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One watch of the API: store events encoded as {@code watch.Event} JSON ({@code {"type",
 * "object"}}), one per line over chunked HTTP or one per text message over WebSocket, as {@code
 * apiserver/pkg/endpoints/handlers/watch.go} serves them. Handles resume from a resourceVersion
 * (410 as an ERROR event when it is too old, as the watch cache does), the legacy initial ADDED
 * events, {@code sendInitialEvents} with its {@code k8s.io/initial-events-end} bookmark, periodic
 * bookmarks and {@code timeoutSeconds}.
 */
final class WatchStream implements WatchHandler {
  static final String INITIAL_EVENTS_END = "k8s.io/initial-events-end";

  /**
   * The parsed watch parameters.
   *
   * @param target what is watched
   * @param resourceVersion the version to resume after, null for none
   * @param initialEvents whether the current state comes first as ADDED events
   * @param initialEventsEnd whether a bookmark marks the end of the initial events
   * @param bookmarks whether the client takes bookmarks
   * @param timeoutSeconds when to end the watch, 0 for never
   * @param table whether objects are sent as Tables
   * @param includeObject the Table's includeObject policy
   * @param selection namespace and selectors
   */
  record Request(
      ResourceHandler.Target target,
      Long resourceVersion,
      boolean initialEvents,
      boolean initialEventsEnd,
      boolean bookmarks,
      long timeoutSeconds,
      boolean table,
      String includeObject,
      ListOptions selection) {

    Request withSelection(ListOptions selection) {
      return new Request(
          target,
          resourceVersion,
          initialEvents,
          initialEventsEnd,
          bookmarks,
          timeoutSeconds,
          table,
          includeObject,
          selection);
    }

    /**
     * The watch semantics of {@code resourceVersion}, {@code resourceVersionMatch} and {@code
     * sendInitialEvents} (apiserver {@code ValidateListOptions} and the watch cache).
     */
    static Request parse(ResourceHandler.Target target, MultiMap params, String accept) {
      String rvText = params.get("resourceVersion");
      Long rv = null;
      if (rvText != null && !rvText.isEmpty()) {
        try {
          rv = Long.parseLong(rvText);
        } catch (NumberFormatException e) {
          throw new ApiException.BadRequest(
              "invalid resource version: strconv.ParseUint: parsing \""
                  + rvText
                  + "\": invalid syntax");
        }
      }
      String match = params.get("resourceVersionMatch");
      String send = params.get("sendInitialEvents");
      boolean bookmarks =
          "true".equals(params.get("allowWatchBookmarks"))
              || "1".equals(params.get("allowWatchBookmarks"));
      List<String> errors = new ArrayList<>();
      Boolean sendInitial = null;
      if (send != null && !send.isEmpty()) {
        sendInitial = send.equals("true") || send.equals("1");
        if (!"NotOlderThan".equals(match)) {
          errors.add(
              "resourceVersionMatch: Forbidden: sendInitialEvents requires setting"
                  + " resourceVersionMatch to NotOlderThan");
        }
        if (!bookmarks) {
          errors.add(
              "allowWatchBookmarks: Forbidden: sendInitialEvents requires setting"
                  + " allowWatchBookmarks to true");
        }
      } else if (match != null && !match.isEmpty()) {
        errors.add(
            "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless"
                + " sendInitialEvents is provided");
      }
      if (!errors.isEmpty()) {
        throw new InvalidOptions("ListOptions", errors);
      }
      boolean initial;
      boolean end = false;
      Long resume;
      if (sendInitial != null) {
        initial = sendInitial;
        end = sendInitial;
        // With sendInitialEvents the state sent is "not older than" rv: the current one.
        resume = sendInitial ? null : (rv == null || rv == 0 ? null : rv);
      } else {
        // Legacy semantics: unset or 0 starts with synthetic ADDED events for the current state.
        initial = rv == null || rv == 0;
        resume = initial ? null : rv;
      }
      long timeout = ResourceHandler.parseLong(params.get("timeoutSeconds"), "timeoutSeconds", 0);
      return new Request(
          target,
          resume,
          initial,
          end,
          bookmarks,
          Math.max(0, timeout),
          ResourceHandler.wantsTable(accept),
          params.get("includeObject"),
          null);
    }
  }

  /** Where encoded events go. */
  private interface Sink {
    void send(byte[] event);

    void end();
  }

  private final Vertx vertx;
  private final Context context;
  private final ResourceStore store;
  private final TableRenderer tables;
  private final Request request;
  private final ApiServer.Options options;
  private final Sink sink;
  private final Set<WatchStream> registry;
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile Watch watch;
  private long progress = -1;
  private long bookmarked = -1;
  private boolean initialEndSent;
  private boolean tableHeaderSent;
  private long bookmarkTimer = -1;
  private long timeoutTimer = -1;

  private WatchStream(
      Vertx vertx,
      ResourceStore store,
      TableRenderer tables,
      Request request,
      ApiServer.Options options,
      Sink sink,
      Set<WatchStream> registry) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.store = store;
    this.tables = tables;
    this.request = request;
    this.options = options;
    this.sink = sink;
    this.registry = registry;
  }

  static WatchStream overHttp(
      Vertx vertx,
      ResourceStore store,
      TableRenderer tables,
      Request request,
      ApiServer.Options options,
      HttpServerResponse response,
      Set<WatchStream> registry) {
    response.setStatusCode(200).setChunked(true).putHeader("Content-Type", "application/json");
    response.putHeader("Transfer-Encoding", "chunked");
    response.writeHead();
    Sink sink =
        new Sink() {
          @Override
          public void send(byte[] event) {
            if (!response.ended() && !response.closed()) {
              Buffer line =
                  Buffer.buffer(event.length + 1).appendBytes(event).appendByte((byte) '\n');
              response.write(line);
            }
          }

          @Override
          public void end() {
            if (!response.ended() && !response.closed()) {
              response.end();
            }
          }
        };
    WatchStream stream = new WatchStream(vertx, store, tables, request, options, sink, registry);
    response.closeHandler(v -> stream.close());
    response.exceptionHandler(e -> stream.close());
    return stream;
  }

  static WatchStream overWebSocket(
      Vertx vertx,
      ResourceStore store,
      TableRenderer tables,
      Request request,
      ApiServer.Options options,
      ServerWebSocket socket,
      Set<WatchStream> registry) {
    Sink sink =
        new Sink() {
          @Override
          public void send(byte[] event) {
            if (!socket.isClosed()) {
              socket.writeTextMessage(new String(event, StandardCharsets.UTF_8));
            }
          }

          @Override
          public void end() {
            if (!socket.isClosed()) {
              socket.close();
            }
          }
        };
    WatchStream stream = new WatchStream(vertx, store, tables, request, options, sink, registry);
    socket.closeHandler(v -> stream.close());
    socket.exceptionHandler(e -> stream.close());
    // The client sends nothing but control frames; data is ignored.
    socket.handler(buffer -> {});
    return stream;
  }

  /** Starts the store watch (on a worker: the initial state is read under the store lock). */
  void start() {
    Executor onContext = task -> context.runOnContext(v -> task.run());
    ResourceType type = request.target().type();
    try {
      watch =
          store.watch(
              new WatchOptions(
                  Set.of(type),
                  request.selection(),
                  request.resourceVersion(),
                  request.initialEvents(),
                  onContext,
                  100_000),
              this);
    } catch (ApiException e) {
      context.runOnContext(
          v -> {
            sink.send(errorEvent(e.toStatus()));
            close();
          });
      return;
    }
    if (closed.get()) {
      watch.close();
      return;
    }
    context.runOnContext(
        v -> {
          if (request.timeoutSeconds() > 0) {
            timeoutTimer = vertx.setTimer(request.timeoutSeconds() * 1000, t -> close());
          }
          if (request.bookmarks()) {
            bookmarkTimer =
                vertx.setPeriodic(options.bookmarkInterval().toMillis(), t -> periodicBookmark());
          }
        });
  }

  void fail(Throwable e) {
    context.runOnContext(
        v -> {
          sink.send(
              errorEvent(
                  new ApiException.InternalError("Internal error occurred: " + e).toStatus()));
          close();
        });
  }

  @Override
  public void onEvent(WatchEvent event) {
    if (closed.get()) {
      return;
    }
    if (request.table()) {
      HasMetadata object = event.object();
      var table =
          tables.table(
              request.target().type(),
              List.of(object),
              event.resourceVersion(),
              null,
              request.includeObject());
      if (tableHeaderSent) {
        table.remove("columnDefinitions");
      }
      tableHeaderSent = true;
      sink.send(frame(event.type().name(), ResourceCodec.encode(table)));
      return;
    }
    byte[] json =
        event.type() == EventType.DELETED || event.json() == null
            ? ResourceCodec.encode(event.object())
            : event.json();
    sink.send(frame(event.type().name(), json));
  }

  @Override
  public void onProgress(long resourceVersion) {
    progress = resourceVersion;
    if (request.initialEventsEnd() && !initialEndSent && !closed.get()) {
      initialEndSent = true;
      bookmarked = resourceVersion;
      sink.send(frame("BOOKMARK", bookmark(resourceVersion, true)));
    }
  }

  private void periodicBookmark() {
    if (!closed.get() && progress > bookmarked && (initialEndSent || !request.initialEventsEnd())) {
      bookmarked = progress;
      sink.send(frame("BOOKMARK", bookmark(progress, false)));
    }
  }

  @Override
  public void onClose(ApiException reason) {
    context.runOnContext(v -> close());
  }

  private byte[] bookmark(long resourceVersion, boolean initialEnd) {
    ResourceType type = request.target().type();
    ObjectNode object = ResourceCodec.json().createObjectNode();
    object.put("kind", type.kind());
    object.put("apiVersion", type.apiVersion());
    ObjectNode meta = object.putObject("metadata");
    meta.put("resourceVersion", Long.toString(resourceVersion));
    if (initialEnd) {
      meta.putObject("annotations").put(INITIAL_EVENTS_END, "true");
    }
    if (request.table()) {
      ObjectNode table = ResourceCodec.json().createObjectNode();
      table.put("kind", "Table");
      table.put("apiVersion", "meta.k8s.io/v1");
      table.putObject("metadata").put("resourceVersion", Long.toString(resourceVersion));
      ArrayNode rows = table.putArray("rows");
      rows.addObject().set("object", object);
      return ResourceCodec.encode(table);
    }
    return ResourceCodec.encode(object);
  }

  private static byte[] errorEvent(Status status) {
    return frame("ERROR", ResourceCodec.encode(status));
  }

  private static byte[] frame(String type, byte[] object) {
    byte[] head = ("{\"type\":\"" + type + "\",\"object\":").getBytes(StandardCharsets.US_ASCII);
    byte[] out = new byte[head.length + object.length + 1];
    System.arraycopy(head, 0, out, 0, head.length);
    System.arraycopy(object, 0, out, head.length, object.length);
    out[out.length - 1] = '}';
    return out;
  }

  /** Ends the watch and its response. */
  void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    registry.remove(this);
    Watch w = watch;
    if (w != null) {
      w.close();
    }
    context.runOnContext(
        v -> {
          if (bookmarkTimer >= 0) {
            vertx.cancelTimer(bookmarkTimer);
          }
          if (timeoutTimer >= 0) {
            vertx.cancelTimer(timeoutTimer);
          }
          sink.end();
        });
  }
}
