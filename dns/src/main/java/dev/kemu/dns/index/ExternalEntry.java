package dev.kemu.dns.index;

import java.net.InetAddress;
import java.util.List;
import org.xbill.DNS.Name;

/**
 * A name published in the external zone, the way ExternalDNS publishes Ingress hosts and
 * LoadBalancer Services: address records for IP targets, a CNAME for a hostname target.
 *
 * @param addresses IP targets
 * @param aliases hostname targets (the first becomes the CNAME)
 * @param ttl the TTL in seconds
 * @param sources the objects that publish the name, {@code Kind ns/name}
 */
public record ExternalEntry(
    List<InetAddress> addresses, List<Name> aliases, long ttl, List<String> sources) {

  public ExternalEntry {
    addresses = List.copyOf(addresses);
    aliases = List.copyOf(aliases);
    sources = List.copyOf(sources);
  }
}
