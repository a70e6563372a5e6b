package dev.kemu.dns.cluster;

import dev.kemu.dns.index.DnsIndex;
import dev.kemu.dns.index.ExternalEntry;
import dev.kemu.dns.index.ExternalZone;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.NameTooLongException;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * The optional external zone (e.g. {@code example.test}): the names ExternalDNS would publish for
 * Ingress hosts and LoadBalancer Services ({@code external-dns.alpha.kubernetes.io/hostname}, rule
 * and TLS hosts, targets from {@code status.loadBalancer}), plus {@code
 * <service>.<namespace>.<zone>} for every Service with an external address, as CoreDNS's {@code
 * k8s_external} plugin answers it (its apex: SOA and NS {@code ns1.dns.<zone>}, {@code
 * plugin/k8s_external/apex.go}).
 */
public final class ExternalZoneHandler implements ZoneHandler {
  private static final Name WILDCARD = Name.fromConstantString("*");

  private final Name zone;
  private final long ttl;
  private final InetAddress nameServer;

  /**
   * A handler.
   *
   * @param zone the zone, absolute
   * @param ttl the TTL of the apex records and of answers without their own TTL
   * @param nameServer the address {@code ns1.dns.<zone>} answers
   */
  public ExternalZoneHandler(Name zone, long ttl, InetAddress nameServer) {
    this.zone = ClusterZoneHandler.lower(zone);
    this.ttl = ttl;
    this.nameServer = nameServer;
  }

  @Override
  public List<Name> zones() {
    return List.of(zone);
  }

  @Override
  public ZoneResult serve(Name qname, int qtype, Name matched, DnsIndex index) {
    Name zoneCase = new Name(qname, qname.labels() - matched.labels());
    SOARecord soa = soa(zoneCase, index.serial());
    if (qtype == Type.AXFR || qtype == Type.IXFR) {
      return ZoneResult.Answer.error(Rcode.REFUSED);
    }
    if (qname.equals(matched)) {
      return apex(qname, qtype, zoneCase, soa);
    }
    List<String> labels = ClusterZoneHandler.baseLabels(qname, matched);
    if (labels.get(labels.size() - 1).equals("dns")) {
      return subApex(qname, qtype, labels, soa);
    }
    ExternalZone external = index.external();
    ExternalEntry entry = external.records().get(qname);
    if (entry == null && external.nonTerminals().contains(qname)) {
      return noData(soa);
    }
    if (entry == null) {
      entry = wildcard(qname, matched, external);
    }
    if (entry == null) {
      int rcode = index.synced() ? Rcode.NXDOMAIN : Rcode.SERVFAIL;
      return new ZoneResult.Answer(rcode, true, List.of(), List.of(soa), List.of(), false);
    }
    return answer(qname, qtype, entry, soa);
  }

  private ZoneResult answer(Name qname, int qtype, ExternalEntry entry, SOARecord soa) {
    if (qtype == Type.CNAME) {
      if (entry.aliases().isEmpty()) {
        return noData(soa);
      }
      return answer(
          List.of(new CNAMERecord(qname, DClass.IN, entry.ttl(), entry.aliases().get(0))));
    }
    if (entry.addresses().isEmpty() && !entry.aliases().isEmpty()) {
      // A CNAME owns the name for every type (RFC 1034 3.6.2); resolve its target for the client.
      CNAMERecord cname = new CNAMERecord(qname, DClass.IN, entry.ttl(), entry.aliases().get(0));
      return new ZoneResult.Lookup(
          cname.getTarget(),
          qtype,
          (Message resolved) -> {
            List<Record> records = new ArrayList<>();
            records.add(cname);
            boolean truncated = false;
            if (resolved != null) {
              records.addAll(resolved.getSection(Section.ANSWER));
              truncated = resolved.getHeader().getFlag(org.xbill.DNS.Flags.TC);
            }
            return new ZoneResult.Answer(
                Rcode.NOERROR, true, records, List.of(), List.of(), truncated);
          });
    }
    List<Record> records = new ArrayList<>();
    for (InetAddress ip : entry.addresses()) {
      if ((qtype == Type.A && ip instanceof Inet4Address)
          || (qtype == Type.AAAA && ip instanceof Inet6Address)) {
        records.add(ClusterZoneHandler.address(qname, ip, entry.ttl()));
      }
    }
    return records.isEmpty() ? noData(soa) : answer(records);
  }

  private ExternalEntry wildcard(Name qname, Name matched, ExternalZone external) {
    // The closest existing ancestor decides whether its wildcard applies (RFC 4592 3.3.1).
    Name candidate = qname;
    while (candidate.labels() > matched.labels()) {
      Name parent = new Name(candidate, 1);
      if (parent.equals(matched)
          || external.records().containsKey(parent)
          || external.nonTerminals().contains(parent)) {
        try {
          return external.records().get(Name.concatenate(WILDCARD, parent));
        } catch (NameTooLongException e) {
          return null;
        }
      }
      candidate = parent;
    }
    return null;
  }

  private ZoneResult apex(Name qname, int qtype, Name zoneCase, SOARecord soa) {
    Name ns = ClusterZoneHandler.relative("ns1.dns", zoneCase);
    if (qtype == Type.SOA) {
      return answer(List.of(soa));
    }
    if (qtype == Type.NS) {
      return new ZoneResult.Answer(
          Rcode.NOERROR,
          true,
          List.of(new NSRecord(qname, DClass.IN, ttl, ns)),
          List.of(),
          nameServer == null ? List.of() : List.of(ClusterZoneHandler.address(ns, nameServer, ttl)),
          false);
    }
    return noData(soa);
  }

  private ZoneResult subApex(Name qname, int qtype, List<String> labels, SOARecord soa) {
    if (labels.size() == 1) {
      return noData(soa); // dns.<zone> is an empty non-terminal.
    }
    if (labels.size() != 2 || !labels.get(0).equals("ns1")) {
      return new ZoneResult.Answer(Rcode.NXDOMAIN, true, List.of(), List.of(soa), List.of(), false);
    }
    if (nameServer != null
        && ((qtype == Type.A && nameServer instanceof Inet4Address)
            || (qtype == Type.AAAA && nameServer instanceof Inet6Address))) {
      return answer(List.of(ClusterZoneHandler.address(qname, nameServer, ttl)));
    }
    return noData(soa);
  }

  private SOARecord soa(Name zoneCase, long serial) {
    return new SOARecord(
        zoneCase,
        DClass.IN,
        ttl,
        ClusterZoneHandler.relative("ns1.dns", zoneCase),
        ClusterZoneHandler.relative("hostmaster.dns", zoneCase),
        serial & 0xFFFFFFFFL,
        7200,
        1800,
        86400,
        ttl);
  }

  private static ZoneResult answer(List<Record> records) {
    return new ZoneResult.Answer(Rcode.NOERROR, true, records, List.of(), List.of(), false);
  }

  private static ZoneResult noData(SOARecord soa) {
    return new ZoneResult.Answer(Rcode.NOERROR, true, List.of(), List.of(soa), List.of(), false);
  }
}
