package dev.kemu.dns;

import static dev.kemu.dns.DnsObjects.namespace;
import static dev.kemu.dns.DnsObjects.port;
import static dev.kemu.dns.DnsObjects.service;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kemu.api.registry.AddressPlan;
import dev.kemu.api.store.ResourceStore;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.IngressLoadBalancerIngressBuilder;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/**
 * The external zone ({@code --dns-external-zone example.test}): what ExternalDNS publishes for
 * LoadBalancer Services and Ingresses (kubernetes-sigs/external-dns source/service.go,
 * source/ingress.go, docs/annotations) and CoreDNS's k8s_external names and apex.
 */
class ExternalZoneTest {
  private static final String SOA =
      "example.test. 5 IN SOA ns1.dns.example.test. hostmaster.dns.example.test. SERIAL 7200 1800 86400 5";
  private static final String EXTERNAL_DNS = "external-dns.alpha.kubernetes.io/";

  private static Vertx vertx;
  private static ResourceStore store;
  private static ClusterDns dns;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    store = new ResourceStore();
    store.create(namespace("web"));
    loadBalancer("shop", Map.of(), "127.200.0.1");
    loadBalancer(
        "api",
        Map.of(EXTERNAL_DNS + "hostname", "api.example.test, www.example.test"),
        "127.200.0.3");
    loadBalancer(
        "outside", Map.of(EXTERNAL_DNS + "hostname", "outside.example.org"), "127.200.0.4");
    loadBalancer(
        "aliased", Map.of(EXTERNAL_DNS + "hostname", "alias.example.test"), "lb.elb.example.com");
    loadBalancer(
        "targeted",
        Map.of(
            EXTERNAL_DNS + "hostname",
            "targeted.example.test",
            EXTERNAL_DNS + "target",
            "192.0.2.7"),
        "127.200.0.5");
    loadBalancer(
        "slow",
        Map.of(EXTERNAL_DNS + "hostname", "ttl.example.test", EXTERNAL_DNS + "ttl", "60"),
        "127.200.0.6");
    // A LoadBalancer still pending has no address: nothing to publish.
    store.create(
        service(
            "web",
            "pending",
            List.of("10.96.0.20"),
            s -> {
              s.getSpec().setType("LoadBalancer");
              s.getMetadata()
                  .setAnnotations(Map.of(EXTERNAL_DNS + "hostname", "pending.example.test"));
            },
            port("http", "TCP", 80)));
    store.create(
        service(
            "web",
            "internal",
            List.of("10.96.0.21"),
            s ->
                s.getMetadata()
                    .setAnnotations(
                        Map.of(EXTERNAL_DNS + "internal-hostname", "internal.example.test")),
            port("http", "TCP", 80)));
    Ingress site =
        store.create(
            new IngressBuilder()
                .withNewMetadata()
                .withNamespace("web")
                .withName("site")
                .endMetadata()
                .withNewSpec()
                .addNewRule()
                .withHost("shop.example.test")
                .endRule()
                .addNewRule()
                .withHost("*.apps.example.test")
                .endRule()
                .addNewTl()
                .withHosts("secure.example.test")
                .endTl()
                .endSpec()
                .build());
    store.modifyStatus(
        Ingress.class,
        store.keyOf(site),
        i -> {
          i.setStatus(
              new io.fabric8.kubernetes.api.model.networking.v1.IngressStatusBuilder()
                  .withNewLoadBalancer()
                  .withIngress(
                      new IngressLoadBalancerIngressBuilder().withIp("127.200.0.2").build())
                  .endLoadBalancer()
                  .build());
          return i;
        });
    dns =
        new ClusterDns(
            store,
            AddressPlan.defaults(),
            vertx,
            ClusterZoneSpecTest.options().withExternalZone("example.test"));
    dns.start().get();
  }

  private static void loadBalancer(String name, Map<String, String> annotations, String address) {
    Service service =
        store.create(
            service(
                "web",
                name,
                List.of("10.96.1." + (name.length() + 10)),
                s -> {
                  s.getSpec().setType("LoadBalancer");
                  s.getMetadata().setAnnotations(annotations);
                },
                port("http", "TCP", 80)));
    store.modifyStatus(
        Service.class,
        store.keyOf(service),
        s -> {
          s.setStatus(DnsObjects.loadBalancerStatus(address));
          return s;
        });
  }

  @AfterAll
  static void stop() {
    dns.close();
    store.close();
    vertx.close();
  }

  record Case(
      String rule,
      String qname,
      int qtype,
      int rcode,
      List<String> answer,
      List<String> authority) {
    @Override
    public String toString() {
      return rule + ": " + qname + " " + Type.string(qtype) + " -> " + Rcode.string(rcode);
    }
  }

  static Case c(String rule, String qname, int qtype, int rcode, String... answer) {
    return new Case(rule, qname, qtype, rcode, List.of(answer), List.of());
  }

  static Case nodata(String rule, String qname, int qtype) {
    return new Case(rule, qname, qtype, Rcode.NOERROR, List.of(), List.of(SOA));
  }

  static Case nxdomain(String rule, String qname, int qtype) {
    return new Case(rule, qname, qtype, Rcode.NXDOMAIN, List.of(), List.of(SOA));
  }

  static List<Case> cases() {
    int ok = Rcode.NOERROR;
    return List.of(
        c(
            "k8s_external: <service>.<namespace>.<zone> answers the LoadBalancer address",
            "shop.web.example.test.",
            Type.A,
            ok,
            "shop.web.example.test. 5 IN A 127.200.0.1"),
        c(
            "ExternalDNS: the hostname annotation publishes the LoadBalancer address",
            "api.example.test.",
            Type.A,
            ok,
            "api.example.test. 5 IN A 127.200.0.3"),
        c(
            "ExternalDNS: the hostname annotation takes a comma-separated list",
            "www.example.test.",
            Type.A,
            ok,
            "www.example.test. 5 IN A 127.200.0.3"),
        nodata("ExternalDNS: AAAA of an IPv4-only name is NODATA", "api.example.test.", Type.AAAA),
        c(
            "ExternalDNS: a LoadBalancer hostname is published as a CNAME",
            "alias.example.test.",
            Type.CNAME,
            ok,
            "alias.example.test. 5 IN CNAME lb.elb.example.com."),
        c(
            "ExternalDNS: the target annotation overrides the LoadBalancer address",
            "targeted.example.test.",
            Type.A,
            ok,
            "targeted.example.test. 5 IN A 192.0.2.7"),
        c(
            "ExternalDNS: the ttl annotation sets the TTL",
            "ttl.example.test.",
            Type.A,
            ok,
            "ttl.example.test. 60 IN A 127.200.0.6"),
        c(
            "ExternalDNS: internal-hostname publishes the ClusterIP",
            "internal.example.test.",
            Type.A,
            ok,
            "internal.example.test. 5 IN A 10.96.0.21"),
        nxdomain(
            "ExternalDNS: a pending LoadBalancer is not published",
            "pending.example.test.",
            Type.A),
        c(
            "ExternalDNS: an Ingress rule host answers the Ingress address",
            "shop.example.test.",
            Type.A,
            ok,
            "shop.example.test. 5 IN A 127.200.0.2"),
        c(
            "ExternalDNS: an Ingress TLS host is published too",
            "secure.example.test.",
            Type.A,
            ok,
            "secure.example.test. 5 IN A 127.200.0.2"),
        c(
            "RFC 4592: a wildcard Ingress host answers any name below it",
            "foo.apps.example.test.",
            Type.A,
            ok,
            "foo.apps.example.test. 5 IN A 127.200.0.2"),
        nodata("RFC 8020: an empty non-terminal is NODATA", "apps.example.test.", Type.A),
        nodata("RFC 8020: the parent of a published name is NODATA", "web.example.test.", Type.A),
        nxdomain("a name nobody publishes is NXDOMAIN", "missing.example.test.", Type.A),
        c("k8s_external apex: SOA", "example.test.", Type.SOA, ok, SOA),
        new Case(
            "k8s_external apex: NS ns1.dns.<zone>, its address in additional",
            "example.test.",
            Type.NS,
            ok,
            List.of("example.test. 5 IN NS ns1.dns.example.test."),
            List.of()),
        c(
            "k8s_external: ns1.dns.<zone> answers the cluster DNS address",
            "ns1.dns.example.test.",
            Type.A,
            ok,
            "ns1.dns.example.test. 5 IN A 127.96.0.10"),
        nxdomain(
            "k8s_external: other names under dns.<zone> are NXDOMAIN",
            "x.dns.example.test.",
            Type.A));
  }

  static Stream<Arguments> table() {
    List<Arguments> arguments = new ArrayList<>();
    for (DnsClient client : DnsClient.values()) {
      for (Case c : cases()) {
        arguments.add(Arguments.of("[" + client + "] " + c, c, client));
      }
    }
    return arguments.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void publishesAsExternalDns(String name, Case c, DnsClient client) throws Exception {
    Message answer = client.send(dns, DnsClient.query(c.qname(), c.qtype()));

    assertThat(Rcode.string(answer.getRcode())).isEqualTo(Rcode.string(c.rcode()));
    assertThat(DnsAnswers.answer(answer)).isEqualTo(DnsAnswers.normalize(c.answer()));
    assertThat(DnsAnswers.authority(answer)).isEqualTo(DnsAnswers.normalize(c.authority()));
  }

  @Test
  void aNameOutsideTheZoneIsNotPublished() throws Exception {
    // ExternalDNS --domain-filter: outside.example.org stays outside; with no upstream, SERVFAIL.
    Message answer = DnsClient.UDP.send(dns, DnsClient.query("outside.example.org.", Type.A));
    assertThat(answer.getRcode()).isEqualTo(Rcode.SERVFAIL);
  }

  @Test
  void aNewIngressIsAnsweredOnceTheSyncReturns() throws Exception {
    Ingress late =
        store.create(
            new IngressBuilder()
                .withNewMetadata()
                .withNamespace("web")
                .withName("late")
                .endMetadata()
                .withNewSpec()
                .addNewRule()
                .withHost("late.example.test")
                .endRule()
                .endSpec()
                .build());
    dns.whenApplied(store.resourceVersion()).get();
    assertThat(DnsClient.UDP.send(dns, DnsClient.query("late.example.test.", Type.A)).getRcode())
        .as("no address yet")
        .isEqualTo(Rcode.NXDOMAIN);

    store.modifyStatus(
        Ingress.class,
        store.keyOf(late),
        i -> {
          i.setStatus(
              new io.fabric8.kubernetes.api.model.networking.v1.IngressStatusBuilder()
                  .withNewLoadBalancer()
                  .withIngress(
                      new IngressLoadBalancerIngressBuilder().withIp("127.200.0.9").build())
                  .endLoadBalancer()
                  .build());
          return i;
        });
    dns.whenApplied(store.resourceVersion()).get();
    Message answer = DnsClient.UDP.send(dns, DnsClient.query("late.example.test.", Type.A));
    assertThat(DnsAnswers.answer(answer)).containsExactly("late.example.test. 5 in a 127.200.0.9");
  }
}
