package dev.kemu.dns;

import dev.kemu.dns.cluster.ZoneHandler;
import dev.kemu.dns.cluster.ZoneResult;
import dev.kemu.dns.index.DnsIndex;
import dev.kemu.dns.upstream.UpstreamForwarder;
import io.vertx.core.Future;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.DClass;
import org.xbill.DNS.DNSInput;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Header;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Turns one query packet into one answer packet (or none), whatever the packet holds. Mirrors the
 * request path of CoreDNS: the message checks of its DNS library ({@code miekg/dns acceptfunc.go}:
 * responses are dropped, opcodes other than QUERY get NOTIMP, more than one question FORMERR), the
 * server's own checks ({@code core/dnsserver/server.go}: a class other than IN gets REFUSED, an
 * EDNS version other than 0 BADVERS), the choice of the most specific zone (a stub domain, the
 * cluster, reverse or external zone, else forwarding), and the {@code ScrubWriter} that fits the
 * answer into the client's buffer (the EDNS0 size, else 512 bytes over UDP) and sets TC when it
 * does not.
 *
 * <p>Answers from kemu's own zones are kept, encoded, for as long as the index they came from is
 * current: the same query bytes get the same answer bytes, so a repeated query costs a map lookup.
 */
final class QueryDispatcher {
  private static final Logger logger = LoggerFactory.getLogger(QueryDispatcher.class);
  private static final int MAX_CACHED = 100_000;
  private static final int MAX_LOOKUP_DEPTH = 8;
  private static final int HEADER = 12;

  private final Supplier<DnsIndex> index;
  private final List<ZoneRoute> zones = new ArrayList<>();
  private final List<StubRoute> stubs = new ArrayList<>();
  private final List<InetSocketAddress> upstreams;
  private final UpstreamForwarder forwarder;
  private final AtomicLong failures = new AtomicLong();
  private volatile AnswerCache cache = new AnswerCache(null);

  private record ZoneRoute(Name zone, ZoneHandler handler) {}

  private record StubRoute(Name domain, List<InetSocketAddress> servers) {}

  /** The encoded answers of one index. */
  private record AnswerCache(DnsIndex index, ConcurrentHashMap<QueryKey, byte[]> answers) {
    AnswerCache(DnsIndex index) {
      this(index, new ConcurrentHashMap<>());
    }
  }

  /**
   * A query's bytes after its ID, and its transport. It keeps the packet it was made from, which
   * must not change afterwards (the server hands over a fresh array per query).
   */
  private static final class QueryKey {
    private final byte[] packet;
    private final boolean tcp;
    private final int hash;

    QueryKey(byte[] packet, boolean tcp) {
      this.packet = packet;
      this.tcp = tcp;
      int h = tcp ? 1 : 0;
      for (int i = 2; i < packet.length; i++) {
        h = 31 * h + packet[i];
      }
      hash = h;
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof QueryKey key
          && key.hash == hash
          && key.tcp == tcp
          && Arrays.equals(key.packet, 2, key.packet.length, packet, 2, packet.length);
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }

  /**
   * Receives an answer to send: its first two bytes are to be replaced by {@code id}, the query's
   * ID (a cached answer still carries the ID of the query it was first made for).
   */
  @FunctionalInterface
  interface AnswerSink {
    void send(byte[] answer, int id);
  }

  /** How a query was answered. */
  private sealed interface Outcome {}

  /** An answer built here; {@code cacheable} when it depends on the index alone. */
  private record Built(Message message, boolean cacheable) implements Outcome {}

  /** An answer from an upstream, as received. */
  private record Forwarded(byte[] bytes) implements Outcome {}

  QueryDispatcher(
      Supplier<DnsIndex> index,
      List<ZoneHandler> handlers,
      List<InetSocketAddress> upstreams,
      Map<Name, List<InetSocketAddress>> stubDomains,
      UpstreamForwarder forwarder) {
    this.index = index;
    for (ZoneHandler handler : handlers) {
      for (Name zone : handler.zones()) {
        zones.add(new ZoneRoute(zone, handler));
      }
    }
    zones.sort(Comparator.comparingInt((ZoneRoute r) -> r.zone().labels()).reversed());
    stubDomains.forEach((domain, servers) -> stubs.add(new StubRoute(domain, servers)));
    stubs.sort(Comparator.comparingInt((StubRoute r) -> r.domain().labels()).reversed());
    this.upstreams = List.copyOf(upstreams);
    this.forwarder = forwarder;
  }

  /**
   * Answers a packet. Never throws: a packet that cannot be answered is dropped, anything
   * unexpected becomes SERVFAIL.
   *
   * @param packet the query as received
   * @param tcp whether it came over TCP (no size limit but 65535, no truncation to 512)
   * @param sink receives the answer, at most once, possibly on another thread
   */
  void handle(byte[] packet, boolean tcp, AnswerSink sink) {
    Message request = null;
    if (packet.length < HEADER) {
      return; // Not even a header: any reply could be used to amplify (miekg/dns serveDNS).
    }
    int id = u16(packet, 0);
    Consumer<byte[]> reply = answer -> sink.send(answer, id);
    try {
      int flags = u16(packet, 2);
      if ((flags & 0x8000) != 0) {
        return; // A response: never answer one (no DNS ping-pong).
      }
      int opcode = (flags >> 11) & 0xF;
      if (opcode != Opcode.QUERY) {
        reply.accept(headerOnly(packet, Rcode.NOTIMP, opcode, null));
        return;
      }
      if (u16(packet, 4) != 1 || u16(packet, 6) > 1 || u16(packet, 8) > 1 || u16(packet, 10) > 2) {
        reply.accept(headerOnly(packet, Rcode.FORMERR, Opcode.QUERY, null));
        return;
      }
      DnsIndex current = index.get();
      AnswerCache answers = cacheFor(current);
      QueryKey key = new QueryKey(packet, tcp);
      byte[] cached = answers.answers().get(key);
      if (cached != null) {
        sink.send(cached, id);
        return;
      }
      try {
        request = new Message(packet);
      } catch (Exception e) {
        reply.accept(headerOnly(packet, Rcode.FORMERR, Opcode.QUERY, question(packet)));
        return;
      }
      Message parsed = request;
      byte[] rejected = check(parsed);
      if (rejected != null) {
        reply.accept(rejected);
        return;
      }
      route(parsed, packet, tcp, current, 0)
          .onComplete(
              done -> {
                byte[] answer;
                try {
                  Outcome outcome =
                      done.succeeded()
                          ? done.result()
                          : new Built(error(parsed, Rcode.SERVFAIL), false);
                  answer = encode(parsed, outcome, tcp);
                  if (outcome instanceof Built built
                      && built.cacheable()
                      && current.synced()
                      && answers.answers().size() < MAX_CACHED) {
                    answers.answers().put(key, answer);
                  }
                } catch (RuntimeException e) {
                  answer = failure(packet, parsed, e);
                }
                reply.accept(answer);
              });
    } catch (RuntimeException | StackOverflowError e) {
      reply.accept(failure(packet, request, e));
    }
  }

  private AnswerCache cacheFor(DnsIndex current) {
    AnswerCache answers = cache;
    if (answers.index() != current) {
      // A new index: the old answers may be stale. Two threads may race here; the loser's cache
      // is simply dropped.
      answers = new AnswerCache(current);
      cache = answers;
    }
    return answers;
  }

  /** The checks of CoreDNS's server before any zone sees the query; null when it passes. */
  private static byte[] check(Message request) {
    Record question = request.getQuestion();
    if (question == null) {
      return headerOnly(request.toWire(), Rcode.FORMERR, Opcode.QUERY, null);
    }
    int opts = 0;
    for (Record record : request.getSection(Section.ADDITIONAL)) {
      if (record.getType() == Type.OPT) {
        opts++;
      }
    }
    if (opts > 1) {
      // "If a query message with more than one OPT RR is received, a FORMERR MUST be returned"
      // (RFC 6891 6.1.1).
      return withOpt(request, error(request, Rcode.FORMERR)).toWire();
    }
    OPTRecord opt = request.getOPT();
    if (opt != null && opt.getVersion() != 0) {
      Message answer = error(request, Rcode.NOERROR);
      // BADVERS (16) lives in the OPT record's extended rcode: upper 8 bits 1, lower 4 bits 0.
      answer.addRecord(
          new OPTRecord(opt.getPayloadSize(), Rcode.BADVERS >> 4, 0, 0), Section.ADDITIONAL);
      return answer.toWire();
    }
    if (question.getDClass() != DClass.IN) {
      return withOpt(request, error(request, Rcode.REFUSED)).toWire(maxSize(request, false));
    }
    return null;
  }

  // ---------------------------------------------------------------- routing

  private Future<Outcome> route(
      Message request, byte[] raw, boolean tcp, DnsIndex current, int depth) {
    Record question = request.getQuestion();
    Name qname = question.getName();
    StubRoute stub = null;
    for (StubRoute candidate : stubs) {
      if (qname.subdomain(candidate.domain())) {
        stub = candidate;
        break;
      }
    }
    ZoneRoute zone = null;
    for (ZoneRoute candidate : zones) {
      if (qname.subdomain(candidate.zone())) {
        zone = candidate;
        break;
      }
    }
    // The most specific zone wins, as CoreDNS picks the server block (and a stub domain is one).
    if (stub != null && (zone == null || stub.domain().labels() >= zone.zone().labels())) {
      return forward(request, raw, tcp, stub.servers());
    }
    if (zone == null) {
      return forward(request, raw, tcp, upstreams);
    }
    ZoneResult result = zone.handler().serve(qname, question.getType(), zone.zone(), current);
    if (result instanceof ZoneResult.Answer answer) {
      return Future.succeededFuture(new Built(reply(request, answer), true));
    }
    if (result instanceof ZoneResult.Lookup lookup) {
      return resolve(lookup.target(), lookup.type(), request, tcp, current, depth)
          .map(
              resolved ->
                  (Outcome) new Built(reply(request, lookup.complete().apply(resolved)), false));
    }
    return forward(request, raw, tcp, upstreams);
  }

  /**
   * Resolves a name through this server, as CoreDNS's {@code Upstream.Lookup} sends a query through
   * its own server: completes with the answer, or null when it cannot be resolved.
   */
  private Future<Message> resolve(
      Name target, int type, Message original, boolean tcp, DnsIndex current, int depth) {
    if (depth >= MAX_LOOKUP_DEPTH) {
      return Future.succeededFuture(null);
    }
    Message query = Message.newQuery(Record.newRecord(target, type, DClass.IN));
    OPTRecord opt = original.getOPT();
    if (opt != null) {
      query.addRecord(
          new OPTRecord(opt.getPayloadSize(), 0, 0, opt.getFlags()), Section.ADDITIONAL);
    }
    byte[] raw = query.toWire();
    return route(query, raw, tcp, current, depth + 1)
        .map(
            outcome -> {
              if (outcome instanceof Built built) {
                return built.message();
              }
              try {
                return new Message(((Forwarded) outcome).bytes());
              } catch (Exception e) {
                return null;
              }
            })
        .otherwise((Message) null);
  }

  private Future<Outcome> forward(
      Message request, byte[] raw, boolean tcp, List<InetSocketAddress> servers) {
    if (servers.isEmpty() || forwarder == null) {
      // No forward plugin: CoreDNS's NextOrFailure answers SERVFAIL.
      return Future.succeededFuture(new Built(error(request, Rcode.SERVFAIL), false));
    }
    return forwarder
        .forward(raw, tcp, servers)
        .map(bytes -> (Outcome) new Forwarded(bytes))
        .otherwise(e -> new Built(error(request, Rcode.SERVFAIL), false));
  }

  // ---------------------------------------------------------------- answers

  private static byte[] encode(Message request, Outcome outcome, boolean tcp) {
    int max = maxSize(request, tcp);
    if (outcome instanceof Forwarded forwarded) {
      if (forwarded.bytes().length <= max) {
        return forwarded.bytes();
      }
      // Too big for the client: an empty answer with TC, so it retries over TCP (CoreDNS forward
      // does the same for an upstream that overflows the buffer).
      Message truncated = error(request, Rcode.NOERROR);
      truncated.getHeader().setFlag(Flags.TC);
      return withOpt(request, truncated).toWire(max);
    }
    Message message = ((Built) outcome).message();
    return withOpt(request, message).toWire(max);
  }

  /** The client's buffer: 65535 over TCP, else its EDNS0 size (at least 512), else 512. */
  private static int maxSize(Message request, boolean tcp) {
    if (tcp) {
      return 65535;
    }
    OPTRecord opt = request.getOPT();
    return opt == null ? 512 : Math.max(512, opt.getPayloadSize());
  }

  /** Adds the OPT record that reflects the request's (CoreDNS {@code SizeAndDo}). */
  private static Message withOpt(Message request, Message answer) {
    OPTRecord opt = request.getOPT();
    if (opt != null && answer.getOPT() == null) {
      answer.addRecord(
          new OPTRecord(opt.getPayloadSize(), 0, 0, opt.getFlags() & ExtendedFlags.DO),
          Section.ADDITIONAL);
    }
    return answer;
  }

  private static Message reply(Message request, ZoneResult.Answer answer) {
    Message message = error(request, answer.rcode());
    Header header = message.getHeader();
    if (answer.authoritative()) {
      header.setFlag(Flags.AA);
    }
    if (answer.truncated()) {
      header.setFlag(Flags.TC);
    }
    answer.answer().forEach(r -> message.addRecord(r, Section.ANSWER));
    answer.authority().forEach(r -> message.addRecord(r, Section.AUTHORITY));
    answer.additional().forEach(r -> message.addRecord(r, Section.ADDITIONAL));
    return message;
  }

  /** A reply to the request with only a response code (miekg/dns {@code SetRcode}). */
  private static Message error(Message request, int rcode) {
    Header in = request.getHeader();
    Message message = new Message(in.getID());
    Header header = message.getHeader();
    header.setFlag(Flags.QR);
    header.setOpcode(in.getOpcode());
    if (in.getFlag(Flags.RD)) {
      header.setFlag(Flags.RD);
    }
    if (in.getFlag(Flags.CD)) {
      header.setFlag(Flags.CD);
    }
    header.setRcode(rcode);
    if (request.getQuestion() != null) {
      message.addRecord(request.getQuestion(), Section.QUESTION);
    }
    return message;
  }

  /** A reply made from the request's header alone (and its question, if it could be read). */
  private static byte[] headerOnly(byte[] packet, int rcode, int opcode, Record question) {
    Message message = new Message(u16(packet, 0));
    Header header = message.getHeader();
    int flags = u16(packet, 2);
    header.setFlag(Flags.QR);
    header.setOpcode(opcode);
    if ((flags & 0x0100) != 0) {
      header.setFlag(Flags.RD);
    }
    if ((flags & 0x0010) != 0) {
      header.setFlag(Flags.CD);
    }
    header.setRcode(rcode);
    if (question != null) {
      message.addRecord(question, Section.QUESTION);
    }
    return message.toWire();
  }

  /** The question of a packet that failed to parse as a whole, or null. */
  private static Record question(byte[] packet) {
    try {
      DNSInput in = new DNSInput(packet);
      in.jump(HEADER);
      Name name = new Name(in);
      int type = in.readU16();
      int dclass = in.readU16();
      return Record.newRecord(name, type, dclass);
    } catch (Exception e) {
      return null;
    }
  }

  private byte[] failure(byte[] packet, Message request, Throwable e) {
    long n = failures.incrementAndGet();
    if (n <= 10) {
      logger.warn("cluster DNS: answering SERVFAIL after an internal error", e);
    } else {
      logger.debug("cluster DNS: answering SERVFAIL after an internal error", e);
    }
    try {
      if (request != null) {
        return error(request, Rcode.SERVFAIL).toWire(maxSize(request, false));
      }
      return headerOnly(packet, Rcode.SERVFAIL, Opcode.QUERY, null);
    } catch (RuntimeException again) {
      return headerOnly(packet, Rcode.SERVFAIL, Opcode.QUERY, null);
    }
  }

  /** How many queries ended in an internal error (for tests and diagnostics). */
  long failures() {
    return failures.get();
  }

  private static int u16(byte[] bytes, int offset) {
    return ((bytes[offset] & 0xFF) << 8) | (bytes[offset + 1] & 0xFF);
  }
}
