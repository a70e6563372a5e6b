package dev.kemu.proxy.service;

/**
 * The unique name of a load-balanced Service port, as kube-proxy's {@code ServicePortName} ({@code
 * pkg/proxy/types.go}): namespace, Service name, port name and protocol. It prints the way
 * kube-proxy prints it, {@code ns/name:port}, or {@code ns/name} for an unnamed port.
 *
 * @param namespace the Service's namespace
 * @param name the Service's name
 * @param port the port's name ({@code ""} for the single unnamed port)
 * @param protocol {@code TCP}, {@code UDP} or {@code SCTP}
 */
public record ServicePortName(String namespace, String name, String port, String protocol) {

  /** The Service part, {@code ns/name}. */
  public String service() {
    return namespace + "/" + name;
  }

  @Override
  public String toString() {
    return port == null || port.isEmpty() ? service() : service() + ":" + port;
  }
}
