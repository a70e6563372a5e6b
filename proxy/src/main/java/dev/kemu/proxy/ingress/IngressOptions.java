package dev.kemu.proxy.ingress;

import java.util.List;

/**
 * How the Ingress controller listens and what it serves.
 *
 * @param httpPort the HTTP port on the node address serving every Ingress (0 = ephemeral, -1 = off)
 * @param httpsPort the HTTPS port on the node address (0 = ephemeral, -1 = off)
 * @param loadBalancerHttpPort the HTTP port on each Ingress's LoadBalancer address (80; -1 = off)
 * @param loadBalancerHttpsPort the HTTPS port on each Ingress's LoadBalancer address (443; -1 =
 *     off)
 * @param extraClasses IngressClass names served besides {@code kemu} ({@code nginx} by default)
 * @param eventLoops how many event loops each listener runs on
 */
public record IngressOptions(
    int httpPort,
    int httpsPort,
    int loadBalancerHttpPort,
    int loadBalancerHttpsPort,
    List<String> extraClasses,
    int eventLoops) {

  /** No node ports, LoadBalancer addresses on 80/443, classes {@code kemu} and {@code nginx}. */
  public static IngressOptions defaults() {
    return new IngressOptions(
        -1, -1, 80, 443, List.of("nginx"), Math.max(1, Runtime.getRuntime().availableProcessors()));
  }

  /** With the node listeners on these ports. */
  public IngressOptions withNodePorts(int http, int https) {
    return new IngressOptions(
        http, https, loadBalancerHttpPort, loadBalancerHttpsPort, extraClasses, eventLoops);
  }

  /** With the LoadBalancer-address listeners on these ports (-1 = off). */
  public IngressOptions withLoadBalancerPorts(int http, int https) {
    return new IngressOptions(httpPort, httpsPort, http, https, extraClasses, eventLoops);
  }

  /** With these extra IngressClass names. */
  public IngressOptions withExtraClasses(List<String> classes) {
    return new IngressOptions(
        httpPort,
        httpsPort,
        loadBalancerHttpPort,
        loadBalancerHttpsPort,
        List.copyOf(classes),
        eventLoops);
  }
}
