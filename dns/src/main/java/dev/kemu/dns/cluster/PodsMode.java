package dev.kemu.dns.cluster;

import java.util.Locale;

/**
 * How {@code a-b-c-d.ns.pod.zone} names are answered: CoreDNS's {@code pods} option ({@code
 * plugin/kubernetes/README.md}). kubeadm configures {@code pods insecure}, kemu's default.
 */
public enum PodsMode {
  /** Pod names are not answered (NXDOMAIN). */
  DISABLED,
  /**
   * Any well-formed pod name answers the IP it spells, in an existing namespace, as kube-dns did.
   */
  INSECURE,
  /** A pod name answers only when a running pod in that namespace has the IP. */
  VERIFIED;

  /**
   * Parses {@code disabled}, {@code insecure} or {@code verified}.
   *
   * @throws IllegalArgumentException naming the accepted values
   */
  public static PodsMode parse(String text) {
    try {
      return valueOf(text.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a pods mode: use disabled, insecure or verified");
    }
  }

  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT);
  }
}
