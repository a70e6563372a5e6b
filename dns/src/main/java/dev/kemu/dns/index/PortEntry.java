package dev.kemu.dns.index;

/**
 * A port of a Service or an EndpointSlice, stripped to what DNS needs, as CoreDNS keeps it ({@code
 * plugin/kubernetes/object/service.go}). Port -1 is CoreDNS's sentinel for an object without ports:
 * it still answers A/AAAA queries but gives no SRV record.
 *
 * @param name the port name, "" when unnamed
 * @param protocol TCP, UDP or SCTP
 * @param port the port number, or -1
 */
public record PortEntry(String name, String protocol, int port) {

  /** The sentinel of an object with no ports. */
  public static final PortEntry NONE = new PortEntry("", "", -1);
}
