package dev.kemu.emulator;

import dev.kemu.api.controllers.ClusterBootstrap;
import dev.kemu.api.controllers.DaemonSetController;
import dev.kemu.api.controllers.DeploymentController;
import dev.kemu.api.controllers.EndpointSliceController;
import dev.kemu.api.controllers.EndpointsController;
import dev.kemu.api.controllers.GarbageCollector;
import dev.kemu.api.controllers.LoadBalancerController;
import dev.kemu.api.controllers.NamespaceController;
import dev.kemu.api.controllers.ReplicaSetController;
import dev.kemu.api.controllers.StatefulSetController;
import dev.kemu.api.informer.StoreReader;
import dev.kemu.api.manifests.ApplyReport;
import dev.kemu.api.manifests.ManifestDirectorySource;
import dev.kemu.api.registry.AddressPlan;
import dev.kemu.api.registry.IpAllocator;
import dev.kemu.api.registry.Registry;
import dev.kemu.api.store.ResourceStore;
import dev.kemu.dns.ClusterDns;
import dev.kemu.emulator.runtime.PodRuntime;
import dev.kemu.proxy.ingress.IngressAdmission;
import dev.kemu.proxy.ingress.IngressController;
import dev.kemu.proxy.service.ServiceProxy;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The wiring of one cluster: which strategies guard the write path, which readers follow the store
 * (controllers as in kube-controller-manager, the kubelet, the data plane) and which sources write
 * into it. The one place to look to see what a kemu cluster runs.
 */
final class Components {
  private Components() {}

  /** Installs the write path (validation, defaulting, allocation) and the bootstrap objects. */
  static void install(ResourceStore store, Emulator.ClusterSpec spec) {
    // kube-apiserver: defaulting, validation and allocation in the write path.
    Registry.install(store, spec.plan());
    if (spec.ingressValidation()) {
      // ingress-nginx's validating webhook, after the Ingress strategy's own validation.
      IngressAdmission.install(store, spec.ingressOptions().extraClasses());
    }
    // The objects every cluster has: system namespaces, the node, kubernetes and kube-dns.
    ClusterBootstrap.apply(store, spec.plan());
  }

  /** The readers, in start order. */
  static List<StoreReader> readers(ResourceStore store, Emulator.ClusterSpec spec, Vertx vertx) {
    AddressPlan plan = spec.plan();
    List<StoreReader> readers = new ArrayList<>();
    // One LoadBalancer pool for Services and Ingresses, so they never get the same address.
    IpAllocator loadBalancerPool = new IpAllocator(plan.loadBalancerPool(), 0);
    // kube-controller-manager
    readers.add(new NamespaceController(store));
    readers.add(new GarbageCollector(store));
    readers.add(new DeploymentController(store));
    readers.add(new ReplicaSetController(store));
    readers.add(new StatefulSetController(store));
    readers.add(new DaemonSetController(store));
    readers.add(new EndpointSliceController(store));
    readers.add(new EndpointsController(store));
    readers.add(new LoadBalancerController(store, loadBalancerPool));
    // kubelet
    readers.add(new PodRuntime(store, plan, vertx));
    // data plane: CoreDNS, kube-proxy (userspace) owning every Service address, Ingress
    readers.add(new ClusterDns(store, plan, vertx, spec.dns()));
    readers.add(new ServiceProxy(store, plan, vertx, store.clock()));
    readers.add(
        new IngressController(
            store,
            plan,
            loadBalancerPool,
            vertx,
            spec.ingressOptions(),
            spec.certificateAuthority()));
    return readers;
  }

  /** The sources that write into the store from outside. */
  static List<AutoCloseable> sources(
      ResourceStore store, List<Path> manifests, boolean watch, Consumer<ApplyReport> reports) {
    if (manifests.isEmpty()) {
      return List.of();
    }
    ManifestDirectorySource source = new ManifestDirectorySource(store, manifests, watch, reports);
    reports.accept(source.start());
    return List.of(source);
  }
}
