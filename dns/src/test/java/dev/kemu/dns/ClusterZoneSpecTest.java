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

import dev.kemu.api.registry.AddressPlan;
import dev.kemu.api.store.ResourceStore;
import io.fabric8.kubernetes.api.model.Service;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/**
 * The Kubernetes DNS-Based Service Discovery specification (kubernetes/dns docs/specification.md,
 * schema 1.1.0) and CoreDNS's kubernetes plugin behaviours (plugin/kubernetes handler_test.go,
 * handler_case_test.go, kubernetes_apex_test.go, reverse_test.go, handler_pod_insecure_test.go), as
 * one table run in-process and over real UDP and TCP. The objects mirror CoreDNS's test data.
 */
class ClusterZoneSpecTest {
  private static final String SOA =
      "cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. SERIAL 7200 1800 86400 5";

  private static Vertx vertx;
  private static ResourceStore store;
  private static ResourceStore upstreamStore;
  private static ClusterDns dns;
  private static ClusterDns upstream;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    // An upstream resolver: another kemu that publishes ext.interwebs.test in its external zone.
    upstreamStore = new ResourceStore();
    upstreamStore.create(namespace("web"));
    Service lb =
        service(
            "web",
            "ext",
            List.of("10.9.0.1"),
            s -> {
              s.getSpec().setType("LoadBalancer");
              s.getMetadata()
                  .setAnnotations(
                      Map.of("external-dns.alpha.kubernetes.io/hostname", "ext.interwebs.test"));
            },
            port("http", "TCP", 80));
    upstreamStore.create(lb);
    upstreamStore.modifyStatus(
        Service.class,
        upstreamStore.keyOf(lb),
        s -> {
          s.setStatus(DnsObjects.loadBalancerStatus("1.2.3.4"));
          return s;
        });
    upstream =
        new ClusterDns(
            upstreamStore,
            AddressPlan.defaults().withClusterDomain("upstream.test"),
            vertx,
            options().withExternalZone("interwebs.test"));
    upstream.start().get();

    store = new ResourceStore();
    for (String ns : List.of("testns", "podns", "kube-system")) {
      store.create(namespace(ns));
    }
    var http = port("http", "TCP", 80);
    store.create(service("testns", "svc1", List.of("10.0.0.1"), http));
    store.create(
        slice(
            "testns",
            "svc1",
            "svc1-slice1",
            List.of(slicePort("http", "TCP", 80)),
            endpoint("172.0.0.1", "ep1a", true)));
    store.create(service("testns", "svcempty", List.of("10.0.0.1"), http));
    store.create(
        slice("testns", "svcempty", "svcempty-slice1", List.of(slicePort("http", "TCP", 80))));
    store.create(service("testns", "svc6", List.of("1234:abcd::1"), http));
    store.create(service("testns", "svc-dual-stack", List.of("10.0.0.3", "10::3"), http));
    store.create(service("testns", "unnamed", List.of("10.0.0.5"), port(null, "TCP", 8080)));
    store.create(headless("testns", "hdls1"));
    store.create(
        slice(
            "testns",
            "hdls1",
            "hdls1-v4",
            List.of(slicePort("http", "TCP", 80)),
            endpoint("172.0.0.2"),
            endpoint("172.0.0.3"),
            endpoint("172.0.0.4", "dup-name", true),
            endpoint("172.0.0.5", "dup-name", null),
            endpoint("172.0.0.9", "not-ready", false)));
    store.create(
        slice(
            "testns",
            "hdls1",
            "hdls1-v6",
            List.of(slicePort("http", "TCP", 80)),
            endpoint("5678:abcd::1"),
            endpoint("5678:abcd::2")));
    store.create(headless("testns", "hdlsprtls"));
    store.create(
        slice("testns", "hdlsprtls", "hdlsprtls-slice1", List.of(), endpoint("172.0.0.20")));
    store.create(headless("testns", "hdls-multi"));
    store.create(
        slice(
            "testns",
            "hdls-multi",
            "hdls-multi-1",
            List.of(slicePort("http", "TCP", 80), slicePort("https", "TCP", 443)),
            endpoint("172.0.1.1", "a", true),
            endpoint("172.0.1.2", "b", true)));
    store.create(headless("testns", "hdls-empty"));
    store.create(
        slice(
            "testns",
            "hdls-empty",
            "hdls-empty-1",
            List.of(slicePort("http", "TCP", 80)),
            endpoint("172.0.0.30", null, false)));
    Service published = headless("testns", "hdls-pub");
    published.getSpec().setPublishNotReadyAddresses(true);
    store.create(published);
    store.create(
        slice(
            "testns",
            "hdls-pub",
            "hdls-pub-1",
            List.of(slicePort("http", "TCP", 80)),
            endpoint("172.0.0.40", "starting", false)));
    Service tolerate = headless("testns", "hdls-tolerate");
    tolerate
        .getMetadata()
        .setAnnotations(Map.of("service.alpha.kubernetes.io/tolerate-unready-endpoints", "true"));
    store.create(tolerate);
    store.create(
        slice(
            "testns",
            "hdls-tolerate",
            "hdls-tolerate-1",
            List.of(slicePort("http", "TCP", 80)),
            endpoint("172.0.0.41", null, false)));
    store.create(externalName("testns", "external", "ext.interwebs.test"));
    store.create(externalName("testns", "external-to-service", "svc1.testns.svc.cluster.local."));
    dns =
        new ClusterDns(
            store,
            AddressPlan.defaults(),
            vertx,
            options().withUpstreams(List.of(upstream.nodeAddress())));
    dns.start().get();
  }

  static DnsOptions options() {
    return DnsOptions.defaults()
        .withPort(0)
        .withServeClusterIp(false)
        .withUpstreams(List.of())
        .withUpstreamTimeout(Duration.ofSeconds(2));
  }

  @AfterAll
  static void stop() {
    for (AutoCloseable closeable : new AutoCloseable[] {dns, upstream, store, upstreamStore}) {
      try {
        if (closeable != null) {
          closeable.close();
        }
      } catch (Exception e) {
        // Keep closing the rest.
      }
    }
    vertx.close();
  }

  /** One query and the answer CoreDNS gives. */
  record Case(
      String rule,
      String qname,
      int qtype,
      int rcode,
      List<String> answer,
      List<String> authority,
      List<String> additional) {

    Case ns(String... records) {
      return new Case(rule, qname, qtype, rcode, answer, List.of(records), additional);
    }

    Case extra(String... records) {
      return new Case(rule, qname, qtype, rcode, answer, authority, List.of(records));
    }

    @Override
    public String toString() {
      return rule + ": " + qname + " " + Type.string(qtype) + " -> " + Rcode.string(rcode);
    }
  }

  static Case c(String rule, String qname, int qtype, int rcode, String... answer) {
    return new Case(rule, qname, qtype, rcode, List.of(answer), List.of(), List.of());
  }

  static List<Case> cases() {
    int ok = Rcode.NOERROR;
    int nx = Rcode.NXDOMAIN;
    return List.of(
        // 2.2 Record for Schema Version
        c(
            "spec 2.2 dns-version TXT holds the schema version",
            "dns-version.cluster.local.",
            Type.TXT,
            ok,
            "dns-version.cluster.local. 28800 IN TXT 1.1.0"),
        // 2.3.1 A/AAAA for a ClusterIP Service
        c(
            "spec 2.3.1 A record of an IPv4 ClusterIP",
            "svc1.testns.svc.cluster.local.",
            Type.A,
            ok,
            "svc1.testns.svc.cluster.local. 5 IN A 10.0.0.1"),
        c(
            "spec 2.3.1 A record whether or not the Service has endpoints",
            "svcempty.testns.svc.cluster.local.",
            Type.A,
            ok,
            "svcempty.testns.svc.cluster.local. 5 IN A 10.0.0.1"),
        c(
            "spec 2.3.1 AAAA record of an IPv6 ClusterIP",
            "svc6.testns.svc.cluster.local.",
            Type.AAAA,
            ok,
            "svc6.testns.svc.cluster.local. 5 IN AAAA 1234:abcd:0:0:0:0:0:1"),
        c(
            "spec 2.3.1 dual-stack ClusterIPs: A for the IPv4 one",
            "svc-dual-stack.testns.svc.cluster.local.",
            Type.A,
            ok,
            "svc-dual-stack.testns.svc.cluster.local. 5 IN A 10.0.0.3"),
        c(
            "spec 2.3.1 dual-stack ClusterIPs: AAAA for the IPv6 one",
            "svc-dual-stack.testns.svc.cluster.local.",
            Type.AAAA,
            ok,
            "svc-dual-stack.testns.svc.cluster.local. 5 IN AAAA 10:0:0:0:0:0:0:3"),
        c(
                "CoreDNS: AAAA of an IPv4-only Service is NODATA, not NXDOMAIN",
                "svc1.testns.svc.cluster.local.",
                Type.AAAA,
                ok)
            .ns(SOA),
        // 2.3.2 SRV for named ports
        c(
                "spec 2.3.2 SRV of a named port points to the Service, A in additional",
                "_http._tcp.svc1.testns.svc.cluster.local.",
                Type.SRV,
                ok,
                "_http._tcp.svc1.testns.svc.cluster.local. 5 IN SRV 0 100 80 svc1.testns.svc.cluster.local.")
            .extra("svc1.testns.svc.cluster.local. 5 IN A 10.0.0.1"),
        c(
                "spec 2.3.2 SRV of an IPv6 Service, AAAA in additional",
                "_http._tcp.svc6.testns.svc.cluster.local.",
                Type.SRV,
                ok,
                "_http._tcp.svc6.testns.svc.cluster.local. 5 IN SRV 0 100 80 svc6.testns.svc.cluster.local.")
            .extra("svc6.testns.svc.cluster.local. 5 IN AAAA 1234:abcd:0:0:0:0:0:1"),
        c(
                "spec 2.3.2 SRV port and protocol match case-insensitively",
                "_HTTP._TCP.svc1.testns.svc.cluster.local.",
                Type.SRV,
                ok,
                "_http._tcp.svc1.testns.svc.cluster.local. 5 IN SRV 0 100 80 svc1.testns.svc.cluster.local.")
            .extra("svc1.testns.svc.cluster.local. 5 IN A 10.0.0.1"),
        c(
                "spec 2.3.2 unnamed ports have no _port._proto SRV record",
                "_http._tcp.unnamed.testns.svc.cluster.local.",
                Type.SRV,
                nx)
            .ns(SOA),
        c(
                "spec 2.3.2 a named port under another protocol has no SRV record",
                "_http._udp.svc1.testns.svc.cluster.local.",
                Type.SRV,
                nx)
            .ns(SOA),
        c(
                "CoreDNS: SRV of the bare Service name lists every port",
                "unnamed.testns.svc.cluster.local.",
                Type.SRV,
                ok,
                "unnamed.testns.svc.cluster.local. 5 IN SRV 0 100 8080 unnamed.testns.svc.cluster.local.")
            .extra("unnamed.testns.svc.cluster.local. 5 IN A 10.0.0.5"),
        c(
                "CoreDNS: SRV of a dual-stack Service weighs the two addresses",
                "svc-dual-stack.testns.svc.cluster.local.",
                Type.SRV,
                ok,
                "svc-dual-stack.testns.svc.cluster.local. 5 IN SRV 0 50 80 svc-dual-stack.testns.svc.cluster.local.")
            .extra(
                "svc-dual-stack.testns.svc.cluster.local. 5 IN A 10.0.0.3",
                "svc-dual-stack.testns.svc.cluster.local. 5 IN AAAA 10:0:0:0:0:0:0:3"),
        c(
            "CoreDNS: an A query on an SRV name answers the ClusterIP",
            "_http._tcp.svc1.testns.svc.cluster.local.",
            Type.A,
            ok,
            "_http._tcp.svc1.testns.svc.cluster.local. 5 IN A 10.0.0.1"),
        // 2.3.3 PTR for ClusterIPs
        c(
            "spec 2.3.3 PTR of an IPv4 ClusterIP",
            "1.0.0.10.in-addr.arpa.",
            Type.PTR,
            ok,
            "1.0.0.10.in-addr.arpa. 5 IN PTR svc1.testns.svc.cluster.local."),
        c(
            "spec 2.3.3 PTR of an IPv6 ClusterIP (ip6.arpa nibbles)",
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.c.b.a.4.3.2.1.ip6.arpa.",
            Type.PTR,
            ok,
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.c.b.a.4.3.2.1.ip6.arpa. 5 IN PTR"
                + " svc6.testns.svc.cluster.local."),
        // 2.4.1 headless A/AAAA
        c(
            "spec 2.4.1 headless A: one record per ready IPv4 endpoint",
            "hdls1.testns.svc.cluster.local.",
            Type.A,
            ok,
            "hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.2",
            "hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.3",
            "hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.4",
            "hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.5"),
        c(
            "spec 2.4.1 headless AAAA: one record per ready IPv6 endpoint",
            "hdls1.testns.svc.cluster.local.",
            Type.AAAA,
            ok,
            "hdls1.testns.svc.cluster.local. 5 IN AAAA 5678:abcd:0:0:0:0:0:1",
            "hdls1.testns.svc.cluster.local. 5 IN AAAA 5678:abcd:0:0:0:0:0:2"),
        c(
                "spec 2.4.1 headless without ready endpoints should be NXDOMAIN",
                "hdls-empty.testns.svc.cluster.local.",
                Type.A,
                nx)
            .ns(SOA),
        c(
            "spec 2.4.1 hostname record: every IP of the hostname",
            "dup-name.hdls1.testns.svc.cluster.local.",
            Type.A,
            ok,
            "dup-name.hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.4",
            "dup-name.hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.5"),
        c(
            "spec 2.1 hostname: a system-assigned identifier (CoreDNS: the dashed IP)",
            "172-0-0-2.hdls1.testns.svc.cluster.local.",
            Type.A,
            ok,
            "172-0-0-2.hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.2"),
        c(
            "spec 2.4.1 hostname AAAA (CoreDNS: IPv6 dashed, :: as --)",
            "5678-abcd--1.hdls1.testns.svc.cluster.local.",
            Type.AAAA,
            ok,
            "5678-abcd--1.hdls1.testns.svc.cluster.local. 5 IN AAAA 5678:abcd:0:0:0:0:0:1"),
        c(
                "spec 2.1 ready: a not-ready endpoint is not published",
                "not-ready.hdls1.testns.svc.cluster.local.",
                Type.A,
                nx)
            .ns(SOA),
        c(
            "spec 2.1 ready: publishNotReadyAddresses publishes not-ready endpoints",
            "hdls-pub.testns.svc.cluster.local.",
            Type.A,
            ok,
            "hdls-pub.testns.svc.cluster.local. 5 IN A 172.0.0.40"),
        c(
            "spec 2.1 ready: the tolerate-unready-endpoints annotation publishes them too",
            "hdls-tolerate.testns.svc.cluster.local.",
            Type.A,
            ok,
            "hdls-tolerate.testns.svc.cluster.local. 5 IN A 172.0.0.41"),
        c(
            "CoreDNS: a headless Service without ports still answers A",
            "hdlsprtls.testns.svc.cluster.local.",
            Type.A,
            ok,
            "hdlsprtls.testns.svc.cluster.local. 5 IN A 172.0.0.20"),
        c(
            "CoreDNS: an endpoint name of a ClusterIP Service answers the endpoint",
            "ep1a.svc1.testns.svc.cluster.local.",
            Type.A,
            ok,
            "ep1a.svc1.testns.svc.cluster.local. 5 IN A 172.0.0.1"),
        c(
                "CoreDNS: an unknown endpoint of a headless Service is NXDOMAIN",
                "bogusendpoint.hdls1.testns.svc.cluster.local.",
                Type.A,
                nx)
            .ns(SOA),
        // 2.4.2 SRV for headless Services
        c(
                "spec 2.4.2 headless SRV: one per ready endpoint hostname, addresses in additional",
                "_http._tcp.hdls1.testns.svc.cluster.local.",
                Type.SRV,
                ok,
                "_http._tcp.hdls1.testns.svc.cluster.local. 5 IN SRV 0 16 80 172-0-0-2.hdls1.testns.svc.cluster.local.",
                "_http._tcp.hdls1.testns.svc.cluster.local. 5 IN SRV 0 16 80 172-0-0-3.hdls1.testns.svc.cluster.local.",
                "_http._tcp.hdls1.testns.svc.cluster.local. 5 IN SRV 0 16 80 dup-name.hdls1.testns.svc.cluster.local.",
                "_http._tcp.hdls1.testns.svc.cluster.local. 5 IN SRV 0 16 80 5678-abcd--1.hdls1.testns.svc.cluster.local.",
                "_http._tcp.hdls1.testns.svc.cluster.local. 5 IN SRV 0 16 80 5678-abcd--2.hdls1.testns.svc.cluster.local.")
            .extra(
                "172-0-0-2.hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.2",
                "172-0-0-3.hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.3",
                "dup-name.hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.4",
                "dup-name.hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.5",
                "5678-abcd--1.hdls1.testns.svc.cluster.local. 5 IN AAAA 5678:abcd:0:0:0:0:0:1",
                "5678-abcd--2.hdls1.testns.svc.cluster.local. 5 IN AAAA 5678:abcd:0:0:0:0:0:2"),
        c(
                "spec 2.4.2 N ready endpoints x M named ports give N x M SRV records",
                "hdls-multi.testns.svc.cluster.local.",
                Type.SRV,
                ok,
                "hdls-multi.testns.svc.cluster.local. 5 IN SRV 0 25 80 a.hdls-multi.testns.svc.cluster.local.",
                "hdls-multi.testns.svc.cluster.local. 5 IN SRV 0 25 443 a.hdls-multi.testns.svc.cluster.local.",
                "hdls-multi.testns.svc.cluster.local. 5 IN SRV 0 25 80 b.hdls-multi.testns.svc.cluster.local.",
                "hdls-multi.testns.svc.cluster.local. 5 IN SRV 0 25 443 b.hdls-multi.testns.svc.cluster.local.")
            .extra(
                "a.hdls-multi.testns.svc.cluster.local. 5 IN A 172.0.1.1",
                "b.hdls-multi.testns.svc.cluster.local. 5 IN A 172.0.1.2"),
        c(
                "spec 2.4.2 SRV of one named port of a headless Service",
                "_https._tcp.hdls-multi.testns.svc.cluster.local.",
                Type.SRV,
                ok,
                "_https._tcp.hdls-multi.testns.svc.cluster.local. 5 IN SRV 0 50 443 a.hdls-multi.testns.svc.cluster.local.",
                "_https._tcp.hdls-multi.testns.svc.cluster.local. 5 IN SRV 0 50 443 b.hdls-multi.testns.svc.cluster.local.")
            .extra(
                "a.hdls-multi.testns.svc.cluster.local. 5 IN A 172.0.1.1",
                "b.hdls-multi.testns.svc.cluster.local. 5 IN A 172.0.1.2"),
        // 2.4.3 PTR for endpoints
        c(
            "spec 2.4.3 PTR of a ready endpoint with a hostname",
            "4.0.0.172.in-addr.arpa.",
            Type.PTR,
            ok,
            "4.0.0.172.in-addr.arpa. 5 IN PTR dup-name.hdls1.testns.svc.cluster.local."),
        c(
            "spec 2.4.3 PTR of an endpoint of a ClusterIP Service",
            "1.0.0.172.in-addr.arpa.",
            Type.PTR,
            ok,
            "1.0.0.172.in-addr.arpa. 5 IN PTR ep1a.svc1.testns.svc.cluster.local."),
        c(
            "spec 2.4.3 PTR of an IPv6 endpoint",
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.c.b.a.8.7.6.5.ip6.arpa.",
            Type.PTR,
            ok,
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.c.b.a.8.7.6.5.ip6.arpa. 5 IN PTR"
                + " 5678-abcd--1.hdls1.testns.svc.cluster.local."),
        c(
            "kubeadm fallthrough in-addr.arpa: an unknown IP goes upstream",
            "99.0.0.10.in-addr.arpa.",
            Type.PTR,
            Rcode.SERVFAIL),
        // 2.5 ExternalName
        c(
            "spec 2.5 ExternalName: a CNAME to the external name",
            "external.testns.svc.cluster.local.",
            Type.CNAME,
            ok,
            "external.testns.svc.cluster.local. 5 IN CNAME ext.interwebs.test."),
        c(
            "spec 2.5 ExternalName: A gets the CNAME and the target's A (resolved upstream)",
            "external.testns.svc.cluster.local.",
            Type.A,
            ok,
            "external.testns.svc.cluster.local. 5 IN CNAME ext.interwebs.test.",
            "ext.interwebs.test. 5 IN A 1.2.3.4"),
        c(
            "spec 2.5 ExternalName: AAAA gets the CNAME even when the target has no AAAA",
            "external.testns.svc.cluster.local.",
            Type.AAAA,
            ok,
            "external.testns.svc.cluster.local. 5 IN CNAME ext.interwebs.test."),
        c(
            "CoreDNS: an ExternalName naming a cluster Service is followed in the zone",
            "external-to-service.testns.svc.cluster.local.",
            Type.A,
            ok,
            "external-to-service.testns.svc.cluster.local. 5 IN CNAME svc1.testns.svc.cluster.local.",
            "svc1.testns.svc.cluster.local. 5 IN A 10.0.0.1"),
        c(
                "CoreDNS: no endpoint names under an ExternalName Service",
                "endpoint.external.testns.svc.cluster.local.",
                Type.CNAME,
                nx)
            .ns(SOA),
        c(
                "CoreDNS: no SRV records for an ExternalName Service",
                "_http._tcp.external.testns.svc.cluster.local.",
                Type.SRV,
                nx)
            .ns(SOA),
        // NXDOMAIN versus NODATA (CoreDNS handler_test.go)
        c("CoreDNS: a missing Service is NXDOMAIN", "svc0.testns.svc.cluster.local.", Type.A, nx)
            .ns(SOA),
        c(
                "CoreDNS: a Service in a missing namespace is NXDOMAIN",
                "svc0.svc-nons.svc.cluster.local.",
                Type.A,
                nx)
            .ns(SOA),
        c("CoreDNS: an existing namespace name is NODATA", "testns.svc.cluster.local.", Type.A, ok)
            .ns(SOA),
        c("CoreDNS: a missing namespace name is NXDOMAIN", "nons.svc.cluster.local.", Type.A, nx)
            .ns(SOA),
        c("CoreDNS: svc.<zone> is NODATA", "svc.cluster.local.", Type.A, ok).ns(SOA),
        c("CoreDNS: pod.<zone> is NODATA", "pod.cluster.local.", Type.A, ok).ns(SOA),
        c(
                "CoreDNS: a name too long for any record shape is NXDOMAIN",
                "a.b.c.svc1.testns.svc.cluster.local.",
                Type.A,
                nx)
            .ns(SOA),
        c(
                "CoreDNS: a name that is neither svc nor pod is NXDOMAIN",
                "foo.cluster.local.",
                Type.A,
                nx)
            .ns(SOA),
        c(
                "CoreDNS: TXT on a name with other records is NODATA",
                "svc1.testns.svc.cluster.local.",
                Type.TXT,
                ok)
            .ns(SOA),
        c(
                "CoreDNS: TXT on a missing name is NXDOMAIN",
                "svc0.svc-nons.svc.cluster.local.",
                Type.TXT,
                nx)
            .ns(SOA),
        c(
                "CoreDNS: another type on an existing name is NODATA",
                "svc1.testns.svc.cluster.local.",
                Type.HINFO,
                ok)
            .ns(SOA),
        c(
                "CoreDNS: another type on a missing name is NXDOMAIN",
                "svc0.testns.svc.cluster.local.",
                Type.MX,
                nx)
            .ns(SOA),
        c("CoreDNS: SOA below the apex is NODATA", "svc1.testns.svc.cluster.local.", Type.SOA, ok)
            .ns(SOA),
        c(
                "CoreDNS: CNAME of a ClusterIP Service is NODATA",
                "svc1.testns.svc.cluster.local.",
                Type.CNAME,
                ok)
            .ns(SOA),
        c(
                "CoreDNS: PTR of a forward name is NODATA",
                "svc1.testns.svc.cluster.local.",
                Type.PTR,
                ok)
            .ns(SOA),
        c("CoreDNS: NS below the apex, existing name, is NODATA", "svc.cluster.local.", Type.NS, ok)
            .ns(SOA),
        c(
                "CoreDNS: NS below the apex, missing name, is NXDOMAIN",
                "foo.svc.cluster.local.",
                Type.NS,
                nx)
            .ns(SOA),
        c("CoreDNS: zone transfers (IXFR) are refused", "cluster.local.", Type.IXFR, Rcode.REFUSED),
        // The apex (CoreDNS kubernetes_apex_test.go)
        c("CoreDNS apex: SOA", "cluster.local.", Type.SOA, ok, SOA),
        c(
                "CoreDNS apex: NS, its address in additional",
                "cluster.local.",
                Type.NS,
                ok,
                "cluster.local. 5 IN NS ns.dns.cluster.local.")
            .extra("ns.dns.cluster.local. 5 IN A 127.96.0.10"),
        c("CoreDNS apex: A is NODATA", "cluster.local.", Type.A, ok).ns(SOA),
        c("CoreDNS apex: SRV is NODATA", "cluster.local.", Type.SRV, ok).ns(SOA),
        c(
            "CoreDNS: ns.dns.<zone> answers the cluster DNS address",
            "ns.dns.cluster.local.",
            Type.A,
            ok,
            "ns.dns.cluster.local. 5 IN A 127.96.0.10"),
        // Pods, insecure (kubeadm's default; CoreDNS handler_pod_insecure_test.go)
        c(
            "pods insecure: a-b-c-d.ns.pod answers the IP",
            "10-240-0-1.podns.pod.cluster.local.",
            Type.A,
            ok,
            "10-240-0-1.podns.pod.cluster.local. 5 IN A 10.240.0.1"),
        c(
            "pods insecure: any IP, running or not",
            "172-0-0-2.podns.pod.cluster.local.",
            Type.A,
            ok,
            "172-0-0-2.podns.pod.cluster.local. 5 IN A 172.0.0.2"),
        c(
            "pods insecure: an IPv6 pod name (dashes for colons)",
            "fd00--1.podns.pod.cluster.local.",
            Type.AAAA,
            ok,
            "fd00--1.podns.pod.cluster.local. 5 IN AAAA fd00:0:0:0:0:0:0:1"),
        c(
                "pods insecure: a name that is no IP is NXDOMAIN",
                "blah.podns.pod.cluster.local.",
                Type.A,
                nx)
            .ns(SOA),
        c(
                "pods insecure: a missing namespace is NXDOMAIN",
                "10-240-0-1.pod-nons.pod.cluster.local.",
                Type.A,
                nx)
            .ns(SOA),
        c("pods insecure: the namespace name is NODATA", "podns.pod.cluster.local.", Type.A, ok)
            .ns(SOA),
        // Forwarding
        c(
            "forward: a name outside the cluster zones goes upstream",
            "ext.interwebs.test.",
            Type.A,
            ok,
            "ext.interwebs.test. 5 IN A 1.2.3.4"));
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
  void answersAsTheSpecificationAndCoreDns(String name, Case c, DnsClient client) throws Exception {
    Message answer = client.send(dns, DnsClient.query(c.qname(), c.qtype()));

    assertThat(Rcode.string(answer.getRcode())).isEqualTo(Rcode.string(c.rcode()));
    assertThat(DnsAnswers.answer(answer)).isEqualTo(DnsAnswers.normalize(c.answer()));
    assertThat(DnsAnswers.authority(answer)).isEqualTo(DnsAnswers.normalize(c.authority()));
    assertThat(DnsAnswers.additional(answer)).isEqualTo(DnsAnswers.normalize(c.additional()));
    if (c.rcode() != Rcode.SERVFAIL
        && c.rcode() != Rcode.REFUSED
        && !c.qname().endsWith(".test.")) {
      assertThat(answer.getHeader().getFlag(org.xbill.DNS.Flags.AA)).as("authoritative").isTrue();
    }
  }

  static List<String> lines(String... lines) {
    return Arrays.asList(lines);
  }
}
