package dev.kemu.api.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The ipallocator range rules, with kemu's deterministic order. */
class IpAllocatorTest {

  private static InetAddress ip(String text) {
    return IpLiterals.parse(text);
  }

  private static List<String> drain(IpAllocator allocator) {
    List<String> given = new ArrayList<>();
    while (true) {
      try {
        given.add(IpLiterals.format(allocator.allocateNext()));
      } catch (RangeFullException e) {
        return given;
      }
    }
  }

  @Test
  void ipv4ExcludesNetworkAndBroadcast() {
    IpAllocator allocator = new IpAllocator(Cidr.parse("10.0.0.0/29"), 0);
    assertThat(drain(allocator))
        .containsExactly("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6");
    assertThatThrownBy(allocator::allocateNext)
        .isInstanceOf(RangeFullException.class)
        .hasMessage("range is full");
  }

  @Test
  void ipv6ExcludesOnlyTheNetworkAddress() {
    IpAllocator allocator = new IpAllocator(Cidr.parse("fd00::/126"), 0);
    assertThat(drain(allocator)).containsExactly("fd00::1", "fd00::2", "fd00::3");
  }

  @ParameterizedTest(name = "allocate {0} in 10.0.0.0/29 is not in range")
  @CsvSource({"10.0.0.0", "10.0.0.7", "10.0.0.8", "9.255.255.255", "fd00::1"})
  void networkBroadcastAndOutsideAreNotInRange(String address) {
    IpAllocator allocator = new IpAllocator(Cidr.parse("10.0.0.0/29"), 0);
    assertThatThrownBy(() -> allocator.allocate(ip(address)))
        .isInstanceOf(NotInRangeException.class)
        .hasMessage(
            "the provided IP ("
                + IpLiterals.format(ip(address))
                + ") is not in the valid range. The range of valid IPs is 10.0.0.0/29");
  }

  @Test
  void specificAllocationAndDoubleAllocation() {
    IpAllocator allocator = new IpAllocator(Cidr.parse("127.96.0.0/12"), 10);
    allocator.allocate(ip("127.96.0.1"));
    allocator.allocate(ip("127.96.0.10"));
    assertThat(allocator.has(ip("127.96.0.10"))).isTrue();
    assertThatThrownBy(() -> allocator.allocate(ip("127.96.0.10")))
        .isInstanceOf(AlreadyAllocatedException.class)
        .hasMessage("provided IP is already allocated");
    assertThat(IpLiterals.format(allocator.allocateNext()))
        .as("the dynamic range starts after the reserved band")
        .isEqualTo("127.96.0.11");
    assertThat(allocator.allocated()).isEqualTo(3);
  }

  @Test
  void deterministicOrderWithWrapAroundAndNoImmediateReuse() {
    IpAllocator allocator = new IpAllocator(Cidr.parse("10.0.0.0/29"), 0);
    assertThat(IpLiterals.format(allocator.allocateNext())).isEqualTo("10.0.0.1");
    assertThat(IpLiterals.format(allocator.allocateNext())).isEqualTo("10.0.0.2");
    allocator.release(ip("10.0.0.1"));
    assertThat(IpLiterals.format(allocator.allocateNext()))
        .as("a released address is not reused at once")
        .isEqualTo("10.0.0.3");
    assertThat(drain(allocator)).containsExactly("10.0.0.4", "10.0.0.5", "10.0.0.6", "10.0.0.1");
    allocator.release(ip("10.0.0.4"));
    assertThat(IpLiterals.format(allocator.allocateNext()))
        .as("wraps around")
        .isEqualTo("10.0.0.4");
    IpAllocator again = new IpAllocator(Cidr.parse("10.0.0.0/29"), 0);
    assertThat(drain(again))
        .as("same writes, same addresses")
        .containsExactly("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6");
  }

  @Test
  void reservedBandIsUsedOnlyOnceTheRestIsFull() {
    IpAllocator allocator = new IpAllocator(Cidr.parse("10.0.0.0/29"), 3);
    assertThat(drain(allocator))
        .containsExactly("10.0.0.4", "10.0.0.5", "10.0.0.6", "10.0.0.1", "10.0.0.2", "10.0.0.3");
  }

  @ParameterizedTest(name = "{0} has no address to give")
  @CsvSource({"10.0.0.1/32", "10.0.0.0/31", "fd00::1/128"})
  void tinyRangesAreFull(String cidr) {
    assertThatThrownBy(() -> new IpAllocator(Cidr.parse(cidr), 0).allocateNext())
        .isInstanceOf(RangeFullException.class);
  }

  @Test
  void releaseOfUnknownOrOutsideAddressesDoesNothing() {
    IpAllocator allocator = new IpAllocator(Cidr.parse("10.0.0.0/29"), 0);
    allocator.release(ip("10.0.0.3"));
    allocator.release(ip("192.168.0.1"));
    allocator.release(ip("10.0.0.0"));
    assertThat(allocator.allocated()).isZero();
    assertThat(allocator.has(ip("192.168.0.1"))).isFalse();
  }

  @Test
  void largeIpv6RangesWork() {
    IpAllocator allocator = new IpAllocator(Cidr.parse("fd00::/64"), 0);
    assertThat(IpLiterals.format(allocator.allocateNext())).isEqualTo("fd00::1");
    assertThatThrownBy(() -> allocator.allocate(ip("fd00::ffff:ffff:ffff:ffff")))
        .isInstanceOf(NotInRangeException.class);
  }

  @Test
  void portMessagesForPortValues() {
    assertThat(new AlreadyAllocatedException("30080").getMessage())
        .isEqualTo("provided port is already allocated");
    assertThat(new NotInRangeException("80", "30000-32767").getMessage())
        .isEqualTo(
            "provided port is not in the valid range. The range of valid ports is 30000-32767");
  }

  @Test
  void threadSafe() throws Exception {
    IpAllocator allocator = new IpAllocator(Cidr.parse("10.0.0.0/20"), 0);
    Set<String> given = ConcurrentHashMap.newKeySet();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        futures.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < 1000; i++) {
                    assertThat(given.add(IpLiterals.format(allocator.allocateNext()))).isTrue();
                  }
                  return null;
                }));
      }
      for (Future<?> f : futures) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(given).hasSize(4000);
    assertThat(new HashSet<>(given)).hasSize(allocator.allocated());
  }
}
