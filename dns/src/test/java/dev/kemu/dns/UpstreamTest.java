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
import dev.kemu.dns.upstream.HostResolvConf;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.vertx.core.Vertx;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * Names outside kemu's zones: CoreDNS's forward plugin (plugin/forward README: upstreams in random
 * order, the client's transport, truncated answers passed back), kube-dns stub domains (a CoreDNS
 * server block per domain; the most specific zone wins), and the default upstreams from the host's
 * resolv.conf. The upstream is another kemu, serving its own zone over real sockets.
 */
class UpstreamTest {
  private static Vertx vertx;
  private static ResourceStore upstreamStore;
  private static ClusterDns upstream;
  private static ResourceStore store;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    upstreamStore = new ResourceStore();
    upstreamStore.create(namespace("corp"));
    upstreamStore.create(service("corp", "wiki", List.of("10.0.0.1"), port("http", "TCP", 80)));
    upstreamStore.create(headless("corp", "big"));
    Endpoint[] many = new Endpoint[60];
    for (int i = 0; i < many.length; i++) {
      many[i] = endpoint("10.1.0." + (i + 1));
    }
    upstreamStore.create(
        slice("corp", "big", "big-1", List.of(slicePort("http", "TCP", 80)), many));
    upstream =
        new ClusterDns(
            upstreamStore,
            AddressPlan.defaults().withClusterDomain("corp.test"),
            vertx,
            ClusterZoneSpecTest.options());
    upstream.start().get();
    store = new ResourceStore();
    store.create(namespace("default"));
  }

  @AfterAll
  static void stop() {
    upstream.close();
    upstreamStore.close();
    store.close();
    vertx.close();
  }

  private static ClusterDns kemu(DnsOptions options) throws Exception {
    ClusterDns dns = new ClusterDns(store, AddressPlan.defaults(), vertx, options);
    dns.start().get();
    return dns;
  }

  @ParameterizedTest(
      name = "[{0}] CoreDNS forward: names outside the zones go upstream, same transport")
  @EnumSource(
      value = DnsClient.class,
      names = {"UDP", "TCP"})
  void forwardsToTheUpstream(DnsClient client) throws Exception {
    try (ClusterDns dns =
        kemu(ClusterZoneSpecTest.options().withUpstreams(List.of(upstream.nodeAddress())))) {
      Message query = DnsClient.query("wiki.corp.svc.corp.test.", Type.A);
      Message answer = client.send(dns, query);

      assertThat(answer.getRcode()).isEqualTo(Rcode.NOERROR);
      assertThat(answer.getHeader().getID()).isEqualTo(query.getHeader().getID());
      assertThat(answer.getHeader().getFlag(Flags.AA)).as("the upstream's answer, as is").isTrue();
      assertThat(DnsAnswers.answer(answer))
          .containsExactly("wiki.corp.svc.corp.test. 5 in a 10.0.0.1");
      // The upstream's NXDOMAIN comes back too.
      Message missing = client.send(dns, DnsClient.query("nope.corp.svc.corp.test.", Type.A));
      assertThat(missing.getRcode()).isEqualTo(Rcode.NXDOMAIN);
    }
  }

  @Test
  void kubeDnsStubDomainsGoToTheirOwnServers() throws Exception {
    try (ClusterDns dns =
        kemu(
            ClusterZoneSpecTest.options()
                .withStubDomains(Map.of("corp.test", List.of(upstream.nodeAddress()))))) {
      Message answer = DnsClient.UDP.send(dns, DnsClient.query("wiki.corp.svc.corp.test.", Type.A));
      assertThat(DnsAnswers.answer(answer))
          .containsExactly("wiki.corp.svc.corp.test. 5 in a 10.0.0.1");

      Message elsewhere = DnsClient.UDP.send(dns, DnsClient.query("example.org.", Type.A));
      assertThat(elsewhere.getRcode())
          .as("no upstream for other names: SERVFAIL")
          .isEqualTo(Rcode.SERVFAIL);
    }
  }

  @Test
  void coreDnsTheMostSpecificZoneWinsAStubForAReverseZone() throws Exception {
    try (ClusterDns dns =
        kemu(
            ClusterZoneSpecTest.options()
                .withStubDomains(Map.of("10.in-addr.arpa", List.of(upstream.nodeAddress()))))) {
      Message answer = DnsClient.UDP.send(dns, DnsClient.query("1.0.0.10.in-addr.arpa.", Type.PTR));
      assertThat(DnsAnswers.answer(answer))
          .containsExactly("1.0.0.10.in-addr.arpa. 5 in ptr wiki.corp.svc.corp.test.");
    }
  }

  @Test
  void coreDnsForwardAnUpstreamThatDoesNotAnswerGivesServfail() throws Exception {
    try (DatagramSocket silent = new DatagramSocket(0, InetAddress.getLoopbackAddress());
        ClusterDns dns =
            kemu(
                ClusterZoneSpecTest.options()
                    .withUpstreamTimeout(Duration.ofMillis(300))
                    .withUpstreams(
                        List.of(
                            new InetSocketAddress(
                                InetAddress.getLoopbackAddress(), silent.getLocalPort()))))) {
      Message answer = DnsClient.UDP.send(dns, DnsClient.query("example.org.", Type.A));
      assertThat(answer.getRcode()).isEqualTo(Rcode.SERVFAIL);
    }
  }

  @Test
  void coreDnsForwardADeadUpstreamIsSkipped() throws Exception {
    try (DatagramSocket silent = new DatagramSocket(0, InetAddress.getLoopbackAddress());
        ClusterDns dns =
            kemu(
                ClusterZoneSpecTest.options()
                    .withUpstreamTimeout(Duration.ofMillis(300))
                    .withUpstreams(
                        List.of(
                            new InetSocketAddress(
                                InetAddress.getLoopbackAddress(), silent.getLocalPort()),
                            upstream.nodeAddress())))) {
      for (int i = 0; i < 4; i++) {
        Message answer =
            DnsClient.UDP.send(dns, DnsClient.query("wiki.corp.svc.corp.test.", Type.A));
        assertThat(answer.getRcode()).isEqualTo(Rcode.NOERROR);
      }
    }
  }

  @Test
  void coreDnsForwardATruncatedUpstreamAnswerIsPassedBackAndTheClientRetriesOverTcp()
      throws Exception {
    try (ClusterDns dns =
        kemu(ClusterZoneSpecTest.options().withUpstreams(List.of(upstream.nodeAddress())))) {
      Message query = DnsClient.query("big.corp.svc.corp.test.", Type.A);
      try (DatagramSocket socket = new DatagramSocket()) {
        socket.setSoTimeout(10_000);
        byte[] wire = query.toWire();
        socket.send(new DatagramPacket(wire, wire.length, dns.nodeAddress()));
        DatagramPacket packet = new DatagramPacket(new byte[65535], 65535);
        socket.receive(packet);
        Message truncated = new Message(Arrays.copyOf(packet.getData(), packet.getLength()));
        assertThat(truncated.getHeader().getFlag(Flags.TC)).isTrue();
      }
      SimpleResolver resolver = new SimpleResolver(dns.nodeAddress());
      resolver.setEDNS(-1);
      resolver.setTimeout(Duration.ofSeconds(10));
      Message whole = resolver.send(query);
      assertThat(whole.getHeader().getFlag(Flags.TC)).isFalse();
      assertThat(whole.getSection(Section.ANSWER)).hasSize(60);
    }
  }

  @Test
  void neverForwardsToItsOwnAddresses() {
    AddressPlan plan = AddressPlan.defaults();
    InetSocketAddress clusterIp = new InetSocketAddress(plan.dnsServiceIp(), 53);
    InetSocketAddress node = new InetSocketAddress(InetAddress.getLoopbackAddress(), 10053);
    InetSocketAddress other = new InetSocketAddress(InetAddress.getLoopbackAddress(), 53);
    try (ClusterDns dns =
        new ClusterDns(
            store,
            plan,
            vertx,
            DnsOptions.defaults().withPort(10053).withUpstreams(List.of(clusterIp, node, other)))) {
      assertThat(dns.upstreams()).containsExactly(other);
    }
  }

  @Test
  void defaultUpstreamsAreTheHostResolvConfNameservers() {
    String text =
        """
        # generated
        search example.internal
        nameserver 10.255.255.53
        nameserver   fd00::53
        ; comment
        nameserver not-an-ip
        options ndots:1 edns0
        """;
    assertThat(HostResolvConf.parse(text))
        .extracting(InetSocketAddress::toString)
        .containsExactly("/10.255.255.53:53", "/[fd00:0:0:0:0:0:0:53]:53");
    assertThat(DnsOptions.defaults().upstreams()).isEqualTo(HostResolvConf.hostNameservers());
  }

  @Test
  void kubeadmBehindSystemdResolvedTheRealUpstreamsAreUsed(@TempDir Path dir) throws Exception {
    Path stub =
        Files.writeString(dir.resolve("resolv.conf"), "nameserver 127.0.0.53\noptions edns0\n");
    Path real = Files.writeString(dir.resolve("systemd.conf"), "nameserver 192.0.2.53\n");

    assertThat(HostResolvConf.hostNameservers(stub, real))
        .containsExactly(new InetSocketAddress("192.0.2.53", 53));
    assertThat(HostResolvConf.hostNameservers(stub, dir.resolve("absent")))
        .containsExactly(new InetSocketAddress("127.0.0.53", 53));
    assertThat(HostResolvConf.hostNameservers(real, stub))
        .containsExactly(new InetSocketAddress("192.0.2.53", 53));
  }

  @Test
  void serverAddressesParseWithOptionalPorts() {
    assertThat(HostResolvConf.parseServer("10.0.0.2").getPort()).isEqualTo(53);
    assertThat(HostResolvConf.parseServer("10.0.0.2:5353").getPort()).isEqualTo(5353);
    assertThat(HostResolvConf.parseServer("[fd00::2]:5353").getPort()).isEqualTo(5353);
    assertThat(HostResolvConf.parseServer("fd00::2").getAddress().getHostAddress())
        .isEqualTo("fd00:0:0:0:0:0:0:2");
    assertThatThrownBy(() -> HostResolvConf.parseServer("dns.example.org"))
        .hasMessage(
            "'dns.example.org' is not an IP address with an optional port, such as 10.0.0.2:53");
    assertThatThrownBy(() -> HostResolvConf.parseServer("10.0.0.2:70000"))
        .hasMessage("'10.0.0.2:70000': port must be between 1 and 65535, inclusive");
  }
}
