package dev.kemu.api.registry;

import dev.kemu.api.model.FieldError;
import dev.kemu.api.model.ResourceType;
import dev.kemu.api.model.ResourceTypes;
import dev.kemu.api.store.ApiException;
import dev.kemu.api.store.ListOptions;
import dev.kemu.api.store.ResourceStore;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;

/**
 * The per-kind write path of the apiserver, installed on a {@link ResourceStore}: defaulting,
 * validation and allocation for Services, Pods, Namespaces, Ingresses, NetworkPolicies and the
 * workload kinds, as the registry strategies of {@code pkg/registry/...} and the validation of
 * {@code pkg/apis/.../validation} do. It owns the ClusterIP and NodePort allocators.
 */
public final class Registry {
  private final IpAllocator clusterIps;
  private final NodePortAllocator nodePorts;

  private Registry(IpAllocator clusterIps, NodePortAllocator nodePorts) {
    this.clusterIps = clusterIps;
    this.nodePorts = nodePorts;
  }

  /**
   * Registers the strategies of every kind kemu validates with the store. Allocators follow the
   * plan: ClusterIPs from {@link AddressPlan#serviceCidr()} with the apiserver's static band kept
   * for explicit requests (so {@code kubernetes} at .1 and {@code kube-dns} at .10 are only given
   * when asked for), NodePorts from {@link AddressPlan#nodePortMin()} to {@link
   * AddressPlan#nodePortMax()}. Services already in the store keep what they hold.
   *
   * @return the registry, for its allocators
   */
  public static Registry install(ResourceStore store, AddressPlan plan) {
    Objects.requireNonNull(store);
    Cidr serviceCidr = plan.serviceCidr();
    Registry registry =
        new Registry(
            new IpAllocator(serviceCidr, IpAllocator.staticBand(serviceCidr)),
            new NodePortAllocator(plan.nodePortMin(), plan.nodePortMax()));
    ServiceStrategy services = new ServiceStrategy(registry.clusterIps, registry.nodePorts);
    for (Service service : store.list(Service.class, ListOptions.all())) {
      services.restore(service);
    }
    store.register(ResourceTypes.SERVICE, services);
    store.register(ResourceTypes.POD, new PodStrategy());
    store.register(ResourceTypes.NAMESPACE, new NamespaceStrategy());
    store.register(ResourceTypes.INGRESS, new IngressStrategy());
    store.register(ResourceTypes.NETWORK_POLICY, new NetworkPolicyStrategy());
    store.register(ResourceTypes.DEPLOYMENT, WorkloadStrategy.deployments());
    store.register(ResourceTypes.REPLICA_SET, WorkloadStrategy.replicaSets());
    store.register(ResourceTypes.STATEFUL_SET, WorkloadStrategy.statefulSets());
    store.register(ResourceTypes.DAEMON_SET, WorkloadStrategy.daemonSets());
    return registry;
  }

  /** The ClusterIP allocator. */
  public IpAllocator clusterIps() {
    return clusterIps;
  }

  /** The NodePort allocator (health check NodePorts included). */
  public NodePortAllocator nodePorts() {
    return nodePorts;
  }

  /** How many ClusterIPs are allocated. */
  public int allocatedClusterIps() {
    return clusterIps.allocated();
  }

  /** How many NodePorts are allocated. */
  public int allocatedNodePorts() {
    return nodePorts.allocated();
  }

  /**
   * Rejects a write with its field errors, as {@code errors.NewInvalid}; does nothing when there
   * are none. Identical messages are reported once, as {@code ErrorList.ToAggregate} does.
   */
  static void reject(ResourceType type, HasMetadata object, List<FieldError> errors) {
    if (errors.isEmpty()) {
      return;
    }
    List<FieldError> unique = new ArrayList<>();
    LinkedHashSet<String> seen = new LinkedHashSet<>();
    for (FieldError error : errors) {
      if (seen.add(error.toString())) {
        unique.add(error);
      }
    }
    String name = object.getMetadata() == null ? "" : object.getMetadata().getName();
    throw new ApiException.Invalid(type, Objects.requireNonNullElse(name, ""), unique);
  }
}
