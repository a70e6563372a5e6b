package dev.kemu.emulator;

import dev.kemu.api.informer.StoreReader;
import dev.kemu.api.registry.AddressPlan;
import dev.kemu.api.store.ResourceStore;
import dev.kemu.dns.ClusterDns;
import dev.kemu.dns.DnsOptions;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The wiring of one cluster: which strategies guard the write path, which readers follow the store
 * (controllers as in kube-controller-manager, the kubelet, the data plane) and which sources write
 * into it. The one place to look to see what a kemu cluster runs.
 */
final class Components {
  private Components() {}

  /** Installs the write path (validation, defaulting, allocation) and the bootstrap objects. */
  static void install(ResourceStore store, AddressPlan plan) {}

  /** The readers, in start order. */
  static List<StoreReader> readers(
      ResourceStore store, AddressPlan plan, Vertx vertx, DnsOptions dns) {
    List<StoreReader> readers = new ArrayList<>();
    readers.add(new ClusterDns(store, plan, vertx, dns)); // CoreDNS
    return readers;
  }

  /** The sources that write into the store from outside. */
  static List<AutoCloseable> sources(ResourceStore store, List<Path> manifests, boolean watch) {
    return List.of();
  }
}
