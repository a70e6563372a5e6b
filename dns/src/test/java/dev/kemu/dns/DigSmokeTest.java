package dev.kemu.dns;

import static dev.kemu.dns.DnsObjects.endpoint;
import static dev.kemu.dns.DnsObjects.headless;
import static dev.kemu.dns.DnsObjects.namespace;
import static dev.kemu.dns.DnsObjects.port;
import static dev.kemu.dns.DnsObjects.service;
import static dev.kemu.dns.DnsObjects.slice;
import static dev.kemu.dns.DnsObjects.slicePort;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kemu.api.registry.AddressPlan;
import dev.kemu.api.store.ResourceStore;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A smoke test with the real {@code dig} (Debian package {@code bind9-dnsutils}) against a running
 * cluster DNS, over UDP and TCP. Skipped, saying so, only when {@code dig} is not installed.
 */
class DigSmokeTest {
  private static Vertx vertx;
  private static ResourceStore store;
  private static ClusterDns dns;

  @BeforeAll
  static void start() throws Exception {
    Assumptions.assumeTrue(
        digInstalled(),
        "dig is not installed: install the Debian package bind9-dnsutils to run this smoke test");
    vertx = Vertx.vertx();
    store = new ResourceStore();
    store.create(namespace("shop"));
    store.create(service("shop", "cart", List.of("127.96.3.3"), port("http", "TCP", 80)));
    store.create(headless("shop", "db"));
    Endpoint[] replicas = new Endpoint[40];
    for (int i = 0; i < replicas.length; i++) {
      replicas[i] = endpoint("127.244.1." + (i + 1), "db-" + i, true);
    }
    store.create(slice("shop", "db", "db-1", List.of(slicePort("pg", "TCP", 5432)), replicas));
    dns = new ClusterDns(store, AddressPlan.defaults(), vertx, ClusterZoneSpecTest.options());
    dns.start().get();
  }

  @AfterAll
  static void stop() {
    if (dns != null) {
      dns.close();
      store.close();
      vertx.close();
    }
  }

  static boolean digInstalled() {
    try {
      Process process = new ProcessBuilder("dig", "-v").redirectErrorStream(true).start();
      return process.waitFor(10, TimeUnit.SECONDS) && process.exitValue() == 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  private static String dig(String... args) throws Exception {
    List<String> command =
        new ArrayList<>(
            List.of("dig", "@127.0.0.1", "-p", String.valueOf(dns.port()), "+time=5", "+tries=1"));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
  }

  @Test
  void digResolvesAServiceOverUdpAndTcp() throws Exception {
    assertThat(dig("+short", "cart.shop.svc.cluster.local")).isEqualTo("127.96.3.3\n");
    assertThat(dig("+short", "+tcp", "cart.shop.svc.cluster.local")).isEqualTo("127.96.3.3\n");
  }

  @Test
  void digSeesTheFlagsAndStatusOfCoreDns() throws Exception {
    String full = dig("cart.shop.svc.cluster.local");
    assertThat(full).contains("status: NOERROR").containsPattern("flags: qr aa rd;");
    assertThat(dig("nope.shop.svc.cluster.local")).contains("status: NXDOMAIN");
    assertThat(dig("+short", "dns-version.cluster.local", "TXT")).isEqualTo("\"1.1.0\"\n");
  }

  @Test
  void digReverseAndSrv() throws Exception {
    assertThat(dig("+short", "-x", "127.96.3.3")).isEqualTo("cart.shop.svc.cluster.local.\n");
    assertThat(dig("+short", "_http._tcp.cart.shop.svc.cluster.local", "SRV"))
        .isEqualTo("0 100 80 cart.shop.svc.cluster.local.\n");
  }

  @Test
  void digRetriesOverTcpWhenTheAnswerIsTruncated() throws Exception {
    String truncated = dig("+noedns", "+ignore", "db.shop.svc.cluster.local");
    assertThat(truncated).containsPattern("flags: qr aa tc rd;");
    String retried = dig("+noedns", "+short", "db.shop.svc.cluster.local");
    assertThat(retried.lines()).hasSize(40);
  }
}
