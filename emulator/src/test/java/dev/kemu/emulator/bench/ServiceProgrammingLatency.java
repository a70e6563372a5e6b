package dev.kemu.emulator.bench;

import dev.kemu.emulator.Cluster;
import dev.kemu.emulator.Emulator;
import dev.kemu.proxy.service.ServiceProxy;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Network programming latency of the Service proxy, run by {@code scripts/bench/service.sh}: with N
 * Services (one endpoint each) served, it moves one random Service to another endpoint by writing
 * its EndpointSlice, and measures the time from the store write until (a) the proxy has applied it
 * and (b) a new connection to the ClusterIP lands on the new endpoint. Prints the percentiles of
 * both, in milliseconds.
 *
 * <p>Arguments: {@code [services=1000] [samples=1000]}.
 */
public final class ServiceProgrammingLatency {
  private static final int BACKENDS = 16;

  private ServiceProgrammingLatency() {}

  public static void main(String[] args) throws Exception {
    int services = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int samples = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
    Vertx backendsVertx = Vertx.vertx();
    int port = 0;
    for (int b = 0; b < BACKENDS; b++) {
      String ip = backendIp(b);
      NetServer server =
          backendsVertx.createNetServer(new NetServerOptions().setHost(ip).setPort(port));
      server.connectHandler(socket -> socket.end(io.vertx.core.buffer.Buffer.buffer(ip + "\n")));
      server.listen().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      port = server.actualPort();
    }
    try (Cluster cluster =
        Emulator.builder()
            .serviceCidr("127.112.0.0/16")
            .nodeAddress("127.0.1.21")
            .apiPort(0)
            .start()) {
      List<HasMetadata> objects = new ArrayList<>();
      objects.add(
          new NamespaceBuilder().withNewMetadata().withName("latency").endMetadata().build());
      int[] current = new int[services];
      for (int i = 0; i < services; i++) {
        current[i] = i % BACKENDS;
        var pair =
            ServiceBenchTarget.service(
                "svc-" + i,
                clusterIp(i),
                backendIp(current[i]),
                new ServiceBenchTarget.Port("http", "TCP", 80, port));
        objects.addAll(rename(pair));
      }
      long t0 = System.nanoTime();
      cluster.applyAll(objects);
      System.out.printf(
          "%d Services applied and served in %d ms%n",
          services, (System.nanoTime() - t0) / 1_000_000);
      ServiceProxy proxy = cluster.reader(ServiceProxy.class).orElseThrow();
      Random random = new Random(42);
      measure(cluster, proxy, current, port, random, Math.max(500, samples), services);
      var timer = proxy.meterRegistry().get("kemu.proxy.sync.duration").timer();
      long syncs = timer.count();
      double syncMillis = timer.totalTime(TimeUnit.MILLISECONDS);
      double[][] result = measure(cluster, proxy, current, port, random, samples, services);
      print("applied (write -> table swapped, portals in place)", result[0]);
      print("used    (write -> a new connection reaches the new endpoint)", result[1]);
      System.out.printf(
          "proxy syncs while measuring: %d, mean %.3f ms%n",
          timer.count() - syncs,
          (timer.totalTime(TimeUnit.MILLISECONDS) - syncMillis) / (timer.count() - syncs));
    } finally {
      backendsVertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  private static double[][] measure(
      Cluster cluster,
      ServiceProxy proxy,
      int[] current,
      int port,
      Random random,
      int samples,
      int services)
      throws Exception {
    double[] applied = new double[samples];
    double[] used = new double[samples];
    for (int s = 0; s < samples; s++) {
      int i = random.nextInt(services);
      int next = (current[i] + 1 + random.nextInt(BACKENDS - 1)) % BACKENDS;
      String want = backendIp(next);
      HasMetadata slice =
          rename(
                  ServiceBenchTarget.service(
                      "svc-" + i,
                      clusterIp(i),
                      want,
                      new ServiceBenchTarget.Port("http", "TCP", 80, port)))
              .get(1);
      long start = System.nanoTime();
      long version =
          cluster.store().apply(slice).getMetadata().getResourceVersion() == null
              ? cluster.store().resourceVersion()
              : Long.parseLong(cluster.store().resourceVersion() + "");
      var appliedFuture = proxy.whenApplied(version).thenRun(() -> {});
      long appliedAt = -1;
      while (true) {
        if (appliedAt < 0 && appliedFuture.isDone()) {
          appliedAt = System.nanoTime();
        }
        if (want.equals(ask(clusterIp(i)))) {
          break;
        }
        // Poll every 100 µs rather than back to back: the probe must not starve the proxy.
        java.util.concurrent.locks.LockSupport.parkNanos(100_000);
      }
      long usedAt = System.nanoTime();
      appliedFuture.get(10, TimeUnit.SECONDS);
      if (appliedAt < 0) {
        appliedAt = usedAt;
      }
      applied[s] = (appliedAt - start) / 1e6;
      used[s] = (usedAt - start) / 1e6;
      current[i] = next;
    }
    return new double[][] {applied, used};
  }

  /** Connects to the Service and reads which backend answered (null if refused). */
  private static String ask(String ip) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(ip, 80), 1000);
      socket.setSoTimeout(2000);
      InputStream in = socket.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
    } catch (java.net.ConnectException e) {
      return null;
    }
  }

  private static List<HasMetadata> rename(List<HasMetadata> pair) {
    for (HasMetadata object : pair) {
      object.getMetadata().setNamespace("latency");
      if (object instanceof EndpointSlice slice) {
        slice
            .getMetadata()
            .setName(slice.getMetadata().getLabels().get("kubernetes.io/service-name"));
      }
    }
    return pair;
  }

  private static String clusterIp(int i) {
    return "127.112." + (i / 250) + "." + (i % 250 + 1);
  }

  private static String backendIp(int b) {
    return "127.247.0." + (b + 1);
  }

  private static void print(String what, double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    System.out.printf(
        "%s: p50=%.3f p90=%.3f p99=%.3f max=%.3f ms (n=%d)%n",
        what,
        sorted[sorted.length / 2],
        sorted[(int) Math.floor(sorted.length * 0.90)],
        sorted[Math.min(sorted.length - 1, (int) Math.floor(sorted.length * 0.99))],
        sorted[sorted.length - 1],
        sorted.length);
  }
}
