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

  /** The UDP Service gets the next address: a ClusterIP belongs to one Service. */
  private static String nextIp(String vip) {
    int dot = vip.lastIndexOf('.');
    return vip.substring(0, dot + 1) + (Integer.parseInt(vip.substring(dot + 1)) + 1);
  }
}
