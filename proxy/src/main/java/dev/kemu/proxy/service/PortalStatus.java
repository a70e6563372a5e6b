package dev.kemu.proxy.service;

/**
 * One row of what the Service proxy serves, for the CLI table and for tests: a portal (an address
 * kemu listens on for a Service port) or a Service port that gets no portal and why.
 *
 * @param servicePort the Service port, {@code ns/name:port}
 * @param kind which Service address this is, null for a port that gets no portal at all
 * @param address {@code ip:port/PROTOCOL}, or {@code -} for a port that gets no portal
 * @param state whether kemu listens
 * @param detail why not, or what is behind it (e.g. {@code 3 endpoints})
 * @param endpoints how many endpoints new connections can use
 */
public record PortalStatus(
    String servicePort,
    PortalKind kind,
    String address,
    State state,
    String detail,
    int endpoints) {

  /** Whether kemu listens on a portal. */
  public enum State {
    /** The portal is bound and forwards (or drops, where kube-proxy drops). */
    LISTENING,
    /**
     * The Service port has no usable endpoint: nothing listens, so the kernel refuses connections
     * at once (TCP RST, ICMP port unreachable for UDP), as kube-proxy's REJECT rule does.
     */
    NO_ENDPOINTS,
    /** The bind failed (privileged port, address in use...); {@code detail} says why. */
    BIND_FAILED,
    /** Another Service port owns the same address, port and protocol. */
    CONFLICT,
    /** The Service port cannot be served (SCTP, an invalid address); {@code detail} says why. */
    UNSUPPORTED
  }
}
