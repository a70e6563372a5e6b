package dev.kemu.dns;

import io.fabric8.kubernetes.api.model.LoadBalancerIngress;
import io.fabric8.kubernetes.api.model.LoadBalancerStatus;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.api.model.ServiceStatus;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import java.util.List;
import java.util.function.Consumer;

/**
 * Builders for the objects DNS tests write into a real store, in the style of kube-proxy's {@code
 * makeTestService(namespace, name, func(*v1.Service))}.
 */
final class DnsObjects {
  private DnsObjects() {}

  static Namespace namespace(String name) {
    return new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build();
  }

  static ServicePort port(String name, String protocol, int port) {
    return new ServicePortBuilder().withName(name).withProtocol(protocol).withPort(port).build();
  }

  static Service service(
      String namespace, String name, List<String> clusterIps, ServicePort... ports) {
    return service(namespace, name, clusterIps, s -> {}, ports);
  }

  static Service service(
      String namespace,
      String name,
      List<String> clusterIps,
      Consumer<Service> tweak,
      ServicePort... ports) {
    Service service =
        new ServiceBuilder()
            .withNewMetadata()
            .withNamespace(namespace)
            .withName(name)
            .endMetadata()
            .withNewSpec()
            .withType("ClusterIP")
            .withClusterIP(clusterIps.isEmpty() ? null : clusterIps.get(0))
            .withClusterIPs(clusterIps)
            .withPorts(ports)
            .endSpec()
            .build();
    tweak.accept(service);
    return service;
  }

  static Service headless(String namespace, String name, ServicePort... ports) {
    return service(namespace, name, List.of("None"), ports);
  }

  static Service externalName(String namespace, String name, String externalName) {
    return new ServiceBuilder()
        .withNewMetadata()
        .withNamespace(namespace)
        .withName(name)
        .endMetadata()
        .withNewSpec()
        .withType("ExternalName")
        .withExternalName(externalName)
        .withPorts(port("http", "TCP", 80))
        .endSpec()
        .build();
  }

  static EndpointPort slicePort(String name, String protocol, int port) {
    return new EndpointPortBuilder().withName(name).withProtocol(protocol).withPort(port).build();
  }

  static Endpoint endpoint(String ip) {
    return endpoint(ip, null, true);
  }

  static Endpoint endpoint(String ip, String hostname, Boolean ready) {
    return new EndpointBuilder()
        .withAddresses(ip)
        .withHostname(hostname)
        .withNewConditions()
        .withReady(ready)
        .endConditions()
        .build();
  }

  static EndpointSlice slice(
      String namespace,
      String service,
      String name,
      List<EndpointPort> ports,
      Endpoint... endpoints) {
    boolean ipv6 = endpoints.length > 0 && endpoints[0].getAddresses().get(0).contains(":");
    return new EndpointSliceBuilder()
        .withNewMetadata()
        .withNamespace(namespace)
        .withName(name)
        .addToLabels("kubernetes.io/service-name", service)
        .endMetadata()
        .withAddressType(ipv6 ? "IPv6" : "IPv4")
        .withPorts(ports)
        .withEndpoints(endpoints)
        .build();
  }

  static ServiceStatus loadBalancerStatus(String... addresses) {
    ServiceStatus status = new ServiceStatus();
    LoadBalancerStatus lb = new LoadBalancerStatus();
    List<LoadBalancerIngress> ingress = new java.util.ArrayList<>();
    for (String address : addresses) {
      LoadBalancerIngress entry = new LoadBalancerIngress();
      if (address.matches("[0-9a-fA-F:.]+")) {
        entry.setIp(address);
      } else {
        entry.setHostname(address);
      }
      ingress.add(entry);
    }
    lb.setIngress(ingress);
    status.setLoadBalancer(lb);
    return status;
  }

  static Pod pod(String namespace, String name) {
    return new PodBuilder()
        .withNewMetadata()
        .withNamespace(namespace)
        .withName(name)
        .endMetadata()
        .withNewSpec()
        .addNewContainer()
        .withName("app")
        .withImage("kemu/echo")
        .endContainer()
        .endSpec()
        .build();
  }
}
