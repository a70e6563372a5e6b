package dev.kemu.emulator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kemu.api.registry.IpLiterals;
import dev.kemu.dns.DnsListener;
import dev.kemu.emulator.junit.EnableKemu;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * The cluster DNS inside a running kemu: a Service or endpoint change is answered as soon as {@code
 * Cluster.apply} returns (DESIGN: read-your-writes), on {@link Cluster#dnsAddress()} and on the
 * kube-dns ClusterIP where kemu could bind port 53.
 */
@EnableKemu
class ClusterDnsTest {

  private static Message ask(InetSocketAddress server, String name, int type) throws Exception {
    SimpleResolver resolver = new SimpleResolver(server);
    resolver.setTimeout(Duration.ofSeconds(10));
    return resolver.send(
        Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN)));
  }

  private static List<String> answers(Message message) {
    List<String> answers = new ArrayList<>();
    for (Record record : message.getSection(Section.ANSWER)) {
      answers.add(record.rdataToString());
    }
    return answers;
  }

  @Test
  void aServiceAndItsEndpointsAreAnsweredAsSoonAsApplyReturns(Cluster cluster) throws Exception {
    String ip = IpLiterals.format(cluster.addressPlan().serviceCidr().address(100));
    cluster.apply(new NamespaceBuilder().withNewMetadata().withName("dnsns").endMetadata().build());
    cluster.apply(service("api", ip));

    Message answer = ask(cluster.dnsAddress(), "api.dnsns.svc.cluster.local.", Type.A);
    assertThat(answers(answer)).containsExactly(ip);

    cluster.apply(headless("db"));
    assertThat(ask(cluster.dnsAddress(), "db.dnsns.svc.cluster.local.", Type.A).getRcode())
        .isEqualTo(Rcode.NXDOMAIN);
    cluster.apply(slice("db", "127.244.9.1"));
    assertThat(answers(ask(cluster.dnsAddress(), "db-0.db.dnsns.svc.cluster.local.", Type.A)))
        .containsExactly("127.244.9.1");
    cluster.apply(slice("db", "127.244.9.2"));
    assertThat(answers(ask(cluster.dnsAddress(), "db-0.db.dnsns.svc.cluster.local.", Type.A)))
        .containsExactly("127.244.9.2");

    cluster.delete(Service.class, "dnsns", "api");
    assertThat(ask(cluster.dnsAddress(), "api.dnsns.svc.cluster.local.", Type.A).getRcode())
        .isEqualTo(Rcode.NXDOMAIN);
  }

  @Test
  void theKubeDnsClusterIpAnswersWhereKemuCouldBindIt(Cluster cluster) throws Exception {
    List<DnsListener> listeners = cluster.dnsListeners();
    assertThat(listeners.get(0).address()).isEqualTo(cluster.dnsAddress());
    DnsListener clusterIp = listeners.get(1);
    assertThat(clusterIp.address().getAddress()).isEqualTo(cluster.addressPlan().dnsServiceIp());
    assertThat(clusterIp.address().getPort()).isEqualTo(53);
    if (clusterIp.bound()) {
      Message answer = ask(clusterIp.address(), "dns-version.cluster.local.", Type.TXT);
      assertThat(answers(answer)).containsExactly("1.1.0");
    } else {
      assertThat(clusterIp.error()).contains("Fix:");
    }
  }

  private static Service service(String name, String clusterIp) {
    return new ServiceBuilder()
        .withNewMetadata()
        .withNamespace("dnsns")
        .withName(name)
        .endMetadata()
        .withNewSpec()
        .withClusterIP(clusterIp)
        .addNewPort()
        .withName("http")
        .withPort(80)
        .endPort()
        .endSpec()
        .build();
  }

  private static Service headless(String name) {
    Service service = service(name, "None");
    service.getSpec().setSelector(java.util.Map.of("app", name));
    return service;
  }

  private static EndpointSlice slice(String service, String ip) {
    return new EndpointSliceBuilder()
        .withNewMetadata()
        .withNamespace("dnsns")
        .withName(service + "-manual")
        .addToLabels("kubernetes.io/service-name", service)
        .endMetadata()
        .withAddressType("IPv4")
        .addNewPort()
        .withName("pg")
        .withPort(5432)
        .withProtocol("TCP")
        .endPort()
        .addNewEndpoint()
        .withAddresses(ip)
        .withHostname("db-0")
        .withNewConditions()
        .withReady(true)
        .endConditions()
        .endEndpoint()
        .build();
  }
}
