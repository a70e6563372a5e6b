package dev.kemu.api.model;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressClass;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kinds one store serves: the built-in kinds kemu understands, plus kinds registered at run
 * time (Gateway API objects, custom resources), which are stored and served back unchanged as
 * {@link GenericKubernetesResource}. Mirrors the apiserver's RESTMapper.
 */
public final class ResourceTypes {
  private static final Logger logger = LoggerFactory.getLogger(ResourceTypes.class);

  public static final ResourceType NAMESPACE =
      core("Namespace", "namespaces", false, true, Namespace.class);
  public static final ResourceType NODE = core("Node", "nodes", false, true, Node.class);
  public static final ResourceType SERVICE = core("Service", "services", true, true, Service.class);
  public static final ResourceType ENDPOINTS =
      core("Endpoints", "endpoints", true, false, Endpoints.class);
  public static final ResourceType POD = core("Pod", "pods", true, true, Pod.class);
  public static final ResourceType SECRET = core("Secret", "secrets", true, false, Secret.class);
  public static final ResourceType CONFIG_MAP =
      core("ConfigMap", "configmaps", true, false, ConfigMap.class);
  public static final ResourceType EVENT = core("Event", "events", true, false, Event.class);
  public static final ResourceType DEPLOYMENT =
      new ResourceType("apps", "v1", "Deployment", "deployments", true, true, Deployment.class);
  public static final ResourceType REPLICA_SET =
      new ResourceType("apps", "v1", "ReplicaSet", "replicasets", true, true, ReplicaSet.class);
  public static final ResourceType STATEFUL_SET =
      new ResourceType("apps", "v1", "StatefulSet", "statefulsets", true, true, StatefulSet.class);
  public static final ResourceType DAEMON_SET =
      new ResourceType("apps", "v1", "DaemonSet", "daemonsets", true, true, DaemonSet.class);
  public static final ResourceType ENDPOINT_SLICE =
      new ResourceType(
          "discovery.k8s.io",
          "v1",
          "EndpointSlice",
          "endpointslices",
          true,
          false,
          EndpointSlice.class);
  public static final ResourceType INGRESS =
      new ResourceType(
          "networking.k8s.io", "v1", "Ingress", "ingresses", true, true, Ingress.class);
  public static final ResourceType INGRESS_CLASS =
      new ResourceType(
          "networking.k8s.io",
          "v1",
          "IngressClass",
          "ingressclasses",
          false,
          false,
          IngressClass.class);
  public static final ResourceType NETWORK_POLICY =
      new ResourceType(
          "networking.k8s.io",
          "v1",
          "NetworkPolicy",
          "networkpolicies",
          true,
          false,
          NetworkPolicy.class);
  public static final ResourceType CUSTOM_RESOURCE_DEFINITION =
      new ResourceType(
          "apiextensions.k8s.io",
          "v1",
          "CustomResourceDefinition",
          "customresourcedefinitions",
          false,
          true,
          CustomResourceDefinition.class);

  /** Every built-in kind, in the order manifests are applied when given together. */
  public static final List<ResourceType> BUILT_IN =
      List.of(
          NAMESPACE,
          CUSTOM_RESOURCE_DEFINITION,
          NODE,
          CONFIG_MAP,
          SECRET,
          INGRESS_CLASS,
          SERVICE,
          ENDPOINTS,
          ENDPOINT_SLICE,
          NETWORK_POLICY,
          DEPLOYMENT,
          REPLICA_SET,
          STATEFUL_SET,
          DAEMON_SET,
          POD,
          INGRESS,
          EVENT);

  private final Map<String, ResourceType> byApiVersionKind = new ConcurrentHashMap<>();
  private final Map<Class<?>, ResourceType> byJavaType = new ConcurrentHashMap<>();

  /** A registry holding the built-in kinds. */
  public ResourceTypes() {
    for (ResourceType type : BUILT_IN) {
      byApiVersionKind.put(type.apiVersion() + "/" + type.kind(), type);
      byJavaType.put(type.javaType(), type);
    }
  }

  private static ResourceType core(
      String kind,
      String plural,
      boolean namespaced,
      boolean hasStatus,
      Class<? extends HasMetadata> javaType) {
    return new ResourceType("", "v1", kind, plural, namespaced, hasStatus, javaType);
  }

  /** The type of an {@code apiVersion} and {@code kind}, if known. */
  public Optional<ResourceType> find(String apiVersion, String kind) {
    return Optional.ofNullable(byApiVersionKind.get(apiVersion + "/" + kind));
  }

  /** The built-in type of a fabric8 model class. */
  public ResourceType of(Class<? extends HasMetadata> javaType) {
    ResourceType type = byJavaType.get(javaType);
    if (type == null) {
      throw new IllegalArgumentException("not a kind kemu knows: " + javaType.getName());
    }
    return type;
  }

  /** The type of an object, from its {@code apiVersion} and {@code kind}, or its class. */
  public Optional<ResourceType> of(HasMetadata object) {
    if (!(object instanceof GenericKubernetesResource)) {
      ResourceType type = byJavaType.get(object.getClass());
      if (type != null) {
        return Optional.of(type);
      }
    }
    if (object.getApiVersion() == null || object.getKind() == null) {
      return Optional.empty();
    }
    return find(object.getApiVersion(), object.getKind());
  }

  /**
   * Registers a kind kemu does not model, to be stored and served back unchanged. Logs one warning
   * per kind, since kemu gives such objects no behaviour.
   *
   * @param apiVersion {@code group/version}
   * @param kind the kind
   * @param plural the resource name, or null to guess it as the RESTMapper does
   * @param namespaced the scope
   * @param quiet true when a definition (a CRD) declared the kind, so no warning is due
   * @return the registered type (an existing one if the kind is known)
   */
  public ResourceType registerUnknown(
      String apiVersion, String kind, String plural, boolean namespaced, boolean quiet) {
    return byApiVersionKind.computeIfAbsent(
        apiVersion + "/" + kind,
        key -> {
          int slash = apiVersion.indexOf('/');
          String group = slash < 0 ? "" : apiVersion.substring(0, slash);
          String version = slash < 0 ? apiVersion : apiVersion.substring(slash + 1);
          ResourceType type =
              new ResourceType(
                  group,
                  version,
                  kind,
                  plural == null ? ResourceType.guessPlural(kind) : plural,
                  namespaced,
                  false,
                  GenericKubernetesResource.class);
          if (!quiet) {
            logger.warn(
                "{} is not a kind kemu models: its objects are stored and served back unchanged,"
                    + " with no behaviour",
                type);
          }
          return type;
        });
  }

  /** Every known type. */
  public Collection<ResourceType> all() {
    return List.copyOf(byApiVersionKind.values());
  }
}
