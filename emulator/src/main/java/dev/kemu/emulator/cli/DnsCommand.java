package dev.kemu.emulator.cli;

import dev.kemu.api.registry.AddressPlan;
import dev.kemu.api.registry.IpLiterals;
import dev.kemu.dns.ResolvConf;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code kemu dns ...}: what a client of the cluster DNS needs to know. */
@Command(
    name = "dns",
    mixinStandardHelpOptions = true,
    versionProvider = KemuCommand.Version.class,
    description = "Cluster DNS helpers.",
    subcommands = DnsCommand.ResolvConfCommand.class)
final class DnsCommand {

  @ParentCommand KemuCommand kemu;

  /**
   * {@code kemu dns resolv-conf}: the {@code /etc/resolv.conf} a pod of a namespace gets from the
   * kubelet ({@code dnsPolicy: ClusterFirst}).
   */
  @Command(
      name = "resolv-conf",
      mixinStandardHelpOptions = true,
      versionProvider = KemuCommand.Version.class,
      description =
          "Print the /etc/resolv.conf a pod gets: the namespace's search path, the kube-dns"
              + " ClusterIP as nameserver, options ndots:5.")
  static final class ResolvConfCommand implements Callable<Integer> {

    @ParentCommand DnsCommand dns;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(
        names = {"-n", "--namespace"},
        paramLabel = "NAMESPACE",
        defaultValue = "default",
        description = "The pod's namespace (default: ${DEFAULT-VALUE}).")
    String namespace;

    @Option(
        names = "--nameserver",
        paramLabel = "ADDRESS",
        description = "The nameserver to name (default: the kube-dns ClusterIP of --service-cidr).")
    String nameserver;

    @Override
    public Integer call() {
      KemuCommand kemu = dns.kemu;
      AddressPlan plan =
          AddressPlan.defaults()
              .withServiceCidr(kemu.serviceCidr)
              .withClusterDomain(kemu.clusterDomain);
      String server = nameserver == null ? IpLiterals.format(plan.dnsServiceIp()) : nameserver;
      if (IpLiterals.parse(server) == null) {
        throw new CommandLine.ParameterException(
            spec.commandLine(),
            "Invalid value for option '--nameserver': '" + server + "' is not an IP address");
      }
      spec.commandLine().getOut().print(ResolvConf.render(plan, namespace, server));
      spec.commandLine().getOut().flush();
      return 0;
    }
  }
}
