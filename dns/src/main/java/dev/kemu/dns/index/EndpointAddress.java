package dev.kemu.dns.index;

import java.net.InetAddress;

/**
 * One published address of an EndpointSlice endpoint.
 *
 * @param ip the address
 * @param hostname the endpoint's DNS label: {@code endpoints[].hostname}, else the address with
 *     dots or colons turned into dashes, as CoreDNS's {@code endpointHostname}
 */
public record EndpointAddress(InetAddress ip, String hostname) {}
