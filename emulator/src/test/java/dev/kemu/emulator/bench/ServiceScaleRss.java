package dev.kemu.emulator.bench;

import dev.kemu.emulator.Cluster;
import dev.kemu.emulator.Emulator;
import dev.kemu.proxy.service.PortalStatus;
import dev.kemu.proxy.service.ServiceProxy;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Resident memory of kemu serving many Services, run by {@code scripts/bench/service.sh}: N
 * Services with M endpoints each (one EndpointSlice per Service, as the EndpointSlice controller
 * writes up to 100 endpoints per slice), every ClusterIP listening. Prints the process's RSS after
 * the cluster has settled and a full GC, and the heap in use.
 *
 * <p>Arguments: {@code [services=1000] [endpointsPerService=10]}.
 */
public final class ServiceScaleRss {
  private ServiceScaleRss() {}

  public static void main(String[] args) throws Exception {
    int services = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int perService = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    long idle;
    try (Cluster cluster =
        Emulator.builder()
            .serviceCidr("127.113.0.0/16")
            .nodeAddress("127.0.1.22")
            .apiPort(0)
            .start()) {
      idle = rssKb();
      List<HasMetadata> objects = new ArrayList<>();
      objects.add(new NamespaceBuilder().withNewMetadata().withName("scale").endMetadata().build());
      for (int i = 0; i < services; i++) {
        String name = "svc-" + i;
        objects.add(
            new ServiceBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace("scale")
                .endMetadata()
                .withNewSpec()
                .withClusterIP("127.113." + (i / 250) + "." + (i % 250 + 1))
                .addNewPort()
                .withName("http")
                .withPort(80)
                .endPort()
                .endSpec()
                .build());
        var slice =
            new EndpointSliceBuilder()
                .withNewMetadata()
                .withName(name + "-1")
                .withNamespace("scale")
                .addToLabels("kubernetes.io/service-name", name)
                .endMetadata()
                .withAddressType("IPv4")
                .addNewPort()
                .withName("http")
                .withPort(8080)
                .withProtocol("TCP")
                .endPort();
        for (int e = 0; e < perService; e++) {
          int n = i * perService + e;
          slice
              .addNewEndpoint()
              .withAddresses("127.248." + (n / 250) + "." + (n % 250 + 1))
              .withNodeName("kemu-node")
              .withNewConditions()
              .withReady(true)
              .endConditions()
              .endEndpoint();
        }
        objects.add(slice.build());
      }
      long t0 = System.nanoTime();
      cluster.applyAll(objects);
      long ms = (System.nanoTime() - t0) / 1_000_000;
      long listening =
          cluster.reader(ServiceProxy.class).orElseThrow().portals().stream()
              .filter(p -> p.state() == PortalStatus.State.LISTENING)
              .count();
      // System.gc() is a synchronous full collection: repeat until the heap stops shrinking.
      long before = Long.MAX_VALUE;
      for (int i = 0; i < 5; i++) {
        System.gc();
        long used = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
        if (before - used < 1024 * 1024) {
          break;
        }
        before = used;
      }
      Runtime runtime = Runtime.getRuntime();
      long heapUsed = (runtime.totalMemory() - runtime.freeMemory()) / (1024 * 1024);
      System.out.printf(
          "services=%d endpoints=%d listening=%d applied_ms=%d idle_rss_mb=%d rss_mb=%d"
              + " heap_used_mb=%d heap_committed_mb=%d%n",
          services,
          services * perService,
          listening,
          ms,
          idle / 1024,
          rssKb() / 1024,
          heapUsed,
          runtime.totalMemory() / (1024 * 1024));
    }
  }

  private static long rssKb() throws java.io.IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return -1;
  }
}
