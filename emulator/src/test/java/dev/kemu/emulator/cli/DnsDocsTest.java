package dev.kemu.emulator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kemu.api.model.ResourceCodec;
import dev.kemu.dns.DnsOptions;
import dev.kemu.emulator.Cluster;
import dev.kemu.emulator.Emulator;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Service;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringReader;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.xbill.DNS.Cache;
import org.xbill.DNS.Lookup;
import org.xbill.DNS.Record;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;
import picocli.CommandLine;

/**
 * Runs every example of the cluster DNS documentation ({@code docs/dns.md}, and the "Cluster DNS"
 * section of the README once it has one) against a running kemu: the manifest it shows is applied,
 * each {@code dig} line is run and compared with the output under it, each {@code kemu} command is
 * run, and each resolver configuration is followed as its resolver would (same server, same domain,
 * same search path), with kemu's ports in place of the documented defaults.
 */
class DnsDocsTest {
  private static final Pattern BLOCK = Pattern.compile("```(\\w*)\\n(.*?)\\n```", Pattern.DOTALL);
  private static final String JAR = "java -jar emulator/target/emulator.jar ";

  private static Cluster cluster;

  /** A document and its fenced blocks. */
  record Doc(String name, List<Block> blocks) {
    @Override
    public String toString() {
      return name;
    }

    List<Block> of(String language) {
      return blocks.stream().filter(b -> b.language().equals(language)).toList();
    }
  }

  /** A fenced block: its language and text. */
  record Block(String language, String text) {}

  static Stream<Doc> docs() throws IOException {
    List<Doc> docs = new ArrayList<>();
    docs.add(parse("docs/dns.md", Files.readString(Path.of("..", "docs", "dns.md"))));
    String readme = Files.readString(Path.of("..", "README.md"));
    int start = readme.indexOf("\n## Cluster DNS");
    if (start >= 0) {
      int end = readme.indexOf("\n## ", start + 1);
      docs.add(
          parse("README.md#cluster-dns", readme.substring(start, end < 0 ? readme.length() : end)));
    }
    return docs.stream();
  }

  private static Doc parse(String name, String text) {
    List<Block> blocks = new ArrayList<>();
    Matcher matcher = BLOCK.matcher(text);
    while (matcher.find()) {
      blocks.add(new Block(matcher.group(1), matcher.group(2)));
    }
    return new Doc(name, blocks);
  }

  @BeforeAll
  static void start() throws Exception {
    // The manifest of docs/dns.md, applied as --manifests would apply it.
    Doc doc = docs().findFirst().orElseThrow();
    List<HasMetadata> objects = new ArrayList<>();
    for (Block yaml : doc.of("yaml")) {
      objects.addAll(objects(yaml.text()));
    }
    cluster =
        Emulator.builder()
            .dnsOptions(DnsOptions.defaults().withPort(0).withServeClusterIp(false))
            .start();
    cluster.applyAll(objects);
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static List<HasMetadata> objects(String yaml) throws IOException {
    ObjectMapper mapper = ResourceCodec.yaml();
    List<HasMetadata> objects = new ArrayList<>();
    try (JsonParser parser = mapper.getFactory().createParser(new StringReader(yaml));
        MappingIterator<JsonNode> documents = mapper.readValues(parser, JsonNode.class)) {
      while (documents.hasNext()) {
        JsonNode document = documents.next();
        switch (document.path("kind").asText()) {
          case "Namespace" -> objects.add(ResourceCodec.convert(document, Namespace.class));
          case "Service" -> objects.add(ResourceCodec.convert(document, Service.class));
          default -> throw new IllegalArgumentException("unexpected kind in the docs: " + document);
        }
      }
    }
    return objects;
  }

  /** What a {@code kemu} command line printed and returned. */
  record Run(int exit, String out) {}

  private static Run kemu(String commandLine) {
    assertThat(commandLine).startsWith(JAR);
    String[] args = commandLine.substring(JAR.length()).split(" ");
    StringWriter out = new StringWriter();
    CommandLine command = new CommandLine(new KemuCommand());
    command.setOut(new PrintWriter(out));
    command.setErr(new PrintWriter(new StringWriter()));
    return new Run(command.execute(args), out.toString());
  }

  private static int port() {
    return cluster.dnsAddress().getPort();
  }

  // ---------------------------------------------------------------- dig

  @ParameterizedTest(name = "{0}: every dig example answers what the docs show")
  @MethodSource("docs")
  void digExamples(Doc doc) throws Exception {
    Assumptions.assumeTrue(
        digInstalled(), "dig is not installed: install the Debian package bind9-dnsutils");
    int examples = 0;
    for (Block sh : doc.of("sh")) {
      List<String> lines = sh.text().lines().toList();
      for (int i = 0; i < lines.size(); i++) {
        if (!lines.get(i).startsWith("dig ")) {
          continue;
        }
        List<String> expected = new ArrayList<>();
        for (int j = i + 1; j < lines.size() && lines.get(j).startsWith("# "); j++) {
          expected.add(lines.get(j).substring(2));
        }
        String command =
            lines
                .get(i)
                .replace("@127.96.0.10 ", "@127.0.0.1 -p 10053 ")
                .replace("-p 10053", "-p " + port());
        assertThat(dig(command)).as(lines.get(i)).isEqualTo(String.join("\n", expected) + "\n");
        examples++;
      }
    }
    assertThat(examples).isPositive();
  }

  private static boolean digInstalled() {
    try {
      Process process = new ProcessBuilder("dig", "-v").redirectErrorStream(true).start();
      return process.waitFor(10, TimeUnit.SECONDS) && process.exitValue() == 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  private static String dig(String command) throws Exception {
    List<String> args = new ArrayList<>(Arrays.asList(command.split(" ")));
    args.add(1, "+time=5");
    Process process = new ProcessBuilder(args).redirectErrorStream(true).start();
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
  }

  // ---------------------------------------------------------------- resolv.conf

  @ParameterizedTest(name = "{0}: kemu dns resolv-conf prints what the docs show")
  @MethodSource("docs")
  void resolvConfExample(Doc doc) {
    List<Block> blocks = doc.blocks();
    int examples = 0;
    for (int i = 0; i < blocks.size() - 1; i++) {
      String line = blocks.get(i).text().strip();
      if (blocks.get(i).language().equals("sh")
          && !line.contains("\n")
          && line.startsWith(JAR + "dns resolv-conf")) {
        Run run = kemu(line);
        assertThat(run.exit()).isZero();
        assertThat(run.out()).isEqualTo(blocks.get(i + 1).text() + "\n");
        examples++;
      }
    }
    assertThat(examples).isPositive();
  }

  // ---------------------------------------------------------------- resolvers

  @ParameterizedTest(name = "{0}: the systemd-resolved drop-in sends cluster names to kemu")
  @MethodSource("docs")
  void systemdResolved(Doc doc) throws Exception {
    Block ini = block(doc, "ini", text -> text.contains("[Resolve]"));
    String dns = value(ini.text(), "DNS");
    String domains = value(ini.text(), "Domains");
    assertThat(dns).isEqualTo("127.0.0.1:" + DnsOptions.DEFAULT_PORT);
    assertThat(domains).isEqualTo("~" + cluster.addressPlan().clusterDomain());
    // As systemd-resolved: a name in the routing domain goes to that server.
    assertThat(resolve("cart.shop.svc." + domains.substring(1), List.of(), 1))
        .containsExactly("127.96.7.21");
  }

  @ParameterizedTest(name = "{0}: the macOS resolver file sends cluster names to kemu")
  @MethodSource("docs")
  void macosResolver(Doc doc) throws Exception {
    Block file = block(doc, "text", text -> text.startsWith("# /etc/resolver/"));
    List<String> lines = file.text().lines().toList();
    String domain = lines.get(0).substring("# /etc/resolver/".length());
    assertThat(domain).isEqualTo(cluster.addressPlan().clusterDomain());
    assertThat(lines).contains("nameserver 127.0.0.1", "port " + DnsOptions.DEFAULT_PORT);
    assertThat(resolve("cart.shop.svc." + domain, List.of(), 1)).containsExactly("127.96.7.21");
  }

  @ParameterizedTest(name = "{0}: a host-network container resolves short names through kemu")
  @MethodSource("docs")
  void dockerHostNetwork(Doc doc) throws Exception {
    Block sh = block(doc, "sh", text -> text.contains("--network host"));
    List<String> lines = sh.text().lines().toList();
    String render = lines.get(0).replace(" > resolv.conf", "");
    assertThat(lines.get(1)).contains("-v \"$PWD/resolv.conf:/etc/resolv.conf:ro\"");
    String name = lines.get(1).substring(lines.get(1).lastIndexOf(' ') + 1);
    Run run = kemu(render);
    assertThat(run.exit()).isZero();
    // As the container's libc would: the search path and ndots of that resolv.conf.
    List<String> search = new ArrayList<>();
    int ndots = 1;
    for (String line : run.out().lines().toList()) {
      if (line.startsWith("search ")) {
        search.addAll(List.of(line.substring(7).split(" ")));
      } else if (line.startsWith("options ndots:")) {
        ndots = Integer.parseInt(line.substring("options ndots:".length()));
      } else if (line.startsWith("nameserver ")) {
        assertThat(line)
            .isEqualTo("nameserver " + cluster.addressPlan().dnsServiceIp().getHostAddress());
      }
    }
    assertThat(resolve(name, search, ndots)).containsExactly("127.96.7.21");
  }

  @ParameterizedTest(name = "{0}: a bridge container gets the pod's resolv.conf as docker flags")
  @MethodSource("docs")
  void dockerBridge(Doc doc) throws Exception {
    Block sh = block(doc, "sh", text -> text.contains("--dns-search"));
    List<String> lines = sh.text().lines().toList();
    KemuCommand kemu = new KemuCommand();
    CommandLine command = new CommandLine(kemu);
    command.parseArgs(lines.get(0).substring(JAR.length()).split(" "));
    kemu.spec = command.getCommandSpec();
    assertThat(kemu.dnsOptions().port()).isEqualTo(53);
    List<String> docker = List.of(lines.get(1).split(" "));
    String server = docker.get(docker.indexOf("--dns") + 1);
    assertThat(server).isEqualTo(kemu.bind);
    List<String> search = new ArrayList<>();
    List<String> options = new ArrayList<>();
    for (int i = 0; i < docker.size() - 1; i++) {
      if (docker.get(i).equals("--dns-search")) {
        search.add(docker.get(i + 1));
      } else if (docker.get(i).equals("--dns-opt")) {
        options.add(docker.get(i + 1));
      }
    }
    // The flags say what `kemu dns resolv-conf` says for that nameserver.
    Run resolvConf = kemu(JAR + "dns resolv-conf --namespace shop --nameserver " + server);
    assertThat(
            "search "
                + String.join(" ", search)
                + "\nnameserver "
                + server
                + "\noptions "
                + String.join(" ", options)
                + "\n")
        .isEqualTo(resolvConf.out());
    String name = docker.get(docker.size() - 1);
    assertThat(resolve(name, search, Integer.parseInt(options.get(0).substring(6))))
        .containsExactly("127.96.7.21");
  }

  /**
   * The block of the doc that matches: docs/dns.md must have it; the README section may leave an
   * example to docs/dns.md (the test is then skipped for it).
   */
  private static Block block(Doc doc, String language, java.util.function.Predicate<String> test) {
    java.util.Optional<Block> found =
        doc.of(language).stream().filter(b -> test.test(b.text())).findFirst();
    if (found.isEmpty() && doc.name().startsWith("README")) {
      Assumptions.abort(doc.name() + " leaves this example to docs/dns.md");
    }
    return found.orElseThrow(() -> new AssertionError(doc.name() + " lacks the example"));
  }

  private static String value(String ini, String key) {
    return ini.lines()
        .filter(l -> l.startsWith(key + "="))
        .map(l -> l.substring(key.length() + 1))
        .findFirst()
        .orElseThrow();
  }

  /** Resolves a name as a stub resolver with this search path and ndots would, through kemu. */
  private static List<String> resolve(String name, List<String> search, int ndots)
      throws Exception {
    SimpleResolver resolver = new SimpleResolver(new InetSocketAddress("127.0.0.1", port()));
    resolver.setTimeout(Duration.ofSeconds(5));
    Lookup lookup = new Lookup(name, Type.A);
    lookup.setResolver(resolver);
    lookup.setCache(new Cache());
    lookup.setSearchPath(search.toArray(String[]::new));
    lookup.setNdots(ndots);
    Record[] records = lookup.run();
    assertThat(records).as(lookup.getErrorString()).isNotNull();
    return Arrays.stream(records).map(Record::rdataToString).toList();
  }
}
