package dev.kemu.dns.cluster;

import dev.kemu.dns.index.DnsIndex;
import java.util.List;
import org.xbill.DNS.Name;

/**
 * Answers the queries of some zones from the current {@link DnsIndex}. Mirrors a CoreDNS plugin
 * with zones ({@code plugin.Handler.ServeDNS} plus {@code plugin.Zones.Matches}); it never blocks
 * and never reads the store.
 */
public interface ZoneHandler {

  /** The zones it serves, lowercase and absolute. */
  List<Name> zones();

  /**
   * Answers a query.
   *
   * @param qname the query name, in the query's case
   * @param qtype the query type
   * @param zone the matched zone (one of {@link #zones()})
   * @param index the index to answer from
   */
  ZoneResult serve(Name qname, int qtype, Name zone, DnsIndex index);
}
