package dev.kemu.emulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI jar as users run it: {@code java -jar emulator.jar --manifests dir/}. */
class CliIT {
  private static final Path JAR = Path.of("target", "emulator.jar");
  private final List<Process> processes = new ArrayList<>();

  @TempDir Path temp;

  @AfterEach
  void stopProcesses() throws InterruptedException {
    for (Process process : processes) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void runsTheExamplePrintsWhatItServesReloadsAndStopsOnSigterm() throws Exception {
    Path manifests = copyExample();
    Path kubeconfig = temp.resolve("kubeconfig");
    Kemu kemu =
        start(
            "--manifests",
            manifests.toString(),
            "--api-port",
            "0",
            "--dns-port",
            "0",
            "--kubeconfig",
            kubeconfig.toString());

    String table = kemu.awaitStdout("kemu ready in");
    assertThat(table).contains("shop/web", "LoadBalancer", "shop/catalog", "8080:30080/TCP");
    assertThat(table).containsPattern("shop/cart +ClusterIP +127\\.\\d+\\.\\d+\\.\\d+");
    assertThat(table).contains("shop/payments", "ExternalName", "payments.example.com");
    assertThat(table).containsPattern("shop/cart .* 3/3 ready");
    Matcher api = Pattern.compile("kube-api +(http://\\S+)").matcher(table);
    assertThat(api.find()).isTrue();
    HttpResponse<String> readyz =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(api.group(1) + "/readyz")).build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(readyz.statusCode()).isEqualTo(200);
    assertThat(Files.readString(kubeconfig)).contains("server: " + api.group(1));

    // Hot reload: scale the catalog and see the change logged.
    Path catalog = manifests.resolve("catalog.yaml");
    Files.writeString(catalog, Files.readString(catalog).replace("replicas: 1", "replicas: 2"));
    kemu.awaitStderr("updated Deployment shop/catalog");

    // A broken file is reported with its name and line, and the rest keeps running.
    Files.writeString(
        manifests.resolve("broken.yaml"), "apiVersion: v1\nkind: Service\nmetadata: [\n");
    kemu.awaitStderr("broken.yaml");

    kemu.process.destroy(); // SIGTERM, as Ctrl-C's SIGINT: the shutdown hook stops everything
    assertThat(kemu.process.waitFor(15, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void digResolvesTheExampleThroughTheClusterDnsOfTheJar() throws Exception {
    Assumptions.assumeTrue(
        digInstalled(),
        "dig is not installed: install the Debian package bind9-dnsutils to run this smoke test");
    Kemu kemu =
        start(
            "--manifests",
            copyExample().toString(),
            "--api-port",
            "0",
            "--dns-port",
            "0",
            "--kubeconfig",
            temp.resolve("kubeconfig").toString());
    String table = kemu.awaitStdout("kemu ready in");
    Matcher dns = Pattern.compile("dns +127\\.0\\.0\\.1:(\\d+) \\(udp\\+tcp\\)").matcher(table);
    assertThat(dns.find()).as(table).isTrue();
    String port = dns.group(1);

    assertThat(dig(port, "+short", "dns-version.cluster.local", "TXT")).isEqualTo("\"1.1.0\"\n");
    Matcher cart = Pattern.compile("shop/cart +ClusterIP +(\\S+)").matcher(table);
    assertThat(cart.find()).as(table).isTrue();
    assertThat(dig(port, "+short", "cart.shop.svc.cluster.local")).isEqualTo(cart.group(1) + "\n");
    assertThat(dig(port, "+short", "+tcp", "cart.shop.svc.cluster.local"))
        .isEqualTo(cart.group(1) + "\n");
    assertThat(dig(port, "nope.shop.svc.cluster.local")).contains("status: NXDOMAIN");
  }

  @Test
  void resolvConfOfTheJar() throws Exception {
    Kemu kemu = start("dns", "resolv-conf", "--namespace", "shop");
    assertThat(kemu.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(kemu.process.exitValue()).isZero();
    assertThat(String.join("\n", kemu.out))
        .isEqualTo(
            "search shop.svc.cluster.local svc.cluster.local cluster.local\n"
                + "nameserver 127.96.0.10\n"
                + "options ndots:5");
  }

  private static boolean digInstalled() {
    try {
      Process process = new ProcessBuilder("dig", "-v").redirectErrorStream(true).start();
      return process.waitFor(10, TimeUnit.SECONDS) && process.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static String dig(String port, String... args) throws Exception {
    List<String> command =
        new ArrayList<>(List.of("dig", "@127.0.0.1", "-p", port, "+time=5", "+tries=1"));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
  }

  @Test
  void aBadFlagIsNamed() throws Exception {
    Kemu kemu = start("--bogus");
    assertThat(kemu.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(kemu.process.exitValue()).isEqualTo(2);
    assertThat(kemu.stderr()).contains("Unknown option: '--bogus'");

    Kemu cidr = start("--service-cidr", "nope");
    assertThat(cidr.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(cidr.process.exitValue()).isEqualTo(2);
    assertThat(cidr.stderr())
        .contains("Invalid value for option '--service-cidr': 'nope' is not a CIDR");
  }

  private Path copyExample() throws IOException {
    Path source = Path.of("..", "examples", "shop");
    Path target = temp.resolve("shop");
    Files.createDirectories(target);
    try (Stream<Path> files = Files.list(source)) {
      for (Path file : files.toList()) {
        Files.copy(file, target.resolve(file.getFileName()));
      }
    }
    return target;
  }

  private Kemu start(String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(javaBin(), "-jar", JAR.toString()));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).start();
    processes.add(process);
    return new Kemu(process);
  }

  private static String javaBin() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /** A running CLI whose output is collected line by line. */
  static final class Kemu {
    final Process process;
    final List<String> out = new CopyOnWriteArrayList<>();
    final List<String> err = new CopyOnWriteArrayList<>();

    Kemu(Process process) {
      this.process = process;
      pump(process.getInputStream(), out);
      pump(process.getErrorStream(), err);
    }

    private static void pump(java.io.InputStream in, List<String> lines) {
      Thread thread =
          new Thread(
              () -> {
                try (BufferedReader reader =
                    new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                  String line;
                  while ((line = reader.readLine()) != null) {
                    lines.add(line);
                  }
                } catch (IOException e) {
                  // The process ended.
                }
              });
      thread.setDaemon(true);
      thread.start();
    }

    String awaitStdout(String text) {
      await("stdout shows " + text)
          .atMost(Duration.ofSeconds(30))
          .until(() -> String.join("\n", out).contains(text) || !process.isAlive());
      assertThat(String.join("\n", out)).as("stderr: %s", stderr()).contains(text);
      return String.join("\n", out);
    }

    void awaitStderr(String text) {
      await("stderr shows " + text)
          .atMost(Duration.ofSeconds(10))
          .until(() -> stderr().contains(text));
    }

    String stderr() {
      return String.join("\n", err);
    }
  }
}
