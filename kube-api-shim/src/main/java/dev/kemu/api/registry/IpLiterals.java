package dev.kemu.api.registry;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/** Parses IP literals without ever resolving a host name. */
public final class IpLiterals {
  private static final Pattern IPV4 =
      Pattern.compile(
          "((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)");

  private IpLiterals() {}

  /** The address of an IPv4 or IPv6 literal, or null if the text is not one. */
  public static InetAddress parse(String text) {
    if (text == null || text.isEmpty()) {
      return null;
    }
    boolean v4 = IPV4.matcher(text).matches();
    boolean v6 = !v4 && text.contains(":") && text.matches("[0-9a-fA-F:.]+");
    if (!v4 && !v6) {
      return null;
    }
    try {
      return InetAddress.getByName(text);
    } catch (UnknownHostException e) {
      return null;
    }
  }

  /** The canonical text of an address (IPv6 compressed as Kubernetes prints it). */
  public static String format(InetAddress address) {
    String text = address.getHostAddress();
    if (address.getAddress().length == 16) {
      // Java prints IPv6 uncompressed; Kubernetes prints RFC 5952 form.
      return compress(text);
    }
    return text;
  }

  private static String compress(String full) {
    String[] groups = full.split(":");
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < groups.length; i++) {
      groups[i] = groups[i].replaceFirst("^0+(?=.)", "");
    }
    int bestStart = -1;
    int bestLength = 1;
    for (int i = 0; i < groups.length; ) {
      if (groups[i].equals("0")) {
        int j = i;
        while (j < groups.length && groups[j].equals("0")) {
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
    for (int i = 0; i < groups.length; i++) {
      if (i == bestStart) {
        sb.append(i == 0 ? "::" : ":");
        i += bestLength - 1;
        if (i == groups.length - 1) {
          continue;
        }
        continue;
      }
      sb.append(groups[i]);
      if (i < groups.length - 1) {
        sb.append(':');
      }
    }
    return sb.toString();
  }
}
