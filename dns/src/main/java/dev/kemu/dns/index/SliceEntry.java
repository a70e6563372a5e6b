package dev.kemu.dns.index;

import java.util.List;

/**
 * An EndpointSlice of a Service stripped to its published addresses and its ports, as CoreDNS's
 * {@code object.Endpoints} ({@code plugin/kubernetes/object/endpoint.go}).
 *
 * @param name the slice name
 * @param addresses the addresses DNS publishes (ready ones, or all when the Service publishes
 *     not-ready addresses)
 * @param ports the slice's ports, or {@link PortEntry#NONE} alone
 */
public record SliceEntry(String name, List<EndpointAddress> addresses, List<PortEntry> ports) {

  public SliceEntry {
    addresses = List.copyOf(addresses);
    ports = List.copyOf(ports);
  }
}
