package dev.kemu.emulator.bench;

import dev.kemu.emulator.Cluster;
import dev.kemu.emulator.Emulator;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Latency of the API port for N objects: create, get, list, update (ConfigMaps), Service creates
 * (with ClusterIP allocation and EndpointSlice reconciliation), and watch delivery (from sending an
 * update to reading its MODIFIED event on an open watch). Prints p50/p99 in milliseconds.
 *
 * <p>Usage: {@code ApiBench [objects]} (default 1000).
 */
public final class ApiBench {
  private ApiBench() {}

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    try (Cluster cluster =
        Emulator.builder().apiHost("127.0.0.1").apiPort(0).historySize(100_000).start()) {
      String base = cluster.apiUrl();
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      send(http, "POST", base + "/api/v1/namespaces", "{\"metadata\":{\"name\":\"bench\"}}");
      String cms = base + "/api/v1/namespaces/bench/configmaps";
      // Warm-up, not measured.
      for (int i = 0; i < 200; i++) {
        send(http, "POST", cms, configMap("warm-" + i, "0", null));
        send(http, "GET", cms + "/warm-" + i, null);
      }
      List<Long> create = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        create.add(time(http, "POST", cms, configMap("cm-" + i, "0", null)));
      }
      List<Long> get = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        get.add(time(http, "GET", cms + "/cm-" + i, null));
      }
      List<Long> list = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        list.add(time(http, "GET", cms, null));
      }
      List<Long> services = new ArrayList<>();
      String svcs = base + "/api/v1/namespaces/bench/services";
      for (int i = 0; i < Math.min(n, 1000); i++) {
        services.add(
            time(
                http,
                "POST",
                svcs,
                "{\"metadata\":{\"name\":\"svc-"
                    + i
                    + "\"},\"spec\":{\"selector\":{\"app\":\"a"
                    + i
                    + "\"},\"ports\":[{\"port\":80}]}}"));
      }

      // Watch delivery: an open watch; each update's MODIFIED event is timed from the send.
      Map<String, Long> sent = new ConcurrentHashMap<>();
      List<Long> delivery = Collections.synchronizedList(new ArrayList<>());
      CountDownLatch all = new CountDownLatch(n);
      String rv = rv(send(http, "GET", cms + "?limit=1", null));
      HttpResponse<InputStream> watch =
          http.send(
              HttpRequest.newBuilder(URI.create(cms + "?watch=true&resourceVersion=" + rv)).build(),
              HttpResponse.BodyHandlers.ofInputStream());
      Thread reader =
          new Thread(
              () -> {
                try (BufferedReader lines =
                    new BufferedReader(
                        new InputStreamReader(watch.body(), StandardCharsets.UTF_8))) {
                  String line;
                  while ((line = lines.readLine()) != null) {
                    long now = System.nanoTime();
                    int at = line.indexOf("\"bench-id\":\"");
                    if (line.startsWith("{\"type\":\"MODIFIED\"") && at >= 0) {
                      String id = line.substring(at + 12, line.indexOf('"', at + 12));
                      Long start = sent.remove(id);
                      if (start != null) {
                        delivery.add(now - start);
                        all.countDown();
                      }
                    }
                  }
                } catch (java.io.IOException e) {
                  // The watch ends when the cluster closes.
                }
              });
      reader.setDaemon(true);
      reader.start();
      List<Long> update = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        String id = "u" + i;
        sent.put(id, System.nanoTime());
        update.add(time(http, "PUT", cms + "/cm-" + i, configMap("cm-" + i, "1", id)));
      }
      boolean complete = all.await(60, TimeUnit.SECONDS);

      System.out.println("objects=" + n + " (ConfigMaps; Services with allocation)");
      report("create configmap", create);
      report("update configmap", update);
      report("create service", services);
      report("get", get);
      report("list " + (n + 200) + " configmaps", list);
      report("watch delivery" + (complete ? "" : " (INCOMPLETE)"), new ArrayList<>(delivery));
    }
  }

  private static String configMap(String name, String value, String id) {
    return "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\""
        + name
        + "\""
        + (id == null ? "" : ",\"annotations\":{\"bench-id\":\"" + id + "\"}")
        + "},\"data\":{\"v\":\""
        + value
        + "\"}}";
  }

  private static String rv(String list) {
    int at = list.indexOf("\"resourceVersion\":\"");
    return list.substring(at + 19, list.indexOf('"', at + 19));
  }

  private static String send(HttpClient http, String method, String url, String body)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json");
    request.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    HttpResponse<String> response =
        http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() >= 300) {
      throw new IllegalStateException(
          method + " " + url + ": " + response.statusCode() + " " + response.body());
    }
    return response.body();
  }

  private static long time(HttpClient http, String method, String url, String body)
      throws Exception {
    long start = System.nanoTime();
    send(http, method, url, body);
    return System.nanoTime() - start;
  }

  private static void report(String what, List<Long> nanos) {
    Collections.sort(nanos);
    if (nanos.isEmpty()) {
      System.out.printf("%-28s no samples%n", what);
      return;
    }
    System.out.printf(
        "%-28s n=%-5d p50=%7.2f ms  p99=%7.2f ms  max=%7.2f ms%n",
        what,
        nanos.size(),
        nanos.get((int) (nanos.size() * 0.50)) / 1e6,
        nanos.get(Math.min(nanos.size() - 1, (int) (nanos.size() * 0.99))) / 1e6,
        nanos.get(nanos.size() - 1) / 1e6);
  }
}
