package dev.kemu.proxy.service;

import dev.kemu.api.registry.Cidr;
import java.net.InetAddress;
import java.util.List;

/**
 * A set of IP prefixes matched on the connection path without allocation ({@link Cidr#contains}
 * uses BigInteger arithmetic, too slow for every accepted connection).
 */
final class CidrSet {
  private final byte[][] bases;
  private final int[] lengths;

  CidrSet(List<Cidr> cidrs) {
    bases = new byte[cidrs.size()][];
    lengths = new int[cidrs.size()];
    for (int i = 0; i < cidrs.size(); i++) {
      bases[i] = cidrs.get(i).base().getAddress();
      lengths[i] = cidrs.get(i).prefixLength();
    }
  }

  boolean isEmpty() {
    return bases.length == 0;
  }

  boolean contains(InetAddress address) {
    byte[] raw = address.getAddress();
    for (int i = 0; i < bases.length; i++) {
      if (matches(bases[i], lengths[i], raw)) {
        return true;
      }
    }
    return false;
  }

  private static boolean matches(byte[] base, int length, byte[] raw) {
    if (base.length != raw.length) {
      return false;
    }
    int full = length / 8;
    for (int i = 0; i < full; i++) {
      if (base[i] != raw[i]) {
        return false;
      }
    }
    int rest = length % 8;
    if (rest == 0) {
      return true;
    }
    int mask = (0xff << (8 - rest)) & 0xff;
    return (base[full] & mask) == (raw[full] & mask);
  }
}
