package dev.kemu.proxy.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Ingress docs' tables, through the real proxy with a real HTTP/1.1 client: "Examples" of path
 * matching (concepts/services-networking/ingress, section "Path types") and "Hostname wildcards".
 * Each case is one Ingress on its own host; the backend names the path that matched.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class IngressPathMatchingTest {
  private IngressFixture cluster;
  private HttpProbe http;

  /** A row: the Ingress paths (type:path), the request path, the path expected to match or null. */
  record Row(String rule, List<String> paths, String request, String expected) {}

  static final List<Row> PATHS =
      List.of(
          new Row("Prefix / matches all paths", List.of("Prefix:/"), "/anything", "Prefix:/"),
          new Row("Exact /foo matches /foo", List.of("Exact:/foo"), "/foo", "Exact:/foo"),
          new Row("Exact /foo does not match /bar", List.of("Exact:/foo"), "/bar", null),
          new Row("Exact /foo does not match /foo/", List.of("Exact:/foo"), "/foo/", null),
          new Row("Exact /foo/ does not match /foo", List.of("Exact:/foo/"), "/foo", null),
          new Row("Prefix /foo matches /foo", List.of("Prefix:/foo"), "/foo", "Prefix:/foo"),
          new Row("Prefix /foo matches /foo/", List.of("Prefix:/foo"), "/foo/", "Prefix:/foo"),
          new Row("Prefix /foo/ matches /foo", List.of("Prefix:/foo/"), "/foo", "Prefix:/foo/"),
          new Row("Prefix /foo/ matches /foo/", List.of("Prefix:/foo/"), "/foo/", "Prefix:/foo/"),
          new Row(
              "Prefix /aaa/bb does not match /aaa/bbb (element-wise)",
              List.of("Prefix:/aaa/bb"),
              "/aaa/bbb",
              null),
          new Row(
              "Prefix /aaa/bbb matches /aaa/bbb",
              List.of("Prefix:/aaa/bbb"),
              "/aaa/bbb",
              "Prefix:/aaa/bbb"),
          new Row(
              "Prefix /aaa/bbb/ matches /aaa/bbb (ignores trailing slash)",
              List.of("Prefix:/aaa/bbb/"),
              "/aaa/bbb",
              "Prefix:/aaa/bbb/"),
          new Row(
              "Prefix /aaa/bbb matches /aaa/bbb/ (matches trailing slash)",
              List.of("Prefix:/aaa/bbb"),
              "/aaa/bbb/",
              "Prefix:/aaa/bbb"),
          new Row(
              "Prefix /aaa/bbb matches /aaa/bbb/ccc (matches subpath)",
              List.of("Prefix:/aaa/bbb"),
              "/aaa/bbb/ccc",
              "Prefix:/aaa/bbb"),
          new Row(
              "Prefix /aaa/bbb does not match /aaa/bbbxyz (not a string prefix)",
              List.of("Prefix:/aaa/bbb"),
              "/aaa/bbbxyz",
              null),
          new Row(
              "Prefix /, /aaa: /aaa/ccc matches /aaa",
              List.of("Prefix:/", "Prefix:/aaa"),
              "/aaa/ccc",
              "Prefix:/aaa"),
          new Row(
              "Prefix /, /aaa, /aaa/bbb: /aaa/bbb matches /aaa/bbb (longest)",
              List.of("Prefix:/", "Prefix:/aaa", "Prefix:/aaa/bbb"),
              "/aaa/bbb",
              "Prefix:/aaa/bbb"),
          new Row(
              "Prefix /, /aaa, /aaa/bbb: /ccc matches /",
              List.of("Prefix:/", "Prefix:/aaa", "Prefix:/aaa/bbb"),
              "/ccc",
              "Prefix:/"),
          new Row(
              "Prefix /aaa: /ccc uses the default backend", List.of("Prefix:/aaa"), "/ccc", null),
          new Row(
              "Mixed /foo Prefix and /foo Exact: /foo prefers Exact",
              List.of("Prefix:/foo", "Exact:/foo"),
              "/foo",
              "Exact:/foo"),
          new Row(
              "ImplementationSpecific /foo is an nginx string prefix (ingress-nginx)",
              List.of("ImplementationSpecific:/foo"),
              "/foobar",
              "ImplementationSpecific:/foo"));

  /** Host, request Host header, whether it matches (Ingress docs, "Hostname wildcards"). */
  record HostRow(String rule, String host, String request, boolean matches) {}

  static final List<HostRow> HOSTS =
      List.of(
          new HostRow(
              "*.foo.com matches bar.foo.com (shared suffix)", "*.foo.com", "bar.foo.com", true),
          new HostRow(
              "*.foo.com does not match baz.bar.foo.com (one label only)",
              "*.foo.com",
              "baz.bar.foo.com",
              false),
          new HostRow(
              "*.foo.com does not match foo.com (one label only)", "*.foo.com", "foo.com", false),
          new HostRow(
              "exact host foo.bar.com matches foo.bar.com", "foo.bar.com", "foo.bar.com", true),
          new HostRow(
              "exact host matches case-insensitively with a port",
              "foo.bar.com",
              "FOO.bar.com:8080",
              true),
          new HostRow(
              "exact host foo.bar.com does not match bar.foo.com",
              "foo.bar.com",
              "other.bar.com",
              false));

  @BeforeAll
  void start() throws Exception {
    cluster = new IngressFixture(11);
    http = new HttpProbe(cluster.vertx);
    int port = cluster.backend("echo", 1);
    StringBuilder yaml = new StringBuilder();
    // One Service per distinct path so the answer names the path that matched.
    java.util.Set<String> services = new java.util.TreeSet<>();
    for (Row row : PATHS) {
      services.addAll(row.paths());
    }
    for (String path : services) {
      cluster.service(serviceName(path), port, "127.247.11.1");
    }
    cluster.service("hosts", port, "127.247.11.1");
    for (int i = 0; i < PATHS.size(); i++) {
      Row row = PATHS.get(i);
      StringBuilder paths = new StringBuilder();
      for (String path : row.paths()) {
        String[] parts = path.split(":", 2);
        paths.append(
            """
                  - path: %s
                    pathType: %s
                    backend: {service: {name: %s, port: {number: 80}}}
            """
                .formatted(parts[1], parts[0], serviceName(path)));
      }
      yaml.append(
          """
          apiVersion: networking.k8s.io/v1
          kind: Ingress
          metadata: {name: path-%d, namespace: default}
          spec:
            rules:
            - host: path-%d.test
              http:
                paths:
          %s
          ---
          """
              .formatted(i, i, paths));
    }
    for (int i = 0; i < HOSTS.size(); i++) {
      yaml.append(
          """
          apiVersion: networking.k8s.io/v1
          kind: Ingress
          metadata: {name: host-%d, namespace: default}
          spec:
            rules:
            - host: "%s"
              http:
                paths:
                - {path: /host-%d, pathType: Prefix, backend: {service: {name: hosts, port: {name: http}}}}
          ---
          """
              .formatted(i, HOSTS.get(i).host(), i));
    }
    cluster.apply(yaml.toString());
  }

  static String serviceName(String path) {
    return "p-" + Integer.toHexString(path.hashCode());
  }

  @AfterAll
  void stop() throws Exception {
    http.close();
    cluster.close();
  }

  static Stream<Arguments> paths() {
    return PATHS.stream().map(row -> Arguments.of(row.rule(), row));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("paths")
  void pathMatchingExamples(String rule, Row row) throws Exception {
    int index = PATHS.indexOf(row);
    HttpProbe.Reply reply = http.get(cluster.nodeUrl(), "path-" + index + ".test", row.request());
    if (row.expected() == null) {
      assertThat(reply.status()).as(rule).isEqualTo(404);
    } else {
      assertThat(reply.status()).as(rule).isEqualTo(200);
      assertThat(reply.json().getString("backend")).isEqualTo("echo");
      assertThat(reply.json().getString("uri")).isEqualTo(row.request());
      assertThat(servedBy(reply)).as(rule).isEqualTo(row.expected());
    }
  }

  /** Which path served: the proxy's X-Original-URI is the request; the Service is in the route. */
  private String servedBy(HttpProbe.Reply reply) {
    // Each Service is only reached through its own path, so the table tells which one matched.
    String host = reply.json().getString("host");
    String path = reply.json().getString("uri");
    RouteTable.Match match = cluster.controller.table().route(host, path);
    String service = match.rule().backend().name();
    for (Row row : PATHS) {
      for (String candidate : row.paths()) {
        if (service.equals("default/" + serviceName(candidate) + ":80")) {
          return candidate;
        }
      }
    }
    return service;
  }

  static Stream<Arguments> hosts() {
    return HOSTS.stream().map(row -> Arguments.of(row.rule(), row));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("hosts")
  void hostnameWildcards(String rule, HostRow row) throws Exception {
    int index = HOSTS.indexOf(row);
    HttpProbe.Reply reply = http.get(cluster.nodeUrl(), row.request(), "/host-" + index);
    assertThat(reply.status()).as(rule).isEqualTo(row.matches() ? 200 : 404);
  }
}
