package dev.kemu.dns;

import static dev.kemu.dns.DnsObjects.endpoint;
import static dev.kemu.dns.DnsObjects.externalName;
import static dev.kemu.dns.DnsObjects.headless;
import static dev.kemu.dns.DnsObjects.namespace;
import static dev.kemu.dns.DnsObjects.port;
import static dev.kemu.dns.DnsObjects.service;
import static dev.kemu.dns.DnsObjects.slice;
import static dev.kemu.dns.DnsObjects.slicePort;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.kemu.api.registry.AddressPlan;
import dev.kemu.api.store.ResourceStore;
import io.vertx.core.Vertx;
import java.io.DataOutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * A bounded fuzz run (fixed seed): random packets and mutations of valid queries, in-process and
 * over real UDP and TCP. No exception may escape the handler, every answer must be a DNS message
 * with the query's ID, and afterwards the server must still answer valid queries correctly.
 */
class DnsFuzzTest {
  private static final long SEED = 0x6b656d75L;
  private static final int IN_PROCESS_PACKETS = 100_000;
  private static final int UDP_PACKETS = 10_000;
  private static final int TCP_FRAMES = 1_000;

  private static Vertx vertx;
  private static ResourceStore store;
  private static ClusterDns dns;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    store = new ResourceStore();
    store.create(namespace("ns"));
    store.create(service("ns", "svc", List.of("10.0.0.1", "fd00::1"), port("http", "TCP", 80)));
    store.create(headless("ns", "hdls"));
    store.create(
        slice(
            "ns",
            "hdls",
            "hdls-1",
            List.of(slicePort("http", "TCP", 80)),
            endpoint("10.1.0.1", "a", true),
            endpoint("10.1.0.2")));
    store.create(externalName("ns", "ext", "svc.ns.svc.cluster.local."));
    dns = new ClusterDns(store, AddressPlan.defaults(), vertx, ClusterZoneSpecTest.options());
    dns.start().get();
  }

  @AfterAll
  static void stop() {
    dns.close();
    store.close();
    vertx.close();
  }

  private static List<byte[]> corpus() {
    List<byte[]> corpus = new ArrayList<>();
    String[] names = {
      "svc.ns.svc.cluster.local.",
      "_http._tcp.svc.ns.svc.cluster.local.",
      "hdls.ns.svc.cluster.local.",
      "a.hdls.ns.svc.cluster.local.",
      "ext.ns.svc.cluster.local.",
      "1-2-3-4.ns.pod.cluster.local.",
      "1.0.0.10.in-addr.arpa.",
      "cluster.local.",
      "dns-version.cluster.local.",
      "example.org."
    };
    int[] types = {Type.A, Type.AAAA, Type.SRV, Type.PTR, Type.TXT, Type.SOA, Type.NS, Type.ANY};
    for (String name : names) {
      for (int type : types) {
        Message query = DnsClient.query(name, type);
        corpus.add(query.toWire());
        Message edns = query.clone();
        edns.addRecord(new OPTRecord(1232, 0, 0, ExtendedFlags.DO), Section.ADDITIONAL);
        corpus.add(edns.toWire());
      }
    }
    return corpus;
  }

  /** A random packet, or a valid query with random damage. */
  static byte[] packet(Random random, List<byte[]> corpus) {
    if (random.nextInt(10) < 3) {
      byte[] noise = new byte[random.nextInt(600)];
      random.nextBytes(noise);
      if (noise.length > 2 && random.nextBoolean()) {
        noise[2] &= 0x7F; // Mostly queries, so that more of the parser is reached.
      }
      return noise;
    }
    byte[] packet = corpus.get(random.nextInt(corpus.size())).clone();
    int mutations = 1 + random.nextInt(4);
    for (int m = 0; m < mutations; m++) {
      switch (random.nextInt(7)) {
        case 0 -> packet[random.nextInt(packet.length)] ^= (byte) (1 << random.nextInt(8));
        case 1 -> packet[random.nextInt(packet.length)] = (byte) random.nextInt(256);
        case 2 -> packet = Arrays.copyOf(packet, random.nextInt(packet.length + 1));
        case 3 -> {
          byte[] longer = Arrays.copyOf(packet, packet.length + 1 + random.nextInt(64));
          for (int i = packet.length; i < longer.length; i++) {
            longer[i] = (byte) random.nextInt(256);
          }
          packet = longer;
        }
        case 4 -> {
          // A section count set to anything.
          if (packet.length >= 12) {
            int field = 4 + 2 * random.nextInt(4);
            packet[field] = (byte) random.nextInt(4);
            packet[field + 1] = (byte) random.nextInt(256);
          }
        }
        case 5 -> {
          // A compression pointer anywhere, loops included.
          if (packet.length > 14) {
            int at = 12 + random.nextInt(packet.length - 13);
            packet[at] = (byte) (0xC0 | random.nextInt(4));
            packet[at + 1] = (byte) random.nextInt(packet.length);
          }
        }
        default -> {
          // A label length set to anything.
          if (packet.length > 12) {
            packet[12 + random.nextInt(packet.length - 12)] = (byte) random.nextInt(64);
          }
        }
      }
      if (packet.length == 0) {
        break;
      }
    }
    return packet;
  }

  @Test
  void survivesRandomAndMutatedPacketsAndStillAnswers() throws Exception {
    Random random = new Random(SEED);
    List<byte[]> corpus = corpus();
    QueryDispatcher dispatcher = dns.dispatcher();
    AtomicInteger answers = new AtomicInteger();
    AtomicReference<String> badAnswer = new AtomicReference<>();
    long started = System.nanoTime();

    for (int i = 0; i < IN_PROCESS_PACKETS; i++) {
      byte[] packet = packet(random, corpus);
      dispatcher.handle(
          packet,
          random.nextBoolean(),
          (bytes, id) -> {
            answers.incrementAndGet();
            try {
              Message message = new Message(DnsClient.withId(bytes, id));
              if (packet.length >= 2
                  && message.getHeader().getID()
                      != (((packet[0] & 0xFF) << 8) | (packet[1] & 0xFF))) {
                badAnswer.compareAndSet(null, "ID not echoed for " + Arrays.toString(packet));
              }
            } catch (Exception e) {
              badAnswer.compareAndSet(null, e + " answering " + Arrays.toString(packet));
            }
          });
    }

    try (DatagramSocket udp = new DatagramSocket()) {
      for (int i = 0; i < UDP_PACKETS; i++) {
        byte[] packet = packet(random, corpus);
        udp.send(new DatagramPacket(packet, packet.length, dns.nodeAddress()));
        if (i % 1000 == 999) {
          // The server keeps answering valid queries while it is being fed garbage (and the
          // garbage is paced by it).
          stillAnswers(DnsClient.UDP);
        }
      }
    }
    for (int connection = 0; connection < 20; connection++) {
      try (Socket tcp = new Socket()) {
        tcp.connect(new InetSocketAddress(dns.nodeAddress().getAddress(), dns.port()), 5_000);
        DataOutputStream out = new DataOutputStream(tcp.getOutputStream());
        for (int i = 0; i < TCP_FRAMES / 20; i++) {
          byte[] packet = packet(random, corpus);
          if (packet.length == 0) {
            continue;
          }
          // Sometimes the frame length lies.
          int length = random.nextInt(20) == 0 ? random.nextInt(65536) : packet.length;
          out.writeShort(length);
          out.write(packet);
        }
        out.flush();
      } catch (java.io.IOException e) {
        // The server may close a connection whose frames make no sense: that is fine.
      }
    }

    assertThat(badAnswer.get()).isNull();
    assertThat(answers.get()).as("most damaged queries still get an answer").isGreaterThan(50_000);
    assertThat(dispatcher.failures()).as("internal errors turned into SERVFAIL").isZero();
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(50));
    for (DnsClient client : DnsClient.values()) {
      stillAnswers(client);
    }
  }

  private static void stillAnswers(DnsClient client) {
    // A UDP answer may be lost while the socket's queue is full of garbage: ask again.
    await()
        .atMost(Duration.ofSeconds(30))
        .ignoreExceptions()
        .untilAsserted(
            () -> {
              Message answer =
                  client.send(dns, DnsClient.query("svc.ns.svc.cluster.local.", Type.A));
              assertThat(answer.getRcode()).isEqualTo(Rcode.NOERROR);
              assertThat(DnsAnswers.answer(answer))
                  .containsExactly("svc.ns.svc.cluster.local. 5 in a 10.0.0.1");
            });
  }
}
