package dev.kemu.dns;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;

/** Sends queries to a {@link ClusterDns} in-process, over real UDP or over real TCP. */
enum DnsClient {
  IN_PROCESS,
  UDP,
  TCP;

  @Override
  public String toString() {
    return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
  }

  /** A query with RD set, as dnsjava (and stub resolvers) send it. */
  static Message query(String name, int type) {
    try {
      return Message.newQuery(Record.newRecord(Name.fromString(name, Name.root), type, DClass.IN));
    } catch (Exception e) {
      throw new IllegalArgumentException(name, e);
    }
  }

  /** Sends a query and returns the answer. */
  Message send(ClusterDns dns, Message query) throws Exception {
    return send(dns.dispatcher(), dns.nodeAddress(), query);
  }

  Message send(QueryDispatcher dispatcher, InetSocketAddress address, Message query)
      throws Exception {
    switch (this) {
      case IN_PROCESS -> {
        CompletableFuture<byte[]> answer = new CompletableFuture<>();
        Message copy = query.clone();
        if (copy.getOPT() == null) {
          // As SimpleResolver does: EDNS0 with a 1280-byte buffer.
          copy.addRecord(new OPTRecord(1280, 0, 0, 0), Section.ADDITIONAL);
        }
        dispatcher.handle(copy.toWire(), false, (bytes, id) -> answer.complete(withId(bytes, id)));
        return new Message(answer.get(10, TimeUnit.SECONDS));
      }
      default -> {
        SimpleResolver resolver = new SimpleResolver(address.getAddress());
        resolver.setPort(address.getPort());
        resolver.setTCP(this == TCP);
        resolver.setTimeout(Duration.ofSeconds(3));
        return resolver.send(query);
      }
    }
  }

  /** An answer as the server sends it: the query's ID in its first two bytes. */
  static byte[] withId(byte[] answer, int id) {
    byte[] copy = answer.clone();
    copy[0] = (byte) (id >> 8);
    copy[1] = (byte) id;
    return copy;
  }

  /** The loopback address of a port. */
  static InetSocketAddress local(int port) {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
  }
}
