package dev.kemu.emulator.bench;

import dev.kemu.emulator.Cluster;
import dev.kemu.emulator.Emulator;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * The kemu side of {@code scripts/bench/service.sh}: a cluster whose Services forward what the
 * shared anchors expect ({@code ../shared/bench/README.md}): a TCP Service to the HTTP backend
 * 127.0.0.1:18080, a TCP Service to the byte sink 127.0.0.1:19000, and a UDP Service to unbound at
 * 127.0.0.1:15354. Services without selectors and hand-written EndpointSlices, as for any endpoint
 * outside the cluster. Prints {@code ready pid=<pid>} and runs until killed.
 *
 * <p>Arguments: {@code <vip> <node-address>}. The node address is where kemu's upstream connections
 * come from (its SNAT address), kept apart from the other rows' sources as the anchor's README
 * asks.
 */
public final class ServiceBenchTarget {
  private ServiceBenchTarget() {}

  public static void main(String[] args) throws InterruptedException {
    String vip = args.length > 0 ? args[0] : "127.96.0.20";
    String node = args.length > 1 ? args[1] : "127.0.1.20";
    Cluster cluster = Emulator.builder().nodeAddress(node).apiHost("127.0.0.1").apiPort(0).start();
    Runtime.getRuntime().addShutdownHook(new Thread(cluster::close));
    List<HasMetadata> objects = new ArrayList<>();
    objects.add(new NamespaceBuilder().withNewMetadata().withName("bench").endMetadata().build());
    // One Service for the TCP rows (two ports, as the anchor's VIPs have), one for UDP.
    objects.addAll(
        service(
            "anchor",
            vip,
            "127.0.0.1",
            new Port("http", "TCP", 18080, 18080),
            new Port("bulk", "TCP", 19000, 19000)));
    objects.addAll(service("dns", nextIp(vip), "127.0.0.1", new Port("dns", "UDP", 53, 15354)));
    cluster.applyAll(objects);
    if (!Boolean.getBoolean("kemu.bench.cold")) {
      warmUp(cluster, nextIp(nextIp(vip)));
    }
    System.out.println(
        "ready pid=" + ProcessHandle.current().pid() + " api=" + cluster.apiUrl() + " vip=" + vip);
    System.out.flush();
    new CountDownLatch(1).await();
  }

  record Port(String name, String protocol, int port, int targetPort) {}

  static List<HasMetadata> service(String name, String vip, String endpoint, Port... ports) {
    var service =
        new ServiceBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace("bench")
            .endMetadata()
            .withNewSpec()
            .withClusterIP(vip)
            .endSpec();
    var slice =
        new EndpointSliceBuilder()
            .withNewMetadata()
            .withName(name + "-1")
            .withNamespace("bench")
            .addToLabels("kubernetes.io/service-name", name)
            .endMetadata()
            .withAddressType("IPv4")
            .addNewEndpoint()
            .withAddresses(endpoint)
            .endEndpoint();
    for (Port port : ports) {
      service
          .editSpec()
          .addNewPort()
          .withName(port.name())
          .withProtocol(port.protocol())
          .withPort(port.port())
          .endPort()
          .endSpec();
      slice
          .addNewPort()
          .withName(port.name())
          .withProtocol(port.protocol())
          .withPort(port.targetPort())
          .endPort();
    }
    return List.of(service.build(), slice.build());
  }

  /**
   * Warms the JIT on the connection path before the anchor measures. The JVM compiles the code of
   * new connections after some 20,000 of them; the anchor's warm-up ({@code EMU_WARMUP}) only runs
   * keep-alive requests, so without this the first churn rounds would measure the interpreter. Runs
   * 40,000 short connections and a few bulk transfers through a Service of its own (its own
   * backend, its own addresses), then deletes that Service. Skip with {@code
   * -Dkemu.bench.cold=true}.
   */
  static void warmUp(Cluster cluster, String vip) throws InterruptedException {
    io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    try {
      String backendIp = "127.0.1.31";
      var server =
          vertx.createNetServer(
              new io.vertx.core.net.NetServerOptions().setHost(backendIp).setPort(18080));
      io.vertx.core.buffer.Buffer answer =
          io.vertx.core.buffer.Buffer.buffer(
              "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n");
      server.connectHandler(
          socket ->
              socket.handler(
                  data -> {
                    if (data.length() < 1024) {
                      socket.end(answer);
                    }
                  }));
      server.listen().toCompletionStage().toCompletableFuture().join();
      var sink =
          vertx.createNetServer(
              new io.vertx.core.net.NetServerOptions().setHost(backendIp).setPort(19000));
      sink.connectHandler(socket -> socket.handler(data -> {}));
      sink.listen().toCompletionStage().toCompletableFuture().join();
      cluster.applyAll(
          service(
              "warmup",
              vip,
              backendIp,
              new Port("http", "TCP", 18080, 18080),
              new Port("bulk", "TCP", 19000, 19000)));
      byte[] chunk = new byte[256 * 1024];
      for (int i = 0; i < 4; i++) {
        try (java.net.Socket socket = new java.net.Socket(vip, 19000)) {
          for (int n = 0; n < 1024; n++) {
            socket.getOutputStream().write(chunk);
          }
        } catch (java.io.IOException e) {
          // a failed warm-up transfer only warms less
        }
      }
      Thread[] clients = new Thread[8];
      for (int t = 0; t < clients.length; t++) {
        clients[t] =
            new Thread(
                () -> {
                  byte[] request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes();
                  byte[] buffer = new byte[4096];
                  for (int i = 0; i < 5000; i++) {
                    try (java.net.Socket socket = new java.net.Socket(vip, 18080)) {
                      socket.getOutputStream().write(request);
                      while (socket.getInputStream().read(buffer) >= 0) {
                        // read the answer to its end
                      }
                    } catch (java.io.IOException e) {
                      // a failed warm-up connection only warms less
                    }
                  }
                });
        clients[t].start();
      }
      for (Thread client : clients) {
        client.join();
      }
      cluster.delete(io.fabric8.kubernetes.api.model.Service.class, "bench", "warmup");
      server.close().toCompletionStage().toCompletableFuture().join();
      sink.close().toCompletionStage().toCompletableFuture().join();
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().join();
    }
  }

  /** The UDP Service gets the next address: a ClusterIP belongs to one Service. */
  private static String nextIp(String vip) {
    int dot = vip.lastIndexOf('.');
    return vip.substring(0, dot + 1) + (Integer.parseInt(vip.substring(dot + 1)) + 1);
  }
}
