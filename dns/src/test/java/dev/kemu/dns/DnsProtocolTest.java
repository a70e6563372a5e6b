package dev.kemu.dns;

import static dev.kemu.dns.DnsObjects.endpoint;
import static dev.kemu.dns.DnsObjects.headless;
import static dev.kemu.dns.DnsObjects.namespace;
import static dev.kemu.dns.DnsObjects.port;
import static dev.kemu.dns.DnsObjects.service;
import static dev.kemu.dns.DnsObjects.slice;
import static dev.kemu.dns.DnsObjects.slicePort;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kemu.api.registry.AddressPlan;
import dev.kemu.api.store.ResourceStore;
import dev.kemu.dns.cluster.ClusterZoneHandler;
import dev.kemu.dns.cluster.PodsMode;
import dev.kemu.dns.index.DnsIndex;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.vertx.core.Vertx;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.xbill.DNS.DClass;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * The protocol around the records: case echoing, EDNS0, truncation and TCP retry, the message
 * checks (FORMERR, NOTIMP, REFUSED, BADVERS, responses dropped), TCP framing, several queries per
 * connection and the idle timeout, SERVFAIL before the first sync, and the configurable TTL.
 */
class DnsProtocolTest {
  private static Vertx vertx;
  private static ResourceStore store;
  private static ClusterDns dns;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    store = new ResourceStore();
    store.create(namespace("testns"));
    store.create(service("testns", "svc1", List.of("10.0.0.1"), port("http", "TCP", 80)));
    store.create(headless("testns", "big"));
    Endpoint[] many = new Endpoint[60];
    for (int i = 0; i < many.length; i++) {
      many[i] = endpoint("10.1.0." + (i + 1));
    }
    store.create(slice("testns", "big", "big-1", List.of(slicePort("http", "TCP", 80)), many));
    dns = new ClusterDns(store, AddressPlan.defaults(), vertx, ClusterZoneSpecTest.options());
    dns.start().get();
  }

  @AfterAll
  static void stop() {
    dns.close();
    store.close();
    vertx.close();
  }

  static Stream<DnsClient> clients() {
    return Stream.of(DnsClient.values());
  }

  @ParameterizedTest(
      name = "[{0}] spec 2.1: matching is case-insensitive, the query's case is echoed")
  @MethodSource("clients")
  void echoesTheCaseOfTheQuery(DnsClient client) throws Exception {
    Message answer = client.send(dns, DnsClient.query("SvC1.TeStNs.SvC.cLuStEr.LoCaL.", Type.A));

    assertThat(answer.getRcode()).isEqualTo(Rcode.NOERROR);
    Record a = answer.getSection(Section.ANSWER).get(0);
    assertThat(a.getName().toString()).isEqualTo("SvC1.TeStNs.SvC.cLuStEr.LoCaL.");
    assertThat(a.rdataToString()).isEqualTo("10.0.0.1");

    Message negative =
        client.send(dns, DnsClient.query("not-a-service.testns.svc.ClUsTeR.lOcAl.", Type.A));
    assertThat(negative.getRcode()).isEqualTo(Rcode.NXDOMAIN);
    assertThat(negative.getSection(Section.AUTHORITY).get(0).getName().toString())
        .as("CoreDNS handler_case_test: the SOA owner keeps the query's case")
        .isEqualTo("ClUsTeR.lOcAl.");
  }

  @ParameterizedTest(name = "[{0}] RFC 1035 4.1.1: ID and RD echoed, AA set, RA not offered")
  @MethodSource("clients")
  void headerFlags(DnsClient client) throws Exception {
    Message query = DnsClient.query("svc1.testns.svc.cluster.local.", Type.A);
    query.getHeader().setID(4242);
    Message answer = client.send(dns, query);

    assertThat(answer.getHeader().getID()).isEqualTo(4242);
    assertThat(answer.getHeader().getFlag(Flags.QR)).isTrue();
    assertThat(answer.getHeader().getFlag(Flags.RD)).isTrue();
    assertThat(answer.getHeader().getFlag(Flags.AA)).isTrue();
    assertThat(answer.getHeader().getFlag(Flags.RA)).isFalse();
  }

  @ParameterizedTest(name = "[{0}] RFC 6891: the OPT record reflects the query's size and DO bit")
  @MethodSource("clients")
  void ednsIsReflected(DnsClient client) throws Exception {
    Message query = DnsClient.query("svc1.testns.svc.cluster.local.", Type.A);
    query.addRecord(new OPTRecord(4096, 0, 0, ExtendedFlags.DO), Section.ADDITIONAL);
    Message answer = client.send(dns, query);

    OPTRecord opt = answer.getOPT();
    assertThat(opt).isNotNull();
    assertThat(opt.getPayloadSize()).isEqualTo(4096);
    assertThat(opt.getVersion()).isZero();
    assertThat(opt.getFlags() & ExtendedFlags.DO).isEqualTo(ExtendedFlags.DO);
  }

  @Test
  void rfc6891AQueryWithoutEdnsGetsNoOptRecord() throws Exception {
    byte[] answer = udp(DnsClient.query("svc1.testns.svc.cluster.local.", Type.A).toWire());

    assertThat(new Message(answer).getOPT()).isNull();
  }

  @ParameterizedTest(name = "[{0}] RFC 6891 6.1.3: EDNS version 1 gets BADVERS")
  @MethodSource("clients")
  void unknownEdnsVersionGetsBadvers(DnsClient client) throws Exception {
    Message query = DnsClient.query("svc1.testns.svc.cluster.local.", Type.A);
    query.addRecord(new OPTRecord(1232, 0, 1, 0), Section.ADDITIONAL);
    Message answer = client.send(dns, query);

    assertThat(answer.getRcode()).isEqualTo(Rcode.BADVERS);
    assertThat(answer.getOPT().getVersion()).isZero();
    assertThat(answer.getSection(Section.ANSWER)).isEmpty();
  }

  @Test
  void rfc6891TwoOptRecordsAreAFormatError() throws Exception {
    Message query = DnsClient.query("svc1.testns.svc.cluster.local.", Type.A);
    query.addRecord(new OPTRecord(1232, 0, 0, 0), Section.ADDITIONAL);
    query.addRecord(new OPTRecord(1232, 0, 0, 0), Section.ADDITIONAL);

    assertThat(new Message(udp(query.toWire())).getRcode()).isEqualTo(Rcode.FORMERR);
  }

  @Test
  void rfc1035AnAnswerTooBigForUdpIsTruncatedAndTheClientRetriesOverTcp() throws Exception {
    Message query = DnsClient.query("big.testns.svc.cluster.local.", Type.A);
    byte[] truncated = udp(query.toWire());

    assertThat(truncated.length).isLessThanOrEqualTo(512);
    Message partial = new Message(truncated);
    assertThat(partial.getHeader().getFlag(Flags.TC)).isTrue();

    // A client with a larger EDNS0 buffer gets everything over UDP...
    Message edns = query.clone();
    edns.addRecord(new OPTRecord(4096, 0, 0, 0), Section.ADDITIONAL);
    Message whole = new Message(udp(edns.toWire()));
    assertThat(whole.getHeader().getFlag(Flags.TC)).isFalse();
    assertThat(whole.getSection(Section.ANSWER)).hasSize(60);

    // ...and a client without one retries over TCP on TC, as dnsjava's resolver does.
    SimpleResolver resolver = new SimpleResolver(dns.nodeAddress());
    resolver.setEDNS(-1);
    resolver.setTimeout(Duration.ofSeconds(10));
    Message retried = resolver.send(query);
    assertThat(retried.getHeader().getFlag(Flags.TC)).isFalse();
    assertThat(retried.getSection(Section.ANSWER)).hasSize(60);
  }

  @Test
  void miekgDnsMoreThanOneQuestionIsAFormatError() throws Exception {
    Message query = DnsClient.query("svc1.testns.svc.cluster.local.", Type.A);
    query.addRecord(
        Record.newRecord(Name.fromString("x.testns.svc.cluster.local."), Type.A, DClass.IN),
        Section.QUESTION);

    Message answer = new Message(udp(query.toWire()));
    assertThat(answer.getRcode()).isEqualTo(Rcode.FORMERR);
    assertThat(answer.getHeader().getID()).isEqualTo(query.getHeader().getID());
  }

  @Test
  void miekgDnsNoQuestionIsAFormatError() throws Exception {
    byte[] empty = new byte[12];
    empty[0] = 0x12;
    empty[1] = 0x34;
    empty[2] = 0x01; // RD

    Message answer = new Message(udp(empty));
    assertThat(answer.getRcode()).isEqualTo(Rcode.FORMERR);
    assertThat(answer.getHeader().getID()).isEqualTo(0x1234);
    assertThat(answer.getHeader().getFlag(Flags.RD)).isTrue();
  }

  @Test
  void miekgDnsAMalformedQuestionIsAFormatError() throws Exception {
    byte[] query = DnsClient.query("svc1.testns.svc.cluster.local.", Type.A).toWire();
    byte[] cut = java.util.Arrays.copyOf(query, query.length - 3);

    assertThat(new Message(udp(cut)).getRcode()).isEqualTo(Rcode.FORMERR);
  }

  @ParameterizedTest(name = "miekg/dns acceptfunc: opcode {0} gets NOTIMP with the opcode echoed")
  @EnumSource(names = {"STATUS", "NOTIFY", "UPDATE", "IQUERY"})
  void otherOpcodesAreNotImplemented(OpcodeName opcode) throws Exception {
    Message query = DnsClient.query("svc1.testns.svc.cluster.local.", Type.A);
    query.getHeader().setOpcode(opcode.value);

    Message answer = new Message(udp(query.toWire()));
    assertThat(answer.getRcode()).isEqualTo(Rcode.NOTIMP);
    assertThat(answer.getHeader().getOpcode()).isEqualTo(opcode.value);
  }

  /** Opcodes by name, for readable test names. */
  enum OpcodeName {
    IQUERY(Opcode.IQUERY),
    STATUS(Opcode.STATUS),
    NOTIFY(Opcode.NOTIFY),
    UPDATE(Opcode.UPDATE);

    final int value;

    OpcodeName(int value) {
      this.value = value;
    }
  }

  @ParameterizedTest(name = "[{0}] CoreDNS server.go: a class other than IN is REFUSED")
  @MethodSource("clients")
  void otherClassesAreRefused(DnsClient client) throws Exception {
    Message query =
        Message.newQuery(Record.newRecord(Name.fromString("version.bind."), Type.TXT, DClass.CH));
    Message answer = client.send(dns, query);

    assertThat(answer.getRcode()).isEqualTo(Rcode.REFUSED);
  }

  @Test
  void miekgDnsResponsesAndRuntPacketsGetNoAnswer() throws Exception {
    byte[] response = DnsClient.query("svc1.testns.svc.cluster.local.", Type.A).toWire();
    response[2] |= (byte) 0x80; // QR

    assertThat(udpNoAnswer(response)).isTrue();
    assertThat(udpNoAnswer(new byte[] {1, 2, 3})).isTrue();
    // And the server still answers.
    assertThat(
            new Message(udp(DnsClient.query("svc1.testns.svc.cluster.local.", Type.A).toWire()))
                .getRcode())
        .isEqualTo(Rcode.NOERROR);
  }

  @Test
  void coreDnsAZoneTransferIsRefusedOverTcp() throws Exception {
    try (Socket socket = tcp()) {
      DataOutputStream out = new DataOutputStream(socket.getOutputStream());
      DataInputStream in = new DataInputStream(socket.getInputStream());
      write(out, DnsClient.query("cluster.local.", Type.AXFR).toWire());

      assertThat(new Message(read(in)).getRcode()).isEqualTo(Rcode.REFUSED);
    }
  }

  @Test
  void rfc7766SeveralPipelinedQueriesOnOneConnection() throws Exception {
    try (Socket socket = tcp()) {
      DataOutputStream out = new DataOutputStream(socket.getOutputStream());
      DataInputStream in = new DataInputStream(socket.getInputStream());
      List<Integer> ids = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        Message query = DnsClient.query("svc1.testns.svc.cluster.local.", Type.A);
        ids.add(query.getHeader().getID());
        write(out, query.toWire());
      }
      List<Integer> answered = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        Message answer = new Message(read(in));
        assertThat(answer.getRcode()).isEqualTo(Rcode.NOERROR);
        answered.add(answer.getHeader().getID());
      }
      assertThat(answered).containsExactlyInAnyOrderElementsOf(ids);
    }
  }

  @Test
  void miekgDnsAtMost128QueriesPerConnection() throws Exception {
    try (Socket socket = tcp()) {
      DataOutputStream out = new DataOutputStream(socket.getOutputStream());
      DataInputStream in = new DataInputStream(socket.getInputStream());
      byte[] query = DnsClient.query("svc1.testns.svc.cluster.local.", Type.A).toWire();
      for (int i = 0; i < DnsServer.MAX_TCP_QUERIES; i++) {
        write(out, query);
        assertThat(new Message(read(in)).getRcode()).isEqualTo(Rcode.NOERROR);
      }
      assertThatThrownBy(() -> read(in)).isInstanceOf(EOFException.class);
    }
  }

  @Test
  void rfc1035AZeroLengthTcpMessageClosesTheConnection() throws Exception {
    try (Socket socket = tcp()) {
      DataOutputStream out = new DataOutputStream(socket.getOutputStream());
      out.writeShort(0);
      out.flush();
      assertThatThrownBy(() -> read(new DataInputStream(socket.getInputStream())))
          .isInstanceOf(EOFException.class);
    }
  }

  @Test
  void rfc7766AnIdleConnectionIsClosed() throws Exception {
    try (Socket socket = tcp()) {
      socket.setSoTimeout((DnsServer.TCP_IDLE_SECONDS + 10) * 1000);
      long started = System.nanoTime();
      assertThatThrownBy(() -> read(new DataInputStream(socket.getInputStream())))
          .isInstanceOf(EOFException.class);
      assertThat(Duration.ofNanos(System.nanoTime() - started))
          .isGreaterThanOrEqualTo(Duration.ofSeconds(DnsServer.TCP_IDLE_SECONDS - 1));
    }
  }

  @ParameterizedTest(
      name = "[{0}] CoreDNS HasSynced: before the first sync a missing name is SERVFAIL")
  @MethodSource("clients")
  void servfailBeforeTheFirstSync(DnsClient client) throws Exception {
    QueryDispatcher unsynced =
        new QueryDispatcher(
            DnsIndex::unsynced,
            List.of(
                new ClusterZoneHandler(
                    Name.fromString("cluster.local."),
                    5,
                    PodsMode.INSECURE,
                    AddressPlan.defaults().dnsServiceIp())),
            List.of(),
            java.util.Map.of(),
            null);
    DnsServer server = new DnsServer(vertx, unsynced);
    int port =
        server
            .listen("127.0.0.1", 0)
            .toCompletionStage()
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    try {
      Message answer =
          client.send(
              unsynced,
              DnsClient.local(port),
              DnsClient.query("svc1.testns.svc.cluster.local.", Type.A));
      assertThat(answer.getRcode()).isEqualTo(Rcode.SERVFAIL);
      // What needs no cluster data is still answered.
      Message version =
          client.send(
              unsynced,
              DnsClient.local(port),
              DnsClient.query("dns-version.cluster.local.", Type.TXT));
      assertThat(version.getRcode()).isEqualTo(Rcode.NOERROR);
    } finally {
      server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void coreDnsTtlIsConfigurable() throws Exception {
    try (ClusterDns thirty =
        new ClusterDns(
            store,
            AddressPlan.defaults(),
            vertx,
            ClusterZoneSpecTest.options().withTtl(Duration.ofSeconds(30)))) {
      thirty.start().get();
      Message answer =
          DnsClient.UDP.send(thirty, DnsClient.query("svc1.testns.svc.cluster.local.", Type.A));
      assertThat(answer.getSection(Section.ANSWER).get(0).getTTL()).isEqualTo(30);
      Message negative =
          DnsClient.UDP.send(thirty, DnsClient.query("nope.testns.svc.cluster.local.", Type.A));
      assertThat(DnsAnswers.authority(negative))
          .containsExactly(
              "cluster.local. 30 in soa ns.dns.cluster.local. hostmaster.cluster.local. serial 7200 1800 86400 30");
    }
  }

  // ---------------------------------------------------------------- raw sockets

  private static byte[] udp(byte[] packet) throws Exception {
    try (DatagramSocket socket = new DatagramSocket()) {
      socket.setSoTimeout(10_000);
      socket.send(new DatagramPacket(packet, packet.length, dns.nodeAddress()));
      DatagramPacket answer = new DatagramPacket(new byte[65535], 65535);
      socket.receive(answer);
      return java.util.Arrays.copyOf(answer.getData(), answer.getLength());
    }
  }

  /** Whether the server stays silent: no answer within half a second. */
  private static boolean udpNoAnswer(byte[] packet) throws Exception {
    try (DatagramSocket socket = new DatagramSocket()) {
      socket.setSoTimeout(500);
      socket.send(new DatagramPacket(packet, packet.length, dns.nodeAddress()));
      socket.receive(new DatagramPacket(new byte[65535], 65535));
      return false;
    } catch (SocketTimeoutException e) {
      return true;
    }
  }

  private static Socket tcp() throws Exception {
    Socket socket = new Socket();
    socket.connect(new InetSocketAddress(dns.nodeAddress().getAddress(), dns.port()), 10_000);
    socket.setSoTimeout(10_000);
    return socket;
  }

  private static void write(DataOutputStream out, byte[] message) throws Exception {
    out.writeShort(message.length);
    out.write(message);
    out.flush();
  }

  private static byte[] read(DataInputStream in) throws Exception {
    int length = in.readUnsignedShort();
    byte[] message = new byte[length];
    in.readFully(message);
    return message;
  }
}
