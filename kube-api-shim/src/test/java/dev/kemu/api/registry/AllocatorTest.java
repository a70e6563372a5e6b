package dev.kemu.api.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

/**
 * {@link IpAllocator} and {@link NodePortAllocator}: lowest free from a cursor, a static band kept
 * for explicit requests ({@code calculateRangeOffset} of the ipallocator and portallocator), the
 * apiserver's error texts, and undo that leaves the allocator as it was.
 */
class AllocatorTest {

  private static InetAddress ip(String text) {
    return IpLiterals.parse(text);
  }

  @Test
  void staticBandsFollowTheApiserverFormulas() {
    // min(max(16, size/16), 256) for service ranges.
    assertThat(IpAllocator.staticBand(Cidr.parse("10.96.0.0/12"))).isEqualTo(256);
    assertThat(IpAllocator.staticBand(Cidr.parse("10.96.0.0/24"))).isEqualTo(16);
    assertThat(IpAllocator.staticBand(Cidr.parse("10.96.0.0/20"))).isEqualTo(256);
    assertThat(IpAllocator.staticBand(Cidr.parse("10.96.0.0/22"))).isEqualTo(64);
    assertThat(IpAllocator.staticBand(Cidr.parse("10.96.0.0/28"))).isZero();
    // min(max(16, size/32), 128) for NodePort ranges.
    assertThat(NodePortAllocator.staticBand(2768)).isEqualTo(86);
    assertThat(NodePortAllocator.staticBand(100)).isEqualTo(16);
    assertThat(NodePortAllocator.staticBand(10000)).isEqualTo(128);
    assertThat(NodePortAllocator.staticBand(16)).isZero();
  }

  @Test
  void ipAllocatorFallsBackToTheStaticBandWhenFull() {
    IpAllocator allocator = new IpAllocator(Cidr.parse("10.0.0.0/28"), 4);
    // .0 is the network, .15 the broadcast; .1-.4 are kept back.
    for (int i = 5; i <= 14; i++) {
      assertThat(allocator.allocateNext()).isEqualTo(ip("10.0.0." + i));
    }
    assertThat(allocator.allocateNext()).isEqualTo(ip("10.0.0.1"));
    allocator.allocate(ip("10.0.0.2"));
    allocator.allocate(ip("10.0.0.3"));
    allocator.allocate(ip("10.0.0.4"));
    assertThatThrownBy(allocator::allocateNext)
        .isInstanceOf(RangeFullException.class)
        .hasMessage("range is full");
  }

  @Test
  void ipAllocatorErrorsReadAsTheApiserver() {
    IpAllocator allocator = new IpAllocator(Cidr.parse("10.96.0.0/12"), 256);
    assertThatThrownBy(() -> allocator.allocate(ip("10.0.0.5")))
        .isInstanceOf(NotInRangeException.class)
        .hasMessage(
            "the provided IP (10.0.0.5) is not in the valid range. The range of valid IPs is"
                + " 10.96.0.0/12");
    allocator.allocate(ip("10.96.0.10"));
    assertThatThrownBy(() -> allocator.allocate(ip("10.96.0.10")))
        .isInstanceOf(AlreadyAllocatedException.class)
        .hasMessage("provided IP is already allocated");
    assertThatThrownBy(() -> allocator.allocate(ip("10.96.0.0")))
        .isInstanceOf(NotInRangeException.class);
  }

  @Test
  void undoRewindsTheCursorButReleaseDoesNot() {
    IpAllocator allocator = new IpAllocator(Cidr.parse("10.96.0.0/24"), 16);
    InetAddress a = allocator.allocateNext();
    InetAddress b = allocator.allocateNext();
    assertThat(b).isEqualTo(ip("10.96.0.18"));
    allocator.undo(b);
    assertThat(allocator.allocateNext()).isEqualTo(b);
    // A release (a delete) does not hand the address out again at once.
    allocator.release(a);
    assertThat(allocator.allocateNext()).isEqualTo(ip("10.96.0.19"));
    assertThat(allocator.allocated()).isEqualTo(2);
  }

  @Test
  void nodePortsAreLowestFreeAboveTheStaticBand() {
    NodePortAllocator ports = new NodePortAllocator(30000, 32767);
    assertThat(ports.range()).isEqualTo("30000-32767");
    assertThat(ports.allocateNext()).isEqualTo(30086);
    assertThat(ports.allocateNext()).isEqualTo(30087);
    ports.allocate(30000);
    assertThat(ports.has(30000)).isTrue();
    assertThatThrownBy(() -> ports.allocate(30000))
        .isInstanceOf(AlreadyAllocatedException.class)
        .hasMessage("provided port is already allocated");
    assertThatThrownBy(() -> ports.allocate(80))
        .isInstanceOf(NotInRangeException.class)
        .hasMessage(
            "provided port is not in the valid range. The range of valid ports is 30000-32767");
    ports.undo(30087);
    assertThat(ports.allocateNext()).isEqualTo(30087);
    assertThat(ports.allocated()).isEqualTo(3);
  }

  @Test
  void smallNodePortRangeFillsUpAndReportsIt() {
    NodePortAllocator ports = new NodePortAllocator(30000, 30002);
    assertThat(ports.allocateNext()).isEqualTo(30000);
    assertThat(ports.allocateNext()).isEqualTo(30001);
    assertThat(ports.allocateNext()).isEqualTo(30002);
    assertThatThrownBy(ports::allocateNext)
        .isInstanceOf(RangeFullException.class)
        .hasMessage("range is full");
    ports.release(30001);
    assertThat(ports.allocateNext()).isEqualTo(30001);
  }
}
