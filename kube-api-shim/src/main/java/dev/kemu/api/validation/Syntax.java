package dev.kemu.api.validation;

import dev.kemu.api.registry.Cidr;
import dev.kemu.api.registry.IpLiterals;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The value formats of {@code k8s.io/apimachinery/pkg/util/validation} and {@code
 * k8s.io/apimachinery/pkg/api/validate/content}, each returning the apiserver's messages (empty
 * when the value is valid): DNS labels and subdomains, port numbers and names, label keys and
 * values, IP addresses and CIDRs.
 */
public final class Syntax {
  private static final String DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
  private static final String DNS1123_SUBDOMAIN_FMT =
      DNS1123_LABEL_FMT + "(\\." + DNS1123_LABEL_FMT + ")*";
  private static final String DNS1035_LABEL_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?";
  private static final String WILDCARD_FMT = "\\*\\." + DNS1123_SUBDOMAIN_FMT;
  private static final String LABEL_KEY_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
  private static final String LABEL_VALUE_FMT = "(" + LABEL_KEY_FMT + ")?";
  private static final Pattern DNS1123_LABEL = Pattern.compile(DNS1123_LABEL_FMT);
  private static final Pattern DNS1123_SUBDOMAIN = Pattern.compile(DNS1123_SUBDOMAIN_FMT);
  private static final Pattern DNS1035_LABEL = Pattern.compile(DNS1035_LABEL_FMT);
  private static final Pattern WILDCARD = Pattern.compile(WILDCARD_FMT);
  private static final Pattern LABEL_KEY = Pattern.compile(LABEL_KEY_FMT);
  private static final Pattern LABEL_VALUE = Pattern.compile(LABEL_VALUE_FMT);
  private static final Pattern PORT_NAME_CHARSET = Pattern.compile("[-a-z0-9]+");
  private static final Pattern ONE_LETTER = Pattern.compile(".*[a-z].*");

  private static final String DNS1123_LABEL_MSG =
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and"
          + " must start and end with an alphanumeric character";
  private static final String DNS1123_SUBDOMAIN_MSG =
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or"
          + " '.', and must start and end with an alphanumeric character";
  private static final String DNS1035_LABEL_MSG =
      "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an"
          + " alphabetic character, and end with an alphanumeric character";
  private static final String WILDCARD_MSG =
      "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain,"
          + " which must consist of lower case alphanumeric characters, '-' or '.' and end with an"
          + " alphanumeric character";
  private static final String LABEL_KEY_MSG =
      "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an"
          + " alphanumeric character";
  private static final String LABEL_VALUE_MSG =
      "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or"
          + " '.', and must start and end with an alphanumeric character";

  /** {@code validation.IsValidIP}'s message. */
  public static final String IP_MESSAGE =
      "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)";

  /** {@code validation.IsValidCIDR}'s message. */
  public static final String CIDR_MESSAGE =
      "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)";

  private Syntax() {}

  /** {@code IsDNS1123Label}: namespaces, container names, service port names. */
  public static List<String> dns1123Label(String value) {
    List<String> errs = new ArrayList<>();
    if (value.length() > 63) {
      errs.add(maxLen(63));
    }
    if (!DNS1123_LABEL.matcher(value).matches()) {
      if (DNS1123_SUBDOMAIN.matcher(value).matches()) {
        errs.add("must not contain dots");
      } else {
        errs.add(regexError(DNS1123_LABEL_MSG, DNS1123_LABEL_FMT, "my-name", "123-abc"));
      }
    }
    return errs;
  }

  /** {@code IsDNS1123Subdomain}: most object names, hosts, external names. */
  public static List<String> dns1123Subdomain(String value) {
    List<String> errs = new ArrayList<>();
    if (value.length() > 253) {
      errs.add(maxLen(253));
    }
    if (!DNS1123_SUBDOMAIN.matcher(value).matches()) {
      errs.add(regexError(DNS1123_SUBDOMAIN_MSG, DNS1123_SUBDOMAIN_FMT, "example.com"));
    }
    return errs;
  }

  /** {@code IsWildcardDNS1123Subdomain}: Ingress hosts such as {@code *.example.com}. */
  public static List<String> wildcardDns1123Subdomain(String value) {
    List<String> errs = new ArrayList<>();
    if (value.length() > 253) {
      errs.add(maxLen(253));
    }
    if (!WILDCARD.matcher(value).matches()) {
      errs.add(regexError(WILDCARD_MSG, WILDCARD_FMT, "*.example.com"));
    }
    return errs;
  }

  /** {@code IsDNS1035Label}: Service names. */
  public static List<String> dns1035Label(String value) {
    List<String> errs = new ArrayList<>();
    if (value.length() > 63) {
      errs.add(maxLen(63));
    }
    if (!DNS1035_LABEL.matcher(value).matches()) {
      errs.add(regexError(DNS1035_LABEL_MSG, DNS1035_LABEL_FMT, "my-name", "abc-123"));
    }
    return errs;
  }

  /** {@code IsValidPortNum}: 1 to 65535. */
  public static List<String> portNumber(long port) {
    return port >= 1 && port <= 65535 ? List.of() : List.of(inclusiveRange(1, 65535));
  }

  /** {@code IsValidPortName}: an IANA service name (named container ports, targetPort). */
  public static List<String> portName(String port) {
    List<String> errs = new ArrayList<>();
    if (port.length() > 15) {
      errs.add(maxLen(15));
    }
    if (!PORT_NAME_CHARSET.matcher(port).matches()) {
      errs.add("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
    }
    if (!ONE_LETTER.matcher(port).matches()) {
      errs.add("must contain at least one letter (a-z)");
    }
    if (port.contains("--")) {
      errs.add("must not contain consecutive hyphens");
    }
    if (!port.isEmpty() && (port.startsWith("-") || port.endsWith("-"))) {
      errs.add("must not begin or end with a hyphen");
    }
    return errs;
  }

  /** {@code IsQualifiedName} / {@code content.IsLabelKey}: label keys, annotation keys. */
  public static List<String> qualifiedName(String value) {
    List<String> errs = new ArrayList<>();
    String[] parts = value.split("/", -1);
    String name;
    switch (parts.length) {
      case 1 -> name = parts[0];
      case 2 -> {
        String prefix = parts[0];
        name = parts[1];
        if (prefix.isEmpty()) {
          errs.add("prefix part must be non-empty");
        } else {
          for (String msg : contentDns1123Subdomain(prefix)) {
            errs.add("prefix part " + msg);
          }
        }
      }
      default -> {
        errs.add(
            "a valid label key "
                + regexError(LABEL_KEY_MSG, LABEL_KEY_FMT, "MyName", "my.name", "123-abc")
                + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
        return errs;
      }
    }
    if (name.isEmpty()) {
      errs.add("name part must be non-empty");
    } else if (name.length() > 63) {
      errs.add("name part " + contentMaxLen(63));
    }
    if (!LABEL_KEY.matcher(name).matches()) {
      errs.add(
          "name part " + regexError(LABEL_KEY_MSG, LABEL_KEY_FMT, "MyName", "my.name", "123-abc"));
    }
    return errs;
  }

  /** {@code IsValidLabelValue} / {@code content.IsLabelValue}. */
  public static List<String> labelValue(String value) {
    List<String> errs = new ArrayList<>();
    if (value.length() > 63) {
      errs.add(contentMaxLen(63));
    }
    if (!LABEL_VALUE.matcher(value).matches()) {
      errs.add(regexError(LABEL_VALUE_MSG, LABEL_VALUE_FMT, "MyValue", "my_value", "12345"));
    }
    return errs;
  }

  /** Whether the text is an IP address ({@code netutils.ParseIPSloppy} accepts it). */
  public static boolean isIp(String value) {
    return IpLiterals.parse(value) != null;
  }

  /** The prefix of a CIDR text ({@code netutils.ParseCIDRSloppy}), or null if it is not one. */
  public static Cidr parseCidr(String value) {
    if (value == null) {
      return null;
    }
    int slash = value.indexOf('/');
    if (slash < 0 || IpLiterals.parse(value.substring(0, slash)) == null) {
      return null;
    }
    String bits = value.substring(slash + 1);
    if (!bits.matches("[0-9]{1,3}")) {
      return null;
    }
    try {
      return Cidr.parse(value);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** {@code InclusiveRangeError}: {@code must be between 1 and 65535, inclusive}. */
  public static String inclusiveRange(long lo, long hi) {
    return "must be between " + lo + " and " + hi + ", inclusive";
  }

  /** {@code RegexError}. */
  static String regexError(String msg, String fmt, String... examples) {
    if (examples.length == 0) {
      return msg + " (regex used for validation is '" + fmt + "')";
    }
    StringBuilder sb = new StringBuilder(msg).append(" (e.g. ");
    for (int i = 0; i < examples.length; i++) {
      if (i > 0) {
        sb.append(" or ");
      }
      sb.append('\'').append(examples[i]).append("', ");
    }
    return sb.append("regex used for validation is '").append(fmt).append("')").toString();
  }

  private static String maxLen(int length) {
    return "must be no more than " + length + " characters";
  }

  /** The {@code content} package counts bytes. */
  private static String contentMaxLen(int length) {
    return "must be no more than " + length + " bytes";
  }

  private static List<String> contentDns1123Subdomain(String value) {
    List<String> errs = new ArrayList<>();
    if (value.length() > 253) {
      errs.add(contentMaxLen(253));
    }
    if (!DNS1123_SUBDOMAIN.matcher(value).matches()) {
      errs.add(regexError(DNS1123_SUBDOMAIN_MSG, DNS1123_SUBDOMAIN_FMT, "example.com"));
    }
    return errs;
  }
}
