package dev.kemu.dns.index;

import java.net.InetAddress;
import java.util.List;
import org.xbill.DNS.Name;

/**
 * A Service stripped to what DNS needs, as CoreDNS's {@code object.Service} ({@code
 * plugin/kubernetes/object/service.go}): the rest of the object is dropped when the index is built,
 * so a large cluster costs little memory.
 *
 * @param name the Service name
 * @param namespace its namespace
 * @param headless whether {@code spec.clusterIP} is {@code None}
 * @param clusterIps the ClusterIPs ({@code spec.clusterIPs}, else {@code spec.clusterIP}); empty
 *     when headless or not allocated
 * @param externalNameTarget for an ExternalName Service whose name is not an IP, the CNAME target
 * @param externalNameService whether the type is ExternalName
 * @param ports the ports, or {@link PortEntry#NONE} alone
 * @param publishNotReadyAddresses whether not-ready endpoints are published ({@code
 *     spec.publishNotReadyAddresses} or the {@code
 *     service.alpha.kubernetes.io/tolerate-unready-endpoints} annotation of the DNS specification
 *     2.1)
 */
public record ServiceEntry(
    String name,
    String namespace,
    boolean headless,
    List<InetAddress> clusterIps,
    boolean externalNameService,
    Name externalNameTarget,
    List<PortEntry> ports,
    boolean publishNotReadyAddresses) {

  public ServiceEntry {
    clusterIps = List.copyOf(clusterIps);
    ports = List.copyOf(ports);
  }

  /** The index key, {@code name.namespace} as CoreDNS's {@code ServiceKey}. */
  public String key() {
    return key(name, namespace);
  }

  /** The index key of a Service name and namespace. */
  public static String key(String name, String namespace) {
    return name + "." + namespace;
  }
}
