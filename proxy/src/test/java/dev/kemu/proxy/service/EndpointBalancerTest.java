package dev.kemu.proxy.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kemu.api.registry.IpLiterals;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Round robin and ClientIP affinity (the userspace proxier's roundrobin.go), with a fake clock. */
class EndpointBalancerTest {
  private static final InetAddress CLIENT = IpLiterals.parse("10.244.0.9");
  private final FakeClock clock = new FakeClock();

  private static EndpointInfo endpoint(String ip) {
    return new EndpointInfo(new InetSocketAddress(ip, 80), true, true, false, true, null);
  }

  private final List<EndpointInfo> three =
      List.of(endpoint("10.0.0.1"), endpoint("10.0.0.2"), endpoint("10.0.0.3"));

  @Test
  void roundRobinVisitsEveryEndpointInTurn() {
    var balancer = new EndpointBalancer(three, new AtomicInteger(), null, 0);

    assertThat(List.of(next(balancer), next(balancer), next(balancer), next(balancer)))
        .containsExactly("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.1");
  }

  @Test
  void aNewEndpointListKeepsTheRotationGoing() {
    AtomicInteger position = new AtomicInteger();
    var before = new EndpointBalancer(three, position, null, 0);
    next(before);
    var after = new EndpointBalancer(three, position, null, 0);

    assertThat(next(after)).isEqualTo("10.0.0.2");
  }

  @Test
  void affinityHoldsWhileFewerThanTimeoutSecondsPassSinceLastUse() {
    var balancer =
        new EndpointBalancer(three, new AtomicInteger(), new ClientIpAffinity(clock), 10);
    String first = next(balancer);

    clock.advance(Duration.ofMillis(9_999));
    assertThat(next(balancer)).isEqualTo(first);
    clock.advance(Duration.ofMillis(9_999));
    assertThat(next(balancer)).isEqualTo(first);
    clock.advance(Duration.ofSeconds(10));
    assertThat(next(balancer)).isNotEqualTo(first);
  }

  @Test
  void resetAffinityAfterAFailedDialMovesTheClient() {
    var balancer =
        new EndpointBalancer(three, new AtomicInteger(), new ClientIpAffinity(clock), 10);
    String first = next(balancer);

    String moved = balancer.next(CLIENT, true).address().getHostAddress();

    assertThat(moved).isNotEqualTo(first);
    assertThat(next(balancer)).isEqualTo(moved);
  }

  @Test
  void affinityToAnEndpointThatLeftIsReplaced() {
    ClientIpAffinity affinity = new ClientIpAffinity(clock);
    AtomicInteger position = new AtomicInteger();
    var before = new EndpointBalancer(three, position, affinity, 10);
    assertThat(next(before)).isEqualTo("10.0.0.1");

    var after = new EndpointBalancer(three.subList(1, 3), position, affinity, 10);

    assertThat(next(after)).isNotEqualTo("10.0.0.1");
  }

  @Test
  void expiredRecordsAreCleanedUp() {
    ClientIpAffinity affinity = new ClientIpAffinity(clock);
    var balancer = new EndpointBalancer(three, new AtomicInteger(), affinity, 10);
    next(balancer);
    clock.advance(Duration.ofSeconds(10));

    balancer.cleanupAffinity();

    assertThat(affinity.size()).isZero();
  }

  private static String next(EndpointBalancer balancer) {
    return balancer.next(CLIENT, false).address().getHostAddress();
  }
}
