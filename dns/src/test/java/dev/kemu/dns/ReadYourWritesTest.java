package dev.kemu.dns;

import static dev.kemu.dns.DnsObjects.endpoint;
import static dev.kemu.dns.DnsObjects.headless;
import static dev.kemu.dns.DnsObjects.namespace;
import static dev.kemu.dns.DnsObjects.port;
import static dev.kemu.dns.DnsObjects.service;
import static dev.kemu.dns.DnsObjects.slice;
import static dev.kemu.dns.DnsObjects.slicePort;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kemu.api.model.ResourceKey;
import dev.kemu.api.model.ResourceTypes;
import dev.kemu.api.registry.AddressPlan;
import dev.kemu.api.store.ResourceStore;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.vertx.core.Vertx;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/**
 * DESIGN "read-your-writes": a write is answered by DNS as soon as the DNS informer has applied it
 * (what {@code Cluster.apply} waits for), with no polling: the sync swaps the index before it
 * returns.
 */
class ReadYourWritesTest {
  private Vertx vertx;
  private ResourceStore store;
  private ClusterDns dns;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    store = new ResourceStore();
    store.create(namespace("shop"));
    dns = new ClusterDns(store, AddressPlan.defaults(), vertx, ClusterZoneSpecTest.options());
    dns.start().get();
  }

  @AfterEach
  void stop() {
    dns.close();
    store.close();
    vertx.close();
  }

  /** Waits as Cluster.apply does: until the DNS reader has applied the store's last write. */
  private void applied() throws Exception {
    dns.whenApplied(store.resourceVersion()).get();
  }

  private Message ask(String name, int type) throws Exception {
    return DnsClient.UDP.send(dns, DnsClient.query(name, type));
  }

  @Test
  void aServiceIsAnsweredChangedAndGoneAsSoonAsTheSyncReturns() throws Exception {
    Service cart =
        store.create(service("shop", "cart", List.of("127.96.5.1"), port("http", "TCP", 80)));
    applied();
    assertThat(DnsAnswers.answer(ask("cart.shop.svc.cluster.local.", Type.A)))
        .containsExactly("cart.shop.svc.cluster.local. 5 in a 127.96.5.1");
    assertThat(DnsAnswers.answer(ask("1.5.96.127.in-addr.arpa.", Type.PTR)))
        .containsExactly("1.5.96.127.in-addr.arpa. 5 in ptr cart.shop.svc.cluster.local.");

    cart.getMetadata().setResourceVersion(null);
    cart.getSpec().setClusterIP("127.96.5.2");
    cart.getSpec().setClusterIPs(List.of("127.96.5.2"));
    store.update(cart);
    applied();
    assertThat(DnsAnswers.answer(ask("cart.shop.svc.cluster.local.", Type.A)))
        .containsExactly("cart.shop.svc.cluster.local. 5 in a 127.96.5.2");
    assertThat(ask("1.5.96.127.in-addr.arpa.", Type.PTR).getRcode())
        .as("the old ClusterIP no longer reverses (falls through; no upstream)")
        .isEqualTo(Rcode.SERVFAIL);

    store.delete(store.keyOf(cart));
    applied();
    assertThat(ask("cart.shop.svc.cluster.local.", Type.A).getRcode()).isEqualTo(Rcode.NXDOMAIN);
  }

  @Test
  void endpointsAreAnsweredAsTheyBecomeReadyAndGoAway() throws Exception {
    store.create(headless("shop", "db"));
    applied();
    assertThat(ask("db.shop.svc.cluster.local.", Type.A).getRcode())
        .as("spec 2.4.1: no ready endpoints yet")
        .isEqualTo(Rcode.NXDOMAIN);

    EndpointSlice slice =
        store.create(
            slice(
                "shop",
                "db",
                "db-abcde",
                List.of(slicePort("pg", "TCP", 5432)),
                endpoint("127.244.0.7", "db-0", false)));
    applied();
    assertThat(ask("db-0.db.shop.svc.cluster.local.", Type.A).getRcode()).isEqualTo(Rcode.NXDOMAIN);

    slice.getEndpoints().get(0).getConditions().setReady(true);
    slice.getMetadata().setResourceVersion(null);
    store.update(slice);
    applied();
    assertThat(DnsAnswers.answer(ask("db-0.db.shop.svc.cluster.local.", Type.A)))
        .containsExactly("db-0.db.shop.svc.cluster.local. 5 in a 127.244.0.7");
    assertThat(DnsAnswers.answer(ask("_pg._tcp.db.shop.svc.cluster.local.", Type.SRV)))
        .containsExactly(
            "_pg._tcp.db.shop.svc.cluster.local. 5 in srv 0 100 5432 db-0.db.shop.svc.cluster.local.");

    store.delete(store.keyOf(slice));
    applied();
    assertThat(ask("db-0.db.shop.svc.cluster.local.", Type.A).getRcode()).isEqualTo(Rcode.NXDOMAIN);
  }

  @Test
  void aBurstOfWritesIsAnsweredInFull() throws Exception {
    for (int i = 0; i < 200; i++) {
      store.create(
          service("shop", "svc-" + i, List.of("127.96.6." + (i + 1)), port("http", "TCP", 80)));
    }
    applied();
    for (int i = 0; i < 200; i += 37) {
      assertThat(DnsAnswers.answer(ask("svc-" + i + ".shop.svc.cluster.local.", Type.A)))
          .containsExactly("svc-" + i + ".shop.svc.cluster.local. 5 in a 127.96.6." + (i + 1));
    }
  }

  @Test
  void namespacesComeAndGo() throws Exception {
    assertThat(ask("team.svc.cluster.local.", Type.A).getRcode()).isEqualTo(Rcode.NXDOMAIN);

    store.create(namespace("team"));
    applied();
    assertThat(ask("team.svc.cluster.local.", Type.A).getRcode())
        .as("CoreDNS: an existing namespace's name is NODATA")
        .isEqualTo(Rcode.NOERROR);

    store.delete(new ResourceKey(ResourceTypes.NAMESPACE, "", "team"));
    applied();
    assertThat(ask("team.svc.cluster.local.", Type.A).getRcode())
        .as("CoreDNS namespaceExposed: the namespace must exist")
        .isEqualTo(Rcode.NXDOMAIN);
  }
}
