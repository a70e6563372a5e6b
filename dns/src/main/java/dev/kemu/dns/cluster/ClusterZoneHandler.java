package dev.kemu.dns.cluster;

import dev.kemu.api.registry.IpLiterals;
import dev.kemu.dns.index.DnsIndex;
import dev.kemu.dns.index.EndpointAddress;
import dev.kemu.dns.index.PortEntry;
import dev.kemu.dns.index.PtrEntry;
import dev.kemu.dns.index.ServiceEntry;
import dev.kemu.dns.index.SliceEntry;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * The cluster zone ({@code cluster.local}) and the reverse zones ({@code in-addr.arpa}, {@code
 * ip6.arpa}), answered as CoreDNS's {@code kubernetes} plugin answers them with kubeadm's Corefile
 * ({@code kubernetes cluster.local in-addr.arpa ip6.arpa { pods insecure; fallthrough in-addr.arpa
 * ip6.arpa }}): the records of the Kubernetes DNS-Based Service Discovery specification
 * (kubernetes/dns {@code docs/specification.md}, schema 1.1.0) and CoreDNS's behaviour where the
 * specification is silent ({@code plugin/kubernetes/handler.go}, {@code kubernetes.go}, {@code
 * reverse.go}, {@code ns.go} and the shared record builders of {@code plugin/backend_lookup.go}).
 *
 * <p>Names that do not exist in a reverse zone fall through to the next handler (upstream
 * forwarding), as kubeadm's {@code fallthrough in-addr.arpa ip6.arpa} does.
 */
public final class ClusterZoneHandler implements ZoneHandler {

  /** The DNS schema version ({@code dns-version} TXT record). */
  public static final String SCHEMA_VERSION = "1.1.0";

  /** The TTL of the {@code dns-version} record, as CoreDNS. */
  static final long SCHEMA_TTL = 28800;

  private static final int MAX_CNAME_CHAIN = 10;
  private static final Name IN_ADDR_ARPA = Name.fromConstantString("in-addr.arpa.");
  private static final Name IP6_ARPA = Name.fromConstantString("ip6.arpa.");

  private final Name clusterZone;
  private final List<Name> zones;
  private final long ttl;
  private final PodsMode pods;
  private final InetAddress dnsServiceIp;

  /**
   * A handler.
   *
   * @param clusterZone the cluster domain, absolute
   * @param ttl the TTL of answers in seconds
   * @param pods how pod names are answered
   * @param dnsServiceIp the address of the cluster DNS Service (kube-dns), for NS records
   */
  public ClusterZoneHandler(Name clusterZone, long ttl, PodsMode pods, InetAddress dnsServiceIp) {
    this.clusterZone = lower(clusterZone);
    this.zones = List.of(this.clusterZone, IN_ADDR_ARPA, IP6_ARPA);
    this.ttl = ttl;
    this.pods = pods;
    this.dnsServiceIp = dnsServiceIp;
  }

  @Override
  public List<Name> zones() {
    return zones;
  }

  /** One query as it goes through the handler. */
  private record Query(Name qname, int qtype, Name zone, Name zoneCase, DnsIndex index) {
    Query withName(Name name, int type) {
      return new Query(name, type, zone, zoneCase, index);
    }
  }

  /** What CoreDNS's backend finds for a name (its {@code msg.Service} list). */
  private sealed interface Target {}

  /** An address; {@code domain} is the name SRV records point to. */
  private record AddressTarget(InetAddress ip, int port, Name domain) implements Target {}

  /** A name: the CNAME of an ExternalName Service. */
  private record HostTarget(Name host) implements Target {}

  /** A text: the {@code dns-version} record. */
  private record TextTarget(String text) implements Target {}

  /** The targets found, or a name error ({@code errNoItems}, {@code errInvalidRequest}...). */
  private record Found(List<Target> targets, boolean nameError) {
    static final Found NAME_ERROR = new Found(List.of(), true);
    static final Found NOTHING = new Found(List.of(), false);
  }

  @Override
  public ZoneResult serve(Name qname, int qtype, Name zone, DnsIndex index) {
    // Keep the case of the query in the zone part of the answer (CoreDNS handler.go).
    Name zoneCase = new Name(qname, qname.labels() - zone.labels());
    Query q = new Query(qname, qtype, zone, zoneCase, index);
    List<Record> records = List.of();
    List<Record> extra = List.of();
    boolean nameError = false;
    switch (qtype) {
      case Type.A, Type.AAAA -> {
        Addresses result = addresses(q, List.of());
        if (result.lookup() != null) {
          return pending(q, result);
        }
        records = result.records();
        nameError = result.nameError();
      }
      case Type.TXT -> {
        Found found = services(q);
        nameError = found.nameError();
        records = new ArrayList<>();
        for (Target target : found.targets()) {
          if (target instanceof TextTarget text) {
            records.add(new TXTRecord(qname, DClass.IN, SCHEMA_TTL, text.text()));
          }
        }
      }
      case Type.CNAME -> {
        Found found = services(q);
        nameError = found.nameError();
        if (!found.targets().isEmpty() && found.targets().get(0) instanceof HostTarget host) {
          records = List.of(new CNAMERecord(qname, DClass.IN, ttl, host.host()));
        }
      }
      case Type.PTR -> {
        Found found = reverse(q);
        nameError = found.nameError();
        records = new ArrayList<>();
        Set<Name> seen = new HashSet<>();
        for (Target target : found.targets()) {
          if (target instanceof HostTarget host && seen.add(host.host())) {
            records.add(new PTRRecord(qname, DClass.IN, ttl, host.host()));
          }
        }
      }
      case Type.SRV -> {
        Found found = services(q);
        nameError = found.nameError();
        List<Record> answer = new ArrayList<>();
        List<Record> additional = new ArrayList<>();
        srv(q, found.targets(), answer, additional);
        records = answer;
        extra = additional;
      }
      case Type.SOA -> {
        if (qname.equals(zone)) {
          records = List.of(soa(q));
        }
      }
      case Type.AXFR, Type.IXFR -> {
        return ZoneResult.Answer.error(Rcode.REFUSED);
      }
      default -> {
        if (qtype == Type.NS && qname.equals(zone)) {
          records = new ArrayList<>();
          extra = new ArrayList<>();
          Set<Name> seen = new HashSet<>();
          for (NameServer ns : nameServers(q)) {
            extra.add(address(ns.name(), ns.ip()));
            if (seen.add(ns.name())) {
              records.add(new NSRecord(qname, DClass.IN, ttl, ns.name()));
            }
          }
        } else {
          // Any other type: a fake A lookup tells NODATA from NXDOMAIN (CoreDNS handler.go).
          nameError = services(q.withName(qname, Type.A)).nameError();
        }
      }
    }
    return finish(q, records, extra, nameError, false);
  }

  private ZoneResult finish(
      Query q, List<Record> records, List<Record> extra, boolean nameError, boolean truncated) {
    if (nameError) {
      if (isReverse(q.qname())) {
        // kubeadm: fallthrough in-addr.arpa ip6.arpa.
        return new ZoneResult.Fallthrough();
      }
      // Not synced: never a false negative (CoreDNS answers SERVFAIL until HasSynced).
      int rcode = q.index().synced() ? Rcode.NXDOMAIN : Rcode.SERVFAIL;
      return new ZoneResult.Answer(rcode, true, List.of(), List.of(soa(q)), List.of(), false);
    }
    if (records.isEmpty()) {
      return new ZoneResult.Answer(
          Rcode.NOERROR, true, List.of(), List.of(soa(q)), List.of(), false);
    }
    return new ZoneResult.Answer(Rcode.NOERROR, true, records, List.of(), extra, truncated);
  }

  // ---------------------------------------------------------------- A and AAAA (plugin.A)

  /** Address records, or the CNAME chain so far and the name outside the zone still to resolve. */
  private record Addresses(
      List<Record> records, boolean nameError, boolean truncated, Name lookup, int lookupType) {}

  private Addresses addresses(Query q, List<Record> previous) {
    Found found;
    if (q.qname().equals(q.zone())) {
      // The apex has no address (CoreDNS checkForApex finds no apex.dns entry).
      found = Found.NOTHING;
    } else {
      found = services(q);
    }
    if (found.nameError()) {
      return new Addresses(List.of(), true, false, null, 0);
    }
    List<Record> records = new ArrayList<>();
    Set<InetAddress> seen = new HashSet<>();
    boolean truncated = false;
    for (Target target : found.targets()) {
      if (target instanceof HostTarget host) {
        if (q.qname().equals(host.host())) {
          continue; // x CNAME x is a direct loop.
        }
        CNAMERecord cname = new CNAMERecord(q.qname(), DClass.IN, ttl, host.host());
        if (previous.size() > MAX_CNAME_CHAIN || previous.contains(cname)) {
          continue;
        }
        List<Record> chain = new ArrayList<>(previous);
        chain.add(cname);
        if (host.host().subdomain(q.zone())) {
          Addresses next = addresses(q.withName(host.host(), q.qtype()), chain);
          if (next.lookup() != null) {
            List<Record> prefix = new ArrayList<>(records);
            prefix.add(cname);
            prefix.addAll(next.records());
            return new Addresses(prefix, false, truncated, next.lookup(), next.lookupType());
          }
          if (!next.nameError() && !next.records().isEmpty()) {
            records.add(cname);
            records.addAll(next.records());
          }
          truncated |= next.truncated();
          continue;
        }
        // A target outside the zone is resolved through the server (CoreDNS Upstream.Lookup).
        List<Record> prefix = new ArrayList<>(records);
        prefix.add(cname);
        return new Addresses(prefix, false, truncated, host.host(), q.qtype());
      }
      if (target instanceof AddressTarget address && matchesType(address.ip(), q.qtype())) {
        if (seen.add(address.ip())) {
          records.add(address(q.qname(), address.ip()));
        }
      }
    }
    return new Addresses(records, false, truncated, null, 0);
  }

  private ZoneResult pending(Query q, Addresses partial) {
    return new ZoneResult.Lookup(
        partial.lookup(),
        partial.lookupType(),
        (Message resolved) -> {
          if (resolved == null) {
            // CoreDNS adds neither the CNAME nor anything else when the lookup fails.
            return (ZoneResult.Answer) finish(q, List.of(), List.of(), false, false);
          }
          List<Record> records = new ArrayList<>(partial.records());
          records.addAll(resolved.getSection(Section.ANSWER));
          boolean truncated =
              partial.truncated() || resolved.getHeader().getFlag(org.xbill.DNS.Flags.TC);
          return (ZoneResult.Answer) finish(q, records, List.of(), false, truncated);
        });
  }

  private static boolean matchesType(InetAddress ip, int qtype) {
    return qtype == Type.A ? ip instanceof Inet4Address : ip instanceof Inet6Address;
  }

  // ---------------------------------------------------------------- SRV (plugin.SRV)

  private void srv(Query q, List<Target> targets, List<Record> answer, List<Record> additional) {
    // Every record has priority 0 and weight 100, normalised over the records of the answer.
    int weight = targets.isEmpty() ? 0 : (int) Math.floor(100.0 / targets.size());
    weight = Math.max(weight, 1);
    Set<String> seen = new HashSet<>();
    for (Target target : targets) {
      if (!(target instanceof AddressTarget address) || address.port() == -1) {
        continue;
      }
      Name domain = address.domain();
      if (seen.add(domain + "/" + address.port())) {
        answer.add(new SRVRecord(q.qname(), DClass.IN, ttl, 0, weight, address.port(), domain));
      }
      if (seen.add(domain + "/" + address.ip().getHostAddress())) {
        additional.add(address(domain, address.ip()));
      }
    }
  }

  // ---------------------------------------------------------------- backend (kubernetes.go)

  /** CoreDNS {@code Kubernetes.Services}. */
  private Found services(Query q) {
    List<String> labels = baseLabels(q.qname(), q.zone());
    switch (q.qtype()) {
      case Type.TXT -> {
        // Hard-coded: the only TXT record is dns-version.<zone>.
        if (labels.size() == 1 && labels.get(0).equals("dns-version")) {
          return new Found(List.of(new TextTarget(SCHEMA_VERSION)), false);
        }
        // Another type of record for the name makes it NODATA, else NXDOMAIN.
        Found other = records(q, labels);
        return other.targets().isEmpty() ? Found.NAME_ERROR : Found.NOTHING;
      }
      default -> {}
    }
    if (labels.size() == 2 && labels.get(0).equals("ns") && labels.get(1).equals("dns")) {
      List<Target> targets = new ArrayList<>();
      for (NameServer ns : nameServers(q)) {
        if (matchesType(ns.ip(), q.qtype() == Type.AAAA ? Type.AAAA : Type.A)
            && (q.qtype() == Type.A || q.qtype() == Type.AAAA)) {
          targets.add(new AddressTarget(ns.ip(), 0, q.qname()));
        }
      }
      return new Found(targets, false);
    }
    Found found = records(q, labels);
    if (q.qtype() == Type.SRV) {
      // CoreDNS answers no SRV records for ExternalName Services: drop the CNAMEs.
      List<Target> internal = new ArrayList<>();
      for (Target target : found.targets()) {
        if (!(target instanceof HostTarget)) {
          internal.add(target);
        }
      }
      return new Found(internal, found.nameError());
    }
    return found;
  }

  /** CoreDNS {@code Kubernetes.Records}. */
  private Found records(Query q, List<String> labels) {
    QueryName r = QueryName.parse(labels);
    if (r == null) {
      return Found.NAME_ERROR;
    }
    if (r.podOrSvc().isEmpty()) {
      return Found.NOTHING;
    }
    if (isReverse(q.qname())) {
      return Found.NAME_ERROR;
    }
    if (!q.index().namespaceExists(r.namespace())) {
      return Found.NAME_ERROR;
    }
    if (r.podOrSvc().equals(QueryName.POD)) {
      return findPods(q, r);
    }
    return findServices(q, r);
  }

  /** CoreDNS {@code findPods}. */
  private Found findPods(Query q, QueryName r) {
    if (pods == PodsMode.DISABLED) {
      return Found.NAME_ERROR;
    }
    String podName = r.service();
    if (podName.isEmpty()) {
      return Found.NOTHING;
    }
    // a-b-c-d is IPv4; anything else is IPv6 with dashes for colons.
    String text =
        count(podName, '-') == 3 && !podName.contains("--")
            ? podName.replace('-', '.')
            : podName.replace('-', ':');
    InetAddress ip = IpLiterals.parse(text);
    if (ip == null) {
      return Found.NAME_ERROR;
    }
    Name domain = relative(podName + "." + r.namespace() + "." + QueryName.POD, q.zoneCase());
    if (pods == PodsMode.VERIFIED) {
      boolean running = false;
      for (String namespace : q.index().podNamespaces(ip)) {
        running |= namespace.equalsIgnoreCase(r.namespace());
      }
      if (!running) {
        return Found.NAME_ERROR;
      }
    }
    return new Found(List.of(new AddressTarget(ip, 0, domain)), false);
  }

  /** CoreDNS {@code findServices}. */
  private Found findServices(Query q, QueryName r) {
    if (r.service().isEmpty()) {
      return Found.NOTHING;
    }
    ServiceEntry service = q.index().service(ServiceEntry.key(r.service(), r.namespace()));
    if (service == null) {
      return Found.NAME_ERROR;
    }
    String base = service.name() + "." + service.namespace() + "." + QueryName.SVC;
    if (service.externalNameService()) {
      // No endpoints, and no port/protocol pseudo subdomains, under an ExternalName Service.
      if (!r.endpoint().isEmpty() || !r.port().isEmpty() || !r.protocol().isEmpty()) {
        return Found.NAME_ERROR;
      }
      if (service.externalNameTarget() == null) {
        return Found.NAME_ERROR;
      }
      return new Found(List.of(new HostTarget(service.externalNameTarget())), false);
    }
    List<Target> targets = new ArrayList<>();
    boolean found = false;
    if (service.headless() || !r.endpoint().isEmpty()) {
      for (SliceEntry slice : q.index().endpoints(service.key())) {
        for (EndpointAddress address : slice.addresses()) {
          if (!r.endpoint().isEmpty() && !r.endpoint().equalsIgnoreCase(address.hostname())) {
            continue;
          }
          for (PortEntry port : slice.ports()) {
            if (!matchPortAndProtocol(r, port)) {
              continue;
            }
            found = true;
            targets.add(
                new AddressTarget(
                    address.ip(),
                    port.port(),
                    relative(address.hostname() + "." + base, q.zoneCase())));
          }
        }
      }
      return found ? new Found(targets, false) : Found.NAME_ERROR;
    }
    Name domain = relative(base, q.zoneCase());
    for (PortEntry port : service.ports()) {
      if (!matchPortAndProtocol(r, port)) {
        continue;
      }
      found = true;
      for (InetAddress ip : service.clusterIps()) {
        targets.add(new AddressTarget(ip, port.port(), domain));
      }
    }
    return found ? new Found(targets, false) : Found.NAME_ERROR;
  }

  private static boolean matchPortAndProtocol(QueryName r, PortEntry port) {
    return (r.port().isEmpty() || r.port().equalsIgnoreCase(port.name()))
        && (r.protocol().isEmpty() || r.protocol().equalsIgnoreCase(port.protocol()));
  }

  // ---------------------------------------------------------------- PTR (reverse.go)

  private Found reverse(Query q) {
    InetAddress ip = addressOfReverse(q.qname());
    if (ip == null) {
      Found found = records(q, baseLabels(q.qname(), q.zone()));
      return found.nameError() ? found : Found.NOTHING;
    }
    PtrEntry entry = q.index().reverse(ip);
    if (entry == null) {
      return Found.NAME_ERROR;
    }
    // A ClusterIP first (the first Service that has it), else every endpoint that has the IP.
    if (!entry.services().isEmpty()) {
      return new Found(
          List.of(new HostTarget(relative(entry.services().get(0) + ".svc", clusterZone))), false);
    }
    List<Target> targets = new ArrayList<>();
    for (Name name : entry.endpoints()) {
      targets.add(new HostTarget(name));
    }
    return targets.isEmpty() ? Found.NAME_ERROR : new Found(targets, false);
  }

  /**
   * The address spelled by a reverse name ({@code d.c.b.a.in-addr.arpa.} or the 32 nibbles of an
   * {@code ip6.arpa.} name), or null (CoreDNS {@code dnsutil.ExtractAddressFromReverse}).
   */
  static InetAddress addressOfReverse(Name name) {
    int labels = name.labels();
    if (name.subdomain(IN_ADDR_ARPA) && labels == IN_ADDR_ARPA.labels() + 4) {
      StringBuilder text = new StringBuilder();
      for (int i = 3; i >= 0; i--) {
        text.append(name.getLabelString(i));
        if (i > 0) {
          text.append('.');
        }
      }
      InetAddress ip = IpLiterals.parse(text.toString());
      return ip instanceof Inet4Address ? ip : null;
    }
    if (name.subdomain(IP6_ARPA) && labels == IP6_ARPA.labels() + 32) {
      StringBuilder text = new StringBuilder();
      for (int i = 31; i >= 0; i--) {
        String nibble = name.getLabelString(i);
        if (nibble.length() != 1 || Character.digit(nibble.charAt(0), 16) < 0) {
          return null;
        }
        text.append(nibble);
        if (i > 0 && i % 4 == 0) {
          text.append(':');
        }
      }
      return IpLiterals.parse(text.toString());
    }
    return null;
  }

  private static boolean isReverse(Name name) {
    return name.subdomain(IN_ADDR_ARPA) || name.subdomain(IP6_ARPA);
  }

  // ---------------------------------------------------------------- NS and SOA (ns.go)

  /** A name server of the zone: its name and address. */
  private record NameServer(Name name, InetAddress ip) {}

  /**
   * The name servers: the Services whose ClusterIP is the cluster DNS address (kube-dns, as CoreDNS
   * finds the Service of its own endpoints), else {@code ns.dns.<zone>} at that address.
   */
  private List<NameServer> nameServers(Query q) {
    List<NameServer> servers = new ArrayList<>();
    PtrEntry entry = dnsServiceIp == null ? null : q.index().reverse(dnsServiceIp);
    if (entry != null) {
      for (String key : entry.services()) {
        ServiceEntry service = q.index().service(key);
        if (service == null) {
          continue;
        }
        Name name =
            relative(
                service.name() + "." + service.namespace() + "." + QueryName.SVC, q.zoneCase());
        for (InetAddress ip : service.clusterIps()) {
          servers.add(new NameServer(name, ip));
        }
      }
    }
    if (servers.isEmpty() && dnsServiceIp != null) {
      servers.add(new NameServer(relative("ns.dns", q.zoneCase()), dnsServiceIp));
    }
    return servers;
  }

  private SOARecord soa(Query q) {
    return soa(q.zoneCase(), q.index().serial(), ttl);
  }

  /**
   * The SOA record CoreDNS gives a zone (plugin.SOA): {@code ns.dns.<zone>}, {@code hostmaster}.
   */
  static SOARecord soa(Name zone, long serial, long ttl) {
    return new SOARecord(
        zone,
        DClass.IN,
        Math.min(ttl, 300),
        relative("ns.dns", zone),
        relative("hostmaster", zone),
        serial & 0xFFFFFFFFL,
        7200,
        1800,
        86400,
        ttl);
  }

  // ---------------------------------------------------------------- names and records

  private Record address(Name owner, InetAddress ip) {
    return address(owner, ip, ttl);
  }

  static Record address(Name owner, InetAddress ip, long ttl) {
    return ip instanceof Inet4Address
        ? new ARecord(owner, DClass.IN, ttl, ip)
        : new AAAARecord(owner, DClass.IN, ttl, ip);
  }

  static List<String> baseLabels(Name qname, Name zone) {
    int n = qname.labels() - zone.labels();
    List<String> labels = new ArrayList<>(Math.max(n, 0));
    for (int i = 0; i < n; i++) {
      labels.add(qname.getLabelString(i).toLowerCase(Locale.ROOT));
    }
    return labels;
  }

  static Name relative(String labels, Name origin) {
    try {
      return Name.fromString(labels, origin);
    } catch (TextParseException e) {
      throw new IllegalArgumentException("not a name: " + labels + "." + origin, e);
    }
  }

  static Name lower(Name name) {
    try {
      return Name.fromString(name.toString().toLowerCase(Locale.ROOT));
    } catch (TextParseException e) {
      throw new IllegalArgumentException(e);
    }
  }

  private static int count(String text, char c) {
    int n = 0;
    for (int i = 0; i < text.length(); i++) {
      if (text.charAt(i) == c) {
        n++;
      }
    }
    return n;
  }
}
