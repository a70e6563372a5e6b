package dev.kemu.emulator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kemu.dns.DnsOptions;
import dev.kemu.dns.cluster.PodsMode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/**
 * The DNS parts of the command line: {@code kemu dns resolv-conf} and the {@code --dns-*} flags.
 */
class DnsCommandTest {

  /** What a run printed and returned. */
  record Run(int exit, String out, String err) {}

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine command = new CommandLine(new KemuCommand());
    command.setOut(new PrintWriter(out));
    command.setErr(new PrintWriter(err));
    int exit = command.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  @Test
  void resolvConfIsWhatTheKubeletGivesAPod() {
    Run run = run("dns", "resolv-conf", "--namespace", "shop");

    assertThat(run.exit()).isZero();
    assertThat(run.out())
        .isEqualTo(
            "search shop.svc.cluster.local svc.cluster.local cluster.local\n"
                + "nameserver 127.96.0.10\n"
                + "options ndots:5\n");
  }

  @Test
  void resolvConfFollowsTheClusterDomainAndServiceCidr() {
    assertThat(run("--cluster-domain", "corp.example", "dns", "resolv-conf").out())
        .startsWith("search default.svc.corp.example svc.corp.example corp.example\n");
    assertThat(run("dns", "resolv-conf", "--service-cidr", "10.96.0.0/12").out())
        .contains("nameserver 10.96.0.10\n");
    assertThat(run("dns", "resolv-conf", "--nameserver", "172.17.0.2").out())
        .contains("nameserver 172.17.0.2\n");
  }

  @Test
  void dnsWithoutASubcommandIsAnError() {
    Run run = run("dns");
    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err()).contains("Missing required subcommand");
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "--dns-pods|bogus|Invalid value for option '--dns-pods': 'bogus' is not a pods mode: use disabled, insecure or verified",
        "--dns-port|70000|Invalid value for option '--dns-port': 70000: must be between 0 and 65535, inclusive",
        "--dns-ttl|-1|Invalid value for option '--dns-ttl': -1: must be greater than or equal to 0",
        "--dns-upstream|dns.example.org|Invalid value for option '--dns-upstream': 'dns.example.org' is not an IP address with an optional port, such as 10.0.0.2:53",
        "--dns-stub-domain|corp.example|Invalid value for option '--dns-stub-domain': 'corp.example' is not DOMAIN=ADDRESS[:PORT][,ADDRESS...]",
        "--dns-external-zone|not a zone|Invalid value for option '--dns-external-zone': 'not a zone' is not a DNS domain"
      })
  void aBadDnsFlagIsNamed(String flag, String value, String message) {
    Run run = run(flag, value, "--api-port", "0");
    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err()).contains(message);
  }

  @Test
  void dnsFlagsBecomeDnsOptions() {
    KemuCommand kemu = new KemuCommand();
    new CommandLine(kemu)
        .parseArgs(
            "--dns-port",
            "0",
            "--dns-ttl",
            "30",
            "--dns-pods",
            "verified",
            "--dns-upstream",
            "10.0.0.2",
            "--dns-upstream",
            "[fd00::2]:5353",
            "--dns-stub-domain",
            "corp.example=10.0.0.3,10.0.0.4:5353",
            "--dns-external-zone",
            "example.test");
    kemu.spec = new CommandLine(kemu).getCommandSpec();
    DnsOptions options = kemu.dnsOptions();

    assertThat(options.port()).isZero();
    assertThat(options.ttl()).isEqualTo(Duration.ofSeconds(30));
    assertThat(options.pods()).isEqualTo(PodsMode.VERIFIED);
    assertThat(options.upstreams())
        .containsExactly(
            new InetSocketAddress("10.0.0.2", 53), new InetSocketAddress("fd00::2", 5353));
    assertThat(options.stubDomains())
        .containsEntry(
            "corp.example",
            List.of(
                new InetSocketAddress("10.0.0.3", 53), new InetSocketAddress("10.0.0.4", 5353)));
    assertThat(options.externalZone()).isEqualTo("example.test");
  }
}
