package dev.kemu.api.registry;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * An IP prefix such as {@code 127.96.0.0/12} (IPv4 or IPv6), with the arithmetic allocators need:
 * the n-th address, whether an address is inside, how many addresses it holds. Parsing follows Go's
 * {@code net.ParseCIDR}: strict address literals (no leading zeros, no short IPv4 forms, no zones),
 * a decimal prefix length, host bits masked off; it prints as Go prints an {@code IPNet} ({@code
 * fd00::/64}, IPv6 compressed).
 *
 * @param base the first address of the prefix
 * @param prefixLength the prefix length
 */
public record Cidr(InetAddress base, int prefixLength) {

  public Cidr {
    int bits = base.getAddress().length * 8;
    if (prefixLength < 0 || prefixLength > bits) {
      throw new IllegalArgumentException("prefix length out of range: " + prefixLength);
    }
    BigInteger mask = BigInteger.ONE.shiftLeft(bits - prefixLength).subtract(BigInteger.ONE);
    BigInteger value = new BigInteger(1, base.getAddress()).andNot(mask);
    base = toAddress(value, base.getAddress().length);
  }

  /**
   * Parses {@code a.b.c.d/n} or an IPv6 prefix.
   *
   * @throws IllegalArgumentException {@code invalid CIDR address: <text>}, as Go's ParseCIDR
   */
  public static Cidr parse(String text) {
    int slash = text == null ? -1 : text.indexOf('/');
    if (slash < 0) {
      throw invalid(text);
    }
    InetAddress address = IpLiterals.parse(text.substring(0, slash));
    String length = text.substring(slash + 1);
    if (address == null || !length.matches("[0-9]{1,3}")) {
      throw invalid(text);
    }
    int prefix = Integer.parseInt(length);
    if (prefix > address.getAddress().length * 8) {
      throw invalid(text);
    }
    return new Cidr(address, prefix);
  }

  private static IllegalArgumentException invalid(String text) {
    return new IllegalArgumentException("invalid CIDR address: " + text);
  }

  /** Whether the prefix is IPv6. */
  public boolean isIpv6() {
    return base.getAddress().length == 16;
  }

  /** How many addresses the prefix holds. */
  public BigInteger size() {
    return BigInteger.ONE.shiftLeft(base.getAddress().length * 8 - prefixLength);
  }

  /** The address at an offset from the base ({@code 0} is the base itself). */
  public InetAddress address(long offset) {
    if (offset < 0 || BigInteger.valueOf(offset).compareTo(size()) >= 0) {
      throw new IllegalArgumentException(offset + " is outside " + this);
    }
    return toAddress(
        new BigInteger(1, base.getAddress()).add(BigInteger.valueOf(offset)),
        base.getAddress().length);
  }

  /**
   * The offset of an address from the base, or -1 if it is outside the prefix. Offsets past {@link
   * Long#MAX_VALUE} (possible in IPv6 prefixes shorter than /65) are reported as {@code
   * Long.MAX_VALUE}.
   */
  public long offsetOf(InetAddress address) {
    BigInteger offset = offset(address);
    if (offset == null) {
      return -1;
    }
    return offset.bitLength() > 63 ? Long.MAX_VALUE : offset.longValue();
  }

  private BigInteger offset(InetAddress address) {
    if (address == null || address.getAddress().length != base.getAddress().length) {
      return null;
    }
    BigInteger offset =
        new BigInteger(1, address.getAddress()).subtract(new BigInteger(1, base.getAddress()));
    if (offset.signum() < 0 || offset.compareTo(size()) >= 0) {
      return null;
    }
    return offset;
  }

  /** Whether an address is inside the prefix. */
  public boolean contains(InetAddress address) {
    return offset(address) != null;
  }

  /** Whether a textual address is inside the prefix (false if it is not an IP literal). */
  public boolean contains(String address) {
    InetAddress parsed = IpLiterals.parse(address);
    return parsed != null && contains(parsed);
  }

  private static InetAddress toAddress(BigInteger value, int length) {
    byte[] raw = value.toByteArray();
    byte[] bytes = new byte[length];
    int copy = Math.min(raw.length, length);
    System.arraycopy(raw, raw.length - copy, bytes, length - copy, copy);
    try {
      return InetAddress.getByAddress(bytes);
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public String toString() {
    return IpLiterals.format(base) + "/" + prefixLength;
  }
}
