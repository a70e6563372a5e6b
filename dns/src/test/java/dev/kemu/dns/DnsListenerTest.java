package dev.kemu.dns;

import static dev.kemu.dns.DnsObjects.namespace;
import static dev.kemu.dns.DnsObjects.port;
import static dev.kemu.dns.DnsObjects.service;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kemu.api.registry.AddressPlan;
import dev.kemu.api.registry.Cidr;
import dev.kemu.api.store.ResourceStore;
import io.vertx.core.Vertx;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * Where the cluster DNS listens (DESIGN "Address plan"): the node address port for UDP and TCP, and
 * the kube-dns ClusterIP on port 53 where the system lets it bind; a refused bind there is reported
 * once with its fix and everything else goes on.
 */
class DnsListenerTest {
  private Vertx vertx;
  private ResourceStore store;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    store = new ResourceStore();
    store.create(namespace("default"));
    store.create(service("default", "web", List.of("127.96.0.80"), port("http", "TCP", 80)));
  }

  @AfterEach
  void stop() {
    store.close();
    vertx.close();
  }

  @Test
  void udpAndTcpShareTheNodePortEvenWhenAnyPortIsAsked() throws Exception {
    try (ClusterDns dns =
        new ClusterDns(store, AddressPlan.defaults(), vertx, ClusterZoneSpecTest.options())) {
      dns.start().get();

      assertThat(dns.port()).isPositive();
      assertThat(dns.nodeAddress()).isEqualTo(new InetSocketAddress("127.0.0.1", dns.port()));
      assertThat(dns.listeners())
          .containsExactly(new DnsListener("dns", "udp+tcp", dns.nodeAddress(), null));
      for (DnsClient client : List.of(DnsClient.UDP, DnsClient.TCP)) {
        assertThat(
                client
                    .send(dns, DnsClient.query("web.default.svc.cluster.local.", Type.A))
                    .getRcode())
            .isEqualTo(Rcode.NOERROR);
      }
    }
  }

  @Test
  void aTakenNodePortFailsTheStartNamingTheFlag() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        ClusterDns dns =
            new ClusterDns(
                store,
                AddressPlan.defaults(),
                vertx,
                ClusterZoneSpecTest.options().withPort(taken.getLocalPort()))) {
      assertThatThrownBy(() -> dns.start().get())
          .isInstanceOf(ExecutionException.class)
          .cause()
          .hasMessageStartingWith(
              "cluster DNS cannot listen on 127.0.0.1:" + taken.getLocalPort() + " (")
          .hasMessageEndingWith("): choose another port with --dns-port (0 for any free port)");
    }
  }

  @Test
  void theKubeDnsClusterIpServesPort53WhereItCanBind() throws Exception {
    AddressPlan plan = AddressPlan.defaults().withServiceCidr(Cidr.parse("127.78.0.0/16"));
    try (ClusterDns dns =
        new ClusterDns(
            store, plan, vertx, ClusterZoneSpecTest.options().withServeClusterIp(true))) {
      dns.start().get();

      DnsListener clusterIp = dns.listeners().get(1);
      assertThat(clusterIp.name()).isEqualTo("dns (kube-dns ClusterIP)");
      assertThat(clusterIp.address()).isEqualTo(new InetSocketAddress("127.78.0.10", 53));
      if (clusterIp.bound()) {
        SimpleResolver resolver = new SimpleResolver(clusterIp.address());
        Message answer = resolver.send(DnsClient.query("web.default.svc.cluster.local.", Type.A));
        assertThat(DnsAnswers.answer(answer))
            .containsExactly("web.default.svc.cluster.local. 5 in a 127.96.0.80");
      } else {
        // Not privileged: the one warning says how to fix it.
        assertThat(clusterIp.error()).contains("sysctl net.ipv4.ip_unprivileged_port_start=0");
      }
    }
  }

  @Test
  void aClusterIpThatCannotBeBoundIsReportedAndTheNodePortStillServes() throws Exception {
    AddressPlan plan = AddressPlan.defaults().withServiceCidr(Cidr.parse("127.77.0.0/16"));
    DatagramSocket holder = null;
    try {
      holder = new DatagramSocket(new InetSocketAddress("127.77.0.10", 53));
    } catch (java.net.BindException e) {
      // Not privileged: kemu's own bind fails the same way, for another reason.
    }
    try (ClusterDns dns =
        new ClusterDns(
            store, plan, vertx, ClusterZoneSpecTest.options().withServeClusterIp(true))) {
      dns.start().get();

      DnsListener clusterIp = dns.listeners().get(1);
      assertThat(clusterIp.bound()).isFalse();
      assertThat(clusterIp.error()).containsAnyOf("in use", "denied").contains("Fix:");
      assertThat(
              DnsClient.UDP
                  .send(dns, DnsClient.query("web.default.svc.cluster.local.", Type.A))
                  .getRcode())
          .isEqualTo(Rcode.NOERROR);
    } finally {
      if (holder != null) {
        holder.close();
      }
    }
  }
}
