package dev.kemu.api.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Prefixes parsed as Go's net.ParseCIDR and printed as IPNet.String. */
class CidrTest {

  @ParameterizedTest(name = "ParseCIDR({0}) is {1}")
  @CsvSource({
    "127.96.0.0/12,127.96.0.0/12",
    "10.1.2.3/8,10.0.0.0/8",
    "0.0.0.0/0,0.0.0.0/0",
    "fd00::/64,fd00::/64",
    "FD00:0:0:0:0:0:0:1/120,fd00::/120",
    "2001:db8::1/128,2001:db8::1/128"
  })
  void parsesMasksAndPrints(String text, String printed) {
    assertThat(Cidr.parse(text)).hasToString(printed);
  }

  @ParameterizedTest(name = "ParseCIDR rejects {0}")
  @ValueSource(
      strings = {
        "127.96.0.0",
        "127.96.0.0/33",
        "fd00::/129",
        "10.0.0/8",
        "010.0.0.0/8",
        "10.0.0.0/+8",
        "10.0.0.0/-1",
        "host/8",
        "10.0.0.0/"
      })
  void rejects(String text) {
    assertThatThrownBy(() -> Cidr.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("invalid CIDR address: " + text);
  }

  @Test
  void arithmeticIpv4() {
    Cidr cidr = Cidr.parse("127.96.0.0/12");
    assertThat(cidr.size()).isEqualTo(BigInteger.valueOf(1 << 20));
    assertThat(IpLiterals.format(cidr.address(10))).isEqualTo("127.96.0.10");
    assertThat(IpLiterals.format(cidr.address(256))).isEqualTo("127.96.1.0");
    assertThat(cidr.offsetOf(IpLiterals.parse("127.111.255.255"))).isEqualTo((1 << 20) - 1);
    assertThat(cidr.contains("127.112.0.0")).isFalse();
    assertThat(cidr.contains("127.95.255.255")).isFalse();
    assertThat(cidr.contains("fd00::1")).isFalse();
    assertThat(cidr.contains("not-an-ip")).isFalse();
    assertThatThrownBy(() -> cidr.address(1 << 20)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void arithmeticIpv6BeyondALong() {
    Cidr cidr = Cidr.parse("fd00::/64");
    assertThat(cidr.isIpv6()).isTrue();
    assertThat(cidr.contains("fd00::ffff:ffff:ffff:ffff")).isTrue();
    assertThat(cidr.offsetOf(IpLiterals.parse("fd00::ffff:ffff:ffff:ffff")))
        .isEqualTo(Long.MAX_VALUE);
    assertThat(cidr.offsetOf(IpLiterals.parse("fd00:0:0:1::"))).isEqualTo(-1);
    assertThat(IpLiterals.format(cidr.address(255))).isEqualTo("fd00::ff");
  }
}
