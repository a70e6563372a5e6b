package dev.kemu.emulator.cli;

import dev.kemu.api.registry.AddressPlan;
import dev.kemu.api.registry.Cidr;
import dev.kemu.dns.DnsOptions;
import dev.kemu.dns.cluster.PodsMode;
import dev.kemu.dns.upstream.HostResolvConf;
import dev.kemu.emulator.Cluster;
import dev.kemu.emulator.Emulator;
import dev.kemu.proxy.ingress.CertificateAuthority;
import dev.kemu.proxy.ingress.IngressOptions;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code java -jar emulator.jar}: runs a cluster on manifests, prints what it serves, logs every
 * change, and stops cleanly on Ctrl-C.
 */
@Command(
    name = "kemu",
    mixinStandardHelpOptions = true,
    subcommands = DnsCommand.class,
    versionProvider = KemuCommand.Version.class,
    sortOptions = false,
    description =
        "Emulates the networking of a Kubernetes cluster in one JVM: manifests in; Services,"
            + " EndpointSlices and Pods backed by real workloads out.")
public final class KemuCommand implements Callable<Integer> {

  @Option(
      names = "--manifests",
      paramLabel = "PATH",
      description = "Manifest file or directory (recursive); repeatable.")
  List<Path> manifests = new ArrayList<>();

  @Option(
      names = "--bind",
      paramLabel = "ADDRESS",
      defaultValue = "127.0.0.1",
      description =
          "Address of the node: the API port, NodePorts and node-wide listeners (default: ${DEFAULT-VALUE}).")
  String bind;

  @Option(
      names = "--api-port",
      paramLabel = "PORT",
      defaultValue = "6443",
      description = "API port; 0 for any free port (default: ${DEFAULT-VALUE}).")
  int apiPort;

  @Option(
      names = "--token",
      paramLabel = "TOKEN",
      description =
          "Bearer token the API port requires (401 without it); written to the kubeconfig.")
  String token;

  @Option(
      names = "--api-tls",
      description =
          "Serve the API over HTTPS with a certificate of a CA kemu makes at start (its certificate"
              + " goes into the kubeconfig).")
  boolean apiTls;

  @Option(
      names = "--dns-port",
      paramLabel = "PORT",
      defaultValue = "10053",
      description =
          "Cluster DNS port (UDP and TCP) on the node address; 0 for any free port. The kube-dns"
              + " ClusterIP also serves port 53 where kemu may bind it (default: ${DEFAULT-VALUE}).")
  int dnsPort;

  @Option(
      names = "--dns-upstream",
      paramLabel = "ADDRESS[:PORT]",
      description =
          "Resolver for names outside the cluster zones; repeatable (default: the nameservers of"
              + " /etc/resolv.conf).")
  List<String> dnsUpstreams;

  @Option(
      names = "--dns-stub-domain",
      paramLabel = "DOMAIN=ADDRESS[:PORT][,ADDRESS...]",
      description = "Forward a domain to its own resolvers (kube-dns stubDomains); repeatable.")
  List<String> dnsStubDomains = new ArrayList<>();

  @Option(
      names = "--dns-external-zone",
      paramLabel = "ZONE",
      description =
          "Publish Ingress hosts and LoadBalancer Services in this zone, as ExternalDNS would"
              + " (e.g. example.test).")
  String dnsExternalZone;

  @Option(
      names = "--dns-pods",
      paramLabel = "MODE",
      defaultValue = "insecure",
      description =
          "Pod records a-b-c-d.NS.pod.ZONE: disabled, insecure or verified, as CoreDNS's pods"
              + " option (default: ${DEFAULT-VALUE}).")
  String dnsPods;

  @Option(
      names = "--dns-ttl",
      paramLabel = "SECONDS",
      defaultValue = "5",
      description = "TTL of cluster DNS records (default: ${DEFAULT-VALUE}).")
  int dnsTtl;

  @Option(
      names = "--http-port",
      paramLabel = "PORT",
      description =
          "Ingress HTTP port on the node address, serving every Ingress; 0 for any free port.")
  Integer httpPort;

  @Option(
      names = "--https-port",
      paramLabel = "PORT",
      description =
          "Ingress HTTPS port on the node address, serving every Ingress; 0 for any free port.")
  Integer httpsPort;

  @Option(
      names = "--ca-cert",
      paramLabel = "FILE",
      description =
          "PEM certificate of the CA that signs Ingress certificates (with --ca-key). Without"
              + " both, kemu creates a CA and writes it to FILE if given.")
  Path caCert;

  @Option(
      names = "--ca-key",
      paramLabel = "FILE",
      description = "PEM private key of the CA given by --ca-cert.")
  Path caKey;

  @Option(
      names = "--no-ingress-validation",
      description =
          "Accept Ingresses that ingress-nginx's admission webhook would reject (invalid paths"
              + " for their pathType, host and path defined by another Ingress).")
  boolean noIngressValidation;

  @Option(
      names = "--kubeconfig",
      paramLabel = "FILE",
      description =
          "Write a standalone kubeconfig to FILE. Without it, a 'kemu' context is merged into"
              + " $KUBECONFIG or ~/.kube/config (as kind does) and removed again on exit.")
  Path kubeconfig;

  @Option(
      names = "--service-cidr",
      scope = CommandLine.ScopeType.INHERIT,
      paramLabel = "CIDR",
      defaultValue = "127.96.0.0/12",
      converter = CidrConverter.class,
      description = "ClusterIP range (default: ${DEFAULT-VALUE}).")
  Cidr serviceCidr;

  @Option(
      names = "--pod-cidr",
      paramLabel = "CIDR",
      defaultValue = "127.244.0.0/16",
      converter = CidrConverter.class,
      description = "Pod IP range (default: ${DEFAULT-VALUE}).")
  Cidr podCidr;

  @Option(
      names = "--lb-pool",
      paramLabel = "CIDR",
      defaultValue = "127.200.0.0/16",
      converter = CidrConverter.class,
      description = "LoadBalancer and Ingress address pool (default: ${DEFAULT-VALUE}).")
  Cidr lbPool;

  @Option(
      names = "--cluster-domain",
      scope = CommandLine.ScopeType.INHERIT,
      paramLabel = "DOMAIN",
      defaultValue = "cluster.local",
      description = "Cluster DNS domain (default: ${DEFAULT-VALUE}).")
  String clusterDomain;

  @Option(names = "--no-watch", description = "Do not re-apply manifests when their files change.")
  boolean noWatch;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  private final CountDownLatch stopped = new CountDownLatch(1);

  /** Runs the command line and exits with its code. */
  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the command line and returns its exit code (for tests). */
  public static int run(String... args) {
    return new CommandLine(new KemuCommand()).execute(args);
  }

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    for (Path path : manifests) {
      if (!path.toFile().exists()) {
        throw new CommandLine.ParameterException(
            spec.commandLine(),
            "Invalid value for option '--manifests': " + path + " does not exist");
      }
    }
    CertificateAuthority ca;
    if (caCert != null && caKey != null && caKey.toFile().exists()) {
      try {
        ca = CertificateAuthority.load(caCert, caKey);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(
            spec.commandLine(),
            "Invalid value for option '--ca-cert'/'--ca-key': " + e.getMessage());
      }
    } else if (caKey != null && caCert == null) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "Missing option '--ca-cert' (required with '--ca-key')");
    } else {
      ca = CertificateAuthority.generate();
      if (caCert != null) {
        // Export the CA kemu created, so clients can trust it (and the key, if a path was given).
        ca.export(
            caCert, caKey == null ? caCert.resolveSibling(caCert.getFileName() + ".key") : caKey);
      }
    }
    AddressPlan plan =
        AddressPlan.defaults()
            .withServiceCidr(serviceCidr)
            .withPodCidr(podCidr)
            .withLoadBalancerPool(lbPool)
            .withClusterDomain(clusterDomain)
            .withNodeAddress(bind);
    Cluster cluster =
        Emulator.builder()
            .manifests(manifests.toArray(Path[]::new))
            .watchManifests(!noWatch)
            .addressPlan(plan)
            .apiHost(bind)
            .apiPort(apiPort)
            .apiToken(token)
            .apiTls(apiTls)
            .ingress(
                IngressOptions.defaults()
                    .withNodePorts(
                        httpPort == null ? -1 : httpPort, httpsPort == null ? -1 : httpsPort))
            .ingressValidation(!noIngressValidation)
            .certificateAuthority(ca)
            .dnsOptions(dnsOptions())
            .start();
    Kubeconfig written;
    try {
      written = Kubeconfig.write(cluster, kubeconfig);
    } catch (RuntimeException e) {
      cluster.close();
      throw e;
    }
    Thread hook =
        new Thread(
            () -> {
              written.remove();
              cluster.close();
              stopped.countDown();
            },
            "kemu-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    out.print(ServeTable.render(cluster, written));
    out.printf("kemu ready in %d ms%n", cluster.startupTime().toMillis());
    out.flush();
    ChangeLog.follow(cluster.store());
    stopped.await();
    return 0;
  }

  /** The DNS options from the flags, each error naming its flag as picocli does. */
  DnsOptions dnsOptions() {
    if (dnsPort < 0 || dnsPort > 65535) {
      throw invalid("--dns-port", dnsPort + ": must be between 0 and 65535, inclusive");
    }
    if (dnsTtl < 0) {
      throw invalid("--dns-ttl", dnsTtl + ": must be greater than or equal to 0");
    }
    DnsOptions options =
        DnsOptions.defaults().withPort(dnsPort).withTtl(Duration.ofSeconds(dnsTtl));
    if (dnsExternalZone != null) {
      if (!dnsExternalZone.matches(
          "[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\\.?")) {
        throw invalid("--dns-external-zone", "'" + dnsExternalZone + "' is not a DNS domain");
      }
      options = options.withExternalZone(dnsExternalZone);
    }
    try {
      options = options.withPods(PodsMode.parse(dnsPods));
    } catch (IllegalArgumentException e) {
      throw invalid("--dns-pods", e.getMessage());
    }
    if (dnsUpstreams != null) {
      List<InetSocketAddress> upstreams = new ArrayList<>();
      for (String upstream : dnsUpstreams) {
        try {
          upstreams.add(HostResolvConf.parseServer(upstream));
        } catch (IllegalArgumentException e) {
          throw invalid("--dns-upstream", e.getMessage());
        }
      }
      options = options.withUpstreams(upstreams);
    }
    Map<String, List<InetSocketAddress>> stubs = new LinkedHashMap<>();
    for (String stub : dnsStubDomains) {
      int equals = stub.indexOf('=');
      if (equals <= 0 || equals == stub.length() - 1) {
        throw invalid(
            "--dns-stub-domain", "'" + stub + "' is not DOMAIN=ADDRESS[:PORT][,ADDRESS...]");
      }
      List<InetSocketAddress> servers = new ArrayList<>();
      for (String server : stub.substring(equals + 1).split(",")) {
        try {
          servers.add(HostResolvConf.parseServer(server));
        } catch (IllegalArgumentException e) {
          throw invalid("--dns-stub-domain", e.getMessage());
        }
      }
      stubs.put(stub.substring(0, equals), servers);
    }
    return options.withStubDomains(stubs);
  }

  private CommandLine.ParameterException invalid(String option, String message) {
    return new CommandLine.ParameterException(
        spec.commandLine(), "Invalid value for option '" + option + "': " + message);
  }

  /** Converts CIDR options, naming the option in the error as picocli does. */
  static final class CidrConverter implements CommandLine.ITypeConverter<Cidr> {
    @Override
    public Cidr convert(String value) {
      try {
        return Cidr.parse(value);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(
            "'" + value + "' is not a CIDR such as 127.96.0.0/12");
      }
    }
  }

  /** The version from the build. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"kemu " + Emulator.version()};
    }
  }
}
