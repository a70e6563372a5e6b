package dev.kemu.dns.cluster;

import java.util.List;

/**
 * A query name in the cluster zone split into its parts, as CoreDNS's {@code recordRequest} ({@code
 * plugin/kubernetes/parse.go}). The name shapes are:
 *
 * <ol>
 *   <li>{@code _port._protocol.service.namespace.pod|svc.zone}
 *   <li>{@code endpoint.service.namespace.pod|svc.zone}
 *   <li>{@code service.namespace.pod|svc.zone}
 * </ol>
 *
 * Anything longer is "a query that is too long to answer" (NXDOMAIN). Leading underscores are
 * stripped from the port and protocol; unset parts are empty strings. All parts are lowercase.
 *
 * @param port the named port (SRV)
 * @param protocol the protocol (SRV)
 * @param endpoint the endpoint hostname
 * @param service the Service name, or the pod name for {@code pod} names
 * @param namespace the namespace
 * @param podOrSvc {@code svc}, {@code pod}, or empty for names above a namespace
 */
public record QueryName(
    String port,
    String protocol,
    String endpoint,
    String service,
    String namespace,
    String podOrSvc) {

  /** The {@code svc} label. */
  public static final String SVC = "svc";

  /** The {@code pod} label. */
  public static final String POD = "pod";

  /** A name with no parts: the zone apex, {@code svc.zone} or {@code pod.zone}. */
  public static final QueryName EMPTY = new QueryName("", "", "", "", "", "");

  /**
   * Parses the labels of a name below the zone (leftmost first, lowercase).
   *
   * @return the parts, or null when the name is not one CoreDNS accepts ({@code errInvalidRequest})
   */
  public static QueryName parse(List<String> labels) {
    if (labels.isEmpty()
        || (labels.size() == 1 && (labels.get(0).equals(SVC) || labels.get(0).equals(POD)))) {
      return EMPTY;
    }
    int last = labels.size() - 1;
    String podOrSvc = labels.get(last);
    if (!podOrSvc.equals(POD) && !podOrSvc.equals(SVC)) {
      return null;
    }
    last--;
    String namespace = labels.get(last);
    last--;
    if (last < 0) {
      return new QueryName("", "", "", "", namespace, podOrSvc);
    }
    String service = labels.get(last);
    last--;
    switch (last) {
      case -1:
        return new QueryName("", "", "", service, namespace, podOrSvc);
      case 0:
        return new QueryName("", "", labels.get(0), service, namespace, podOrSvc);
      case 1:
        return new QueryName(
            stripUnderscore(labels.get(0)),
            stripUnderscore(labels.get(1)),
            "",
            service,
            namespace,
            podOrSvc);
      default:
        return null;
    }
  }

  private static String stripUnderscore(String label) {
    return label.startsWith("_") ? label.substring(1) : label;
  }
}
