package dev.kemu.api.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kemu.api.model.ResourceCodec;
import dev.kemu.api.store.ResourceStore;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.vertx.core.Vertx;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The watch protocol of the apiserver, read line by line from a chunked HTTP response. */
class WatchProtocolTest {
  private Vertx vertx;
  private ResourceStore store;
  private ApiServer server;
  private String base;
  private final HttpClient http = HttpClient.newHttpClient();
  private final List<InputStream> open = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    store = new ResourceStore(new dev.kemu.api.model.ResourceTypes(), Clock.systemUTC(), 20, 1);
    store.create(
        new NamespaceBuilder().withNewMetadata().withName("default").endMetadata().build());
    server =
        new ApiServer(
            vertx,
            store,
            ApiServer.Options.of("127.0.0.1", 0, () -> true, "test")
                .withBookmarkInterval(Duration.ofMillis(200)));
    int port = server.start().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    base = "http://127.0.0.1:" + port + "/api/v1/namespaces/default/configmaps";
  }

  @AfterEach
  void stop() throws Exception {
    for (InputStream in : open) {
      in.close();
    }
    server.stop().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    store.close();
  }

  private void configMap(String name) {
    store.create(
        new ConfigMapBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace("default")
            .endMetadata()
            .build());
  }

  /** Collects the events of a watch on a thread of its own. */
  private List<JsonNode> watch(String query) throws Exception {
    HttpResponse<InputStream> response =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "?" + query)).build(),
            HttpResponse.BodyHandlers.ofInputStream());
    assertThat(response.statusCode()).isEqualTo(200);
    open.add(response.body());
    List<JsonNode> events = new CopyOnWriteArrayList<>();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader lines =
                  new BufferedReader(
                      new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = lines.readLine()) != null) {
                  events.add(ResourceCodec.json().readTree(line));
                }
                events.add(ResourceCodec.json().createObjectNode().put("type", "END"));
              } catch (java.io.IOException e) {
                // closed by the test
              }
            });
    reader.setDaemon(true);
    reader.start();
    return events;
  }

  private static List<String> types(List<JsonNode> events) {
    return events.stream().map(e -> e.path("type").asText()).toList();
  }

  @Test
  void legacyWatchStartsWithTheCurrentStateAsAdded() throws Exception {
    configMap("a");
    configMap("b");
    List<JsonNode> events = watch("watch=true");
    await().atMost(Duration.ofSeconds(10)).until(() -> events.size() >= 2);
    configMap("c");
    await().atMost(Duration.ofSeconds(10)).until(() -> events.size() >= 3);
    assertThat(
            events.stream()
                .map(
                    e ->
                        e.path("type").asText()
                            + " "
                            + e.path("object").path("metadata").path("name").asText()))
        .containsExactly("ADDED a", "ADDED b", "ADDED c");
  }

  @Test
  void sendInitialEventsEndsWithTheAnnotatedBookmark() throws Exception {
    configMap("a");
    List<JsonNode> events =
        watch(
            "watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan");
    await().atMost(Duration.ofSeconds(10)).until(() -> events.size() >= 2);
    assertThat(types(events).subList(0, 2)).containsExactly("ADDED", "BOOKMARK");
    JsonNode bookmark = events.get(1).path("object");
    assertThat(bookmark.path("kind").asText()).isEqualTo("ConfigMap");
    assertThat(
            bookmark
                .path("metadata")
                .path("annotations")
                .path(WatchStream.INITIAL_EVENTS_END)
                .asText())
        .isEqualTo("true");
    assertThat(bookmark.path("metadata").path("resourceVersion").asLong())
        .isEqualTo(store.resourceVersion());
    // Periodic bookmarks follow progress.
    configMap("b");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> types(events).stream().filter("BOOKMARK"::equals).count() >= 2);
  }

  @Test
  void sendInitialEventsWithoutBookmarksIsInvalid() throws Exception {
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "?watch=true&sendInitialEvents=true")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(422);
    assertThat(response.body()).contains("ListOptions.meta.k8s.io \\\"\\\" is invalid");
  }

  @Test
  void aTooOldResourceVersionIsAnErrorEventWith410() throws Exception {
    for (int i = 0; i < 40; i++) {
      configMap("c" + i);
    }
    List<JsonNode> events = watch("watch=true&resourceVersion=2");
    await().atMost(Duration.ofSeconds(10)).until(() -> types(events).contains("END"));
    assertThat(events.get(0).path("type").asText()).isEqualTo("ERROR");
    JsonNode status = events.get(0).path("object");
    assertThat(status.path("kind").asText()).isEqualTo("Status");
    assertThat(status.path("code").asInt()).isEqualTo(410);
    assertThat(status.path("reason").asText()).isEqualTo("Expired");
    assertThat(status.path("message").asText()).startsWith("too old resource version: 2 (");
  }

  @Test
  void resumeDeliversOnlyLaterChangesAndTimeoutEndsTheWatch() throws Exception {
    configMap("a");
    long rv = store.resourceVersion();
    configMap("b");
    List<JsonNode> events = watch("watch=true&timeoutSeconds=1&resourceVersion=" + rv);
    await().atMost(Duration.ofSeconds(10)).until(() -> types(events).contains("END"));
    assertThat(
            events.stream()
                .map(
                    e ->
                        e.path("type").asText()
                            + " "
                            + e.path("object").path("metadata").path("name").asText()))
        .containsExactly("ADDED b", "END ");
  }

  @Test
  void tableWatchSendsColumnsOnceThenRows() throws Exception {
    configMap("a");
    HttpResponse<InputStream> response =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "?watch=true"))
                .header("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json")
                .build(),
            HttpResponse.BodyHandlers.ofInputStream());
    open.add(response.body());
    BufferedReader lines =
        new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8));
    JsonNode first = ResourceCodec.json().readTree(lines.readLine());
    assertThat(first.path("object").path("kind").asText()).isEqualTo("Table");
    assertThat(first.path("object").path("columnDefinitions").findValuesAsText("name"))
        .containsExactly("Name", "Data", "Age");
    assertThat(first.path("object").path("rows").get(0).path("cells").get(0).asText())
        .isEqualTo("a");
    configMap("b");
    JsonNode second = ResourceCodec.json().readTree(lines.readLine());
    assertThat(second.path("object").has("columnDefinitions")).isFalse();
    assertThat(second.path("object").path("rows").get(0).path("cells").get(0).asText())
        .isEqualTo("b");
  }
}
