package dev.kemu.dns;

import static dev.kemu.dns.DnsObjects.namespace;
import static dev.kemu.dns.DnsObjects.pod;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kemu.api.registry.AddressPlan;
import dev.kemu.api.store.DeleteOptions;
import dev.kemu.api.store.ResourceStore;
import dev.kemu.dns.cluster.PodsMode;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
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
 * Pod records in CoreDNS's three {@code pods} modes (plugin/kubernetes README,
 * handler_pod_*_test.go): {@code disabled} answers none, {@code insecure} any well-formed name in
 * an existing namespace, {@code verified} only the IPs of running pods of that namespace.
 */
class PodsModeTest {
  private static final String SOA =
      "cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. SERIAL 7200 1800 86400 5";

  private static Vertx vertx;
  private static ResourceStore store;
  private static ClusterDns verified;
  private static ClusterDns disabled;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    store = new ResourceStore();
    store.create(namespace("podns"));
    store.create(namespace("other"));
    running("podns", "web", "10.240.0.1");
    running("podns", "web6", "fd00::10");
    running("podns", "leaving", "10.240.0.2");
    // A terminating pod (graceful deletion of a pod bound to a node) is left out, as CoreDNS does.
    store.modify(
        Pod.class,
        store.keyOf(pod("podns", "leaving")),
        p -> {
          p.getSpec().setNodeName("kemu-node");
          return p;
        });
    store.delete(store.keyOf(pod("podns", "leaving")), DeleteOptions.DEFAULT);
    verified =
        new ClusterDns(
            store,
            AddressPlan.defaults(),
            vertx,
            ClusterZoneSpecTest.options().withPods(PodsMode.VERIFIED));
    verified.start().get();
    disabled =
        new ClusterDns(
            store,
            AddressPlan.defaults(),
            vertx,
            ClusterZoneSpecTest.options().withPods(PodsMode.DISABLED));
    disabled.start().get();
  }

  private static void running(String namespace, String name, String ip) {
    Pod pod = store.create(pod(namespace, name));
    store.modifyStatus(
        Pod.class,
        store.keyOf(pod),
        p -> {
          PodStatus status = new PodStatus();
          status.setPhase("Running");
          status.setPodIP(ip);
          p.setStatus(status);
          return p;
        });
  }

  @AfterAll
  static void stop() {
    verified.close();
    disabled.close();
    store.close();
    vertx.close();
  }

  record Case(
      String rule,
      ClusterDnsRef server,
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

  /** Which server of the class a case asks. */
  enum ClusterDnsRef {
    VERIFIED,
    DISABLED;

    ClusterDns get() {
      return this == VERIFIED ? verified : disabled;
    }
  }

  static List<Case> cases() {
    return List.of(
        new Case(
            "pods verified: a running pod's IP in its namespace",
            ClusterDnsRef.VERIFIED,
            "10-240-0-1.podns.pod.cluster.local.",
            Type.A,
            Rcode.NOERROR,
            List.of("10-240-0-1.podns.pod.cluster.local. 5 IN A 10.240.0.1"),
            List.of()),
        new Case(
            "pods verified: an IPv6 pod",
            ClusterDnsRef.VERIFIED,
            "fd00--10.podns.pod.cluster.local.",
            Type.AAAA,
            Rcode.NOERROR,
            List.of("fd00--10.podns.pod.cluster.local. 5 IN AAAA fd00:0:0:0:0:0:0:10"),
            List.of()),
        new Case(
            "pods verified: an IP no pod has is NXDOMAIN",
            ClusterDnsRef.VERIFIED,
            "172-0-0-2.podns.pod.cluster.local.",
            Type.A,
            Rcode.NXDOMAIN,
            List.of(),
            List.of(SOA)),
        new Case(
            "pods verified: the pod's IP in another namespace is NXDOMAIN",
            ClusterDnsRef.VERIFIED,
            "10-240-0-1.other.pod.cluster.local.",
            Type.A,
            Rcode.NXDOMAIN,
            List.of(),
            List.of(SOA)),
        new Case(
            "pods verified: a terminating pod is left out",
            ClusterDnsRef.VERIFIED,
            "10-240-0-2.podns.pod.cluster.local.",
            Type.A,
            Rcode.NXDOMAIN,
            List.of(),
            List.of(SOA)),
        new Case(
            "pods verified: the namespace name is NODATA",
            ClusterDnsRef.VERIFIED,
            "podns.pod.cluster.local.",
            Type.A,
            Rcode.NOERROR,
            List.of(),
            List.of(SOA)),
        new Case(
            "pods verified: a missing namespace is NXDOMAIN",
            ClusterDnsRef.VERIFIED,
            "pod-nons.pod.cluster.local.",
            Type.A,
            Rcode.NXDOMAIN,
            List.of(),
            List.of(SOA)),
        new Case(
            "pods disabled: a running pod's name is NXDOMAIN",
            ClusterDnsRef.DISABLED,
            "10-240-0-1.podns.pod.cluster.local.",
            Type.A,
            Rcode.NXDOMAIN,
            List.of(),
            List.of(SOA)),
        new Case(
            "pods disabled: any pod name is NXDOMAIN",
            ClusterDnsRef.DISABLED,
            "172-0-0-2.podns.pod.cluster.local.",
            Type.A,
            Rcode.NXDOMAIN,
            List.of(),
            List.of(SOA)));
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
  void answersPodNamesByMode(String name, Case c, DnsClient client) throws Exception {
    Message answer = client.send(c.server().get(), DnsClient.query(c.qname(), c.qtype()));

    assertThat(Rcode.string(answer.getRcode())).isEqualTo(Rcode.string(c.rcode()));
    assertThat(DnsAnswers.answer(answer)).isEqualTo(DnsAnswers.normalize(c.answer()));
    assertThat(DnsAnswers.authority(answer)).isEqualTo(DnsAnswers.normalize(c.authority()));
  }
}
