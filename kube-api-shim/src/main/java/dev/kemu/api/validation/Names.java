package dev.kemu.api.validation;

import dev.kemu.api.model.ResourceType;
import dev.kemu.api.model.ResourceTypes;
import java.util.regex.Pattern;

/**
 * Name rules of the apiserver ({@code k8s.io/apimachinery/pkg/util/validation}): DNS-1123
 * subdomains for most kinds, DNS-1035 labels for Services, DNS-1123 labels for Namespaces, with the
 * apiserver's messages.
 */
public final class Names {
  private static final String DNS1123_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
  private static final Pattern DNS1123_LABEL_RE = Pattern.compile(DNS1123_LABEL);
  private static final String DNS1123_SUBDOMAIN = DNS1123_LABEL + "(\\." + DNS1123_LABEL + ")*";
  private static final Pattern DNS1123_SUBDOMAIN_RE = Pattern.compile(DNS1123_SUBDOMAIN);
  private static final String DNS1035_LABEL = "[a-z]([-a-z0-9]*[a-z0-9])?";
  private static final Pattern DNS1035_LABEL_RE = Pattern.compile(DNS1035_LABEL);
  private static final String IANA_SVC_NAME = "[-a-z0-9]+";

  private Names() {}

  /** The problem with an object name for a kind, or null if the name is valid. */
  public static String check(ResourceType type, String name) {
    if (type.equals(ResourceTypes.SERVICE)) {
      return dns1035Label(name);
    }
    if (type.equals(ResourceTypes.NAMESPACE)) {
      return dns1123Label(name);
    }
    if (type.javaType() == io.fabric8.kubernetes.api.model.GenericKubernetesResource.class) {
      return pathSegment(name);
    }
    return dns1123Subdomain(name);
  }

  /** A DNS-1123 label (namespaces, port names of pods, hostnames). */
  public static String dns1123Label(String value) {
    if (value.length() > 63) {
      return "must be no more than 63 characters";
    }
    if (!DNS1123_LABEL_RE.matcher(value).matches()) {
      return "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or"
          + " '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or"
          + " '123-abc', regex used for validation is '"
          + DNS1123_LABEL
          + "')";
    }
    return null;
  }

  /** A DNS-1123 subdomain (most object names). */
  public static String dns1123Subdomain(String value) {
    if (value.length() > 253) {
      return "must be no more than 253 characters";
    }
    if (!DNS1123_SUBDOMAIN_RE.matcher(value).matches()) {
      return "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters,"
          + " '-' or '.', and must start and end with an alphanumeric character (e.g."
          + " 'example.com', regex used for validation is '"
          + DNS1123_SUBDOMAIN
          + "')";
    }
    return null;
  }

  /** A DNS-1035 label (Service names). */
  public static String dns1035Label(String value) {
    if (value.length() > 63) {
      return "must be no more than 63 characters";
    }
    if (!DNS1035_LABEL_RE.matcher(value).matches()) {
      return "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start"
          + " with an alphabetic character, and end with an alphanumeric character (e.g."
          + " 'my-name',  or 'abc-123', regex used for validation is '"
          + DNS1035_LABEL
          + "')";
    }
    return null;
  }

  /**
   * An IANA service name (named ports: {@code IsValidPortName}): at most 15 characters, lower case
   * alphanumerics and '-', at least one letter, no leading, trailing or double '-'.
   */
  public static String portName(String value) {
    if (value.length() > 15) {
      return "must be no more than 15 characters";
    }
    if (!value.matches(IANA_SVC_NAME)) {
      return "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)";
    }
    if (value.contains("--")) {
      return "must not contain consecutive hyphens";
    }
    if (!value.matches(".*[a-z].*")) {
      return "must contain at least one letter (a-z)";
    }
    if (value.startsWith("-") || value.endsWith("-")) {
      return "must not begin or end with a hyphen";
    }
    return null;
  }

  /** A name that must only be usable as a URL path segment (kinds kemu does not model). */
  public static String pathSegment(String value) {
    if (value.equals(".") || value.equals("..")) {
      return "may not be '" + value + "'";
    }
    if (value.contains("/") || value.contains("%")) {
      return "may not contain '/' or '%'";
    }
    return null;
  }
}
