package dev.kemu.api.registry;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * Parses and prints IP literals the way Go's {@code net} package does, without ever resolving a
 * host name: {@code ParseIP} accepts dotted-quad IPv4 without leading zeros and IPv6 (with an
 * optional embedded IPv4 tail), nothing else; {@code IP.String} prints IPv6 in RFC 5952 form (lower
 * case, no leading zeros, the first longest run of two or more zero groups as {@code ::}).
 */
public final class IpLiterals {
  private static final Pattern IPV4 =
      Pattern.compile(
          "((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)");
  private static final Pattern IPV6_CHARS = Pattern.compile("[0-9a-fA-F:.]+");

  private IpLiterals() {}

  /** The address of an IPv4 or IPv6 literal, or null if the text is not one. */
  public static InetAddress parse(String text) {
    if (text == null || text.isEmpty()) {
      return null;
    }
    boolean v4 = IPV4.matcher(text).matches();
    if (!v4) {
      if (!text.contains(":") || !IPV6_CHARS.matcher(text).matches()) {
        return null;
      }
      int lastColon = text.lastIndexOf(':');
      String tail = text.substring(lastColon + 1);
      if (tail.contains(".") && !IPV4.matcher(tail).matches()) {
        return null;
      }
    }
    try {
      return InetAddress.getByName(text);
    } catch (UnknownHostException e) {
      return null;
    }
  }

  /** The canonical text of an address (IPv6 compressed as Go prints it). */
  public static String format(InetAddress address) {
    if (address instanceof Inet6Address v6) {
      byte[] bytes = v6.getAddress();
      int[] groups = new int[8];
      for (int i = 0; i < 8; i++) {
        groups[i] = ((bytes[2 * i] & 0xff) << 8) | (bytes[2 * i + 1] & 0xff);
      }
      return compress(groups);
    }
    return address.getHostAddress();
  }

  private static String compress(int[] groups) {
    int bestStart = -1;
    int bestLength = 0;
    for (int i = 0; i < groups.length; ) {
      if (groups[i] == 0) {
        int j = i;
        while (j < groups.length && groups[j] == 0) {
          j++;
        }
        if (j - i > bestLength) {
          bestStart = i;
          bestLength = j - i;
        }
        i = j;
      } else {
        i++;
      }
    }
    if (bestLength < 2) {
      // "::" must not shorten a single zero group.
      bestStart = -1;
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < groups.length; i++) {
      if (i == bestStart) {
        sb.append("::");
        i += bestLength - 1;
        continue;
      }
      if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
        sb.append(':');
      }
      sb.append(Integer.toHexString(groups[i]));
    }
    return sb.toString();
  }
}
