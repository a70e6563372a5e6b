package dev.kemu.emulator;

import dev.kemu.api.model.ResourceTypes;
import dev.kemu.api.registry.AddressPlan;
import dev.kemu.api.registry.Cidr;
import dev.kemu.api.store.ResourceStore;
import dev.kemu.dns.DnsOptions;
import dev.kemu.proxy.ingress.CertificateAuthority;
import dev.kemu.proxy.ingress.IngressOptions;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The entry point of the embedding API: {@code Emulator.builder()...start()} gives a running {@link
 * Cluster}. {@link Builder#start()} returns only when every component has synced and the manifests
 * are applied and settled.
 */
public final class Emulator {
  private Emulator() {}

  /** A builder with the defaults of DESIGN's address plan. */
  public static Builder builder() {
    return new Builder();
  }

  /** kemu's version, from the build. */
  public static String version() {
    try (var in = Emulator.class.getResourceAsStream("version.properties")) {
      var properties = new java.util.Properties();
      if (in != null) {
        properties.load(in);
      }
      return properties.getProperty("version", "dev");
    } catch (java.io.IOException e) {
      return "dev";
    }
  }

  /** How to build a cluster. Every setting has a default; {@link #start()} builds it. */
  public static final class Builder {
    private final List<Path> manifests = new ArrayList<>();
    private boolean watchManifests = true;
    private AddressPlan plan = AddressPlan.defaults();
    private String apiHost = "127.0.0.1";
    private int apiPort = 0;
    private String apiToken;
    private boolean apiTls;
    private Clock clock = Clock.systemUTC();
    private int historySize = 10_000;
    private long seed = 0;
    private Duration settleTimeout = Duration.ofSeconds(30);
    private IngressOptions ingressOptions = IngressOptions.defaults();
    private boolean ingressValidation = true;
    private CertificateAuthority certificateAuthority;
    private DnsOptions dns = DnsOptions.defaults().withPort(0);

    private Builder() {}

    /** Adds manifest files or directories (recursive) applied on start. */
    public Builder manifests(Path... paths) {
      manifests.addAll(List.of(paths));
      return this;
    }

    /** Adds manifest files or directories given as strings. */
    public Builder manifests(String... paths) {
      for (String path : paths) {
        manifests.add(Path.of(path));
      }
      return this;
    }

    /** Whether to re-apply manifests when their files change (default true). */
    public Builder watchManifests(boolean watch) {
      this.watchManifests = watch;
      return this;
    }

    /** The whole address plan. */
    public Builder addressPlan(AddressPlan plan) {
      this.plan = Objects.requireNonNull(plan);
      return this;
    }

    /** The service CIDR, e.g. {@code 127.96.0.0/12}. */
    public Builder serviceCidr(String cidr) {
      plan = plan.withServiceCidr(Cidr.parse(cidr));
      return this;
    }

    /** The pod CIDR, e.g. {@code 127.244.0.0/16}. */
    public Builder podCidr(String cidr) {
      plan = plan.withPodCidr(Cidr.parse(cidr));
      return this;
    }

    /** The LoadBalancer pool, e.g. {@code 127.200.0.0/16}. */
    public Builder loadBalancerPool(String cidr) {
      plan = plan.withLoadBalancerPool(Cidr.parse(cidr));
      return this;
    }

    /** The cluster domain, {@code cluster.local} by default. */
    public Builder clusterDomain(String domain) {
      plan = plan.withClusterDomain(domain);
      return this;
    }

    /** The node address: NodePorts and node-wide listeners bind here (default 127.0.0.1). */
    public Builder nodeAddress(String address) {
      plan = plan.withNodeAddress(address);
      return this;
    }

    /** Where the API port listens (default 127.0.0.1). */
    public Builder apiHost(String host) {
      this.apiHost = host;
      return this;
    }

    /** The API port, 0 (the default) for any free port. */
    public Builder apiPort(int port) {
      this.apiPort = port;
      return this;
    }

    /**
     * A bearer token every API request must carry (401 without it, as an apiserver with a static
     * token file); null (the default) for none.
     */
    public Builder apiToken(String token) {
      this.apiToken = token;
      return this;
    }

    /**
     * Serves the API over HTTPS with a certificate of kemu's own CA ({@link
     * Cluster#apiCaCertificate} is what clients trust). kubectl sends a bearer token only over
     * HTTPS.
     */
    public Builder apiTls(boolean tls) {
      this.apiTls = tls;
      return this;
    }

    /**
     * The cluster DNS port on the node address, UDP and TCP (default 0: any free port; the CLI uses
     * 10053). {@link Cluster#dnsAddress()} tells the port bound.
     */
    public Builder dnsPort(int port) {
      this.dns = dns.withPort(port);
      return this;
    }

    /** Everything about the cluster DNS: TTL, pods mode, upstreams, stub domains, external zone. */
    public Builder dnsOptions(DnsOptions options) {
      this.dns = Objects.requireNonNull(options);
      return this;
    }

    /** The clock of timestamps and timeouts. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock);
      return this;
    }

    /** How many changes a watch can resume across (default 10,000). */
    public Builder historySize(int size) {
      this.historySize = size;
      return this;
    }

    /** The seed of generated names, for repeatable runs. */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /** How long {@link Cluster#apply} waits for every component to apply a write. */
    public Builder settleTimeout(Duration timeout) {
      this.settleTimeout = Objects.requireNonNull(timeout);
      return this;
    }

    /** Ingress listeners (node ports, LoadBalancer-address ports) and classes served. */
    public Builder ingress(IngressOptions options) {
      this.ingressOptions = Objects.requireNonNull(options);
      return this;
    }

    /** Whether Ingress writes pass ingress-nginx's admission checks (default true). */
    public Builder ingressValidation(boolean validate) {
      this.ingressValidation = validate;
      return this;
    }

    /** The CA of Ingress certificates (default: a new kemu CA). */
    public Builder certificateAuthority(CertificateAuthority ca) {
      this.certificateAuthority = Objects.requireNonNull(ca);
      return this;
    }

    /**
     * Starts the cluster: store, controllers, pod runtime and API port, then the manifests. Returns
     * when everything has synced.
     *
     * @throws IllegalStateException if a component fails to start (everything started is closed)
     */
    public Cluster start() {
      ResourceStore store = new ResourceStore(new ResourceTypes(), clock, historySize, seed);
      return Cluster.start(
          new ClusterSpec(
              store,
              plan,
              List.copyOf(manifests),
              watchManifests,
              apiHost,
              apiPort,
              apiToken,
              apiTls,
              settleTimeout,
              ingressOptions,
              ingressValidation,
              certificateAuthority == null ? CertificateAuthority.generate() : certificateAuthority,
              dns));
    }
  }

  /** What {@link Cluster#start} needs, gathered by the builder. */
  record ClusterSpec(
      ResourceStore store,
      AddressPlan plan,
      List<Path> manifests,
      boolean watchManifests,
      String apiHost,
      int apiPort,
      String apiToken,
      boolean apiTls,
      Duration settleTimeout,
      IngressOptions ingressOptions,
      boolean ingressValidation,
      CertificateAuthority certificateAuthority,
      DnsOptions dns) {}
}
