package dev.kemu.dns;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kemu.api.registry.AddressPlan;
import org.junit.jupiter.api.Test;

/**
 * The resolv.conf of a {@code dnsPolicy: ClusterFirst} pod ("DNS for Services and Pods": the
 * namespace's search path, then the cluster's, {@code options ndots:5}).
 */
class ResolvConfTest {

  @Test
  void aPodGetsItsNamespaceSearchPathTheClusterDnsAndNdots5() {
    assertThat(ResolvConf.render(AddressPlan.defaults(), "shop", "127.96.0.10"))
        .isEqualTo(
            "search shop.svc.cluster.local svc.cluster.local cluster.local\n"
                + "nameserver 127.96.0.10\n"
                + "options ndots:5\n");
  }

  @Test
  void theClusterDomainIsThePlans() {
    assertThat(
            ResolvConf.render(
                AddressPlan.defaults().withClusterDomain("corp.example"), "default", "10.96.0.10"))
        .startsWith("search default.svc.corp.example svc.corp.example corp.example\n");
  }
}
