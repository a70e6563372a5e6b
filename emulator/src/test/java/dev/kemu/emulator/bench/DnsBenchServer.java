package dev.kemu.emulator.bench;

import dev.kemu.emulator.Cluster;
import dev.kemu.emulator.Emulator;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * kemu with its cluster DNS on a given port and the Services of a YAML file applied in-process:
 * what {@code scripts/bench/dns.sh} runs when the CLI jar at hand does not load {@code --manifests}
 * (a build without the manifest source). Prints {@code kemu ready} and serves until killed.
 *
 * <p>Usage: {@code DnsBenchServer PORT services.yaml}
 */
public final class DnsBenchServer {
  private DnsBenchServer() {}

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    Cluster cluster = Emulator.builder().dnsPort(port).watchManifests(false).start();
    List<HasMetadata> objects = new ArrayList<>();
    for (String name : List.of("default", "kube-system")) {
      if (cluster.get(Namespace.class, null, name).isEmpty()) {
        objects.add(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build());
      }
    }
    objects.addAll(BenchManifests.read(Path.of(args[1])));
    cluster.applyAll(objects);
    System.out.printf("kemu ready: DNS on %s, %d objects%n", cluster.dnsAddress(), objects.size());
    System.out.flush();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  cluster.close();
                  stopped.countDown();
                }));
    stopped.await();
  }
}
