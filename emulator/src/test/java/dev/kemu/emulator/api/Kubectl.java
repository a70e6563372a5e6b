package dev.kemu.emulator.api;

import dev.kemu.emulator.Cluster;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the real {@code kubectl} binary against a cluster, with a kubeconfig of its own. */
final class Kubectl {
  /** The outcome of one command. */
  record Result(int exitCode, String out, String err) {
    Result ok() {
      if (exitCode != 0) {
        throw new AssertionError("kubectl failed (" + exitCode + "): " + err + out);
      }
      return this;
    }
  }

  private final Path kubeconfig;
  private final Path dir;

  Kubectl(Cluster cluster, Path dir) throws IOException {
    this(cluster.apiUrl(), null, dir);
  }

  Kubectl(String server, String token, Path dir) throws IOException {
    this(server, token, null, dir);
  }

  Kubectl(String server, String token, String caPem, Path dir) throws IOException {
    this.dir = dir;
    this.kubeconfig = dir.resolve("kubeconfig");
    String user = token == null ? "{}" : "{token: " + token + "}";
    Files.writeString(
        kubeconfig,
        String.join(
            "\n",
            "apiVersion: v1",
            "kind: Config",
            "clusters:",
            "- name: kemu",
            "  cluster: {server: \""
                + server
                + "\""
                + (caPem == null
                    ? ""
                    : ", certificate-authority-data: "
                        + java.util.Base64.getEncoder()
                            .encodeToString(caPem.getBytes(StandardCharsets.UTF_8)))
                + "}",
            "users:",
            "- name: kemu",
            "  user: " + user,
            "contexts:",
            "- name: kemu",
            "  context: {cluster: kemu, user: kemu}",
            "current-context: kemu",
            ""));
  }

  Path kubeconfig() {
    return kubeconfig;
  }

  /** Writes a manifest file in the test's directory. */
  Path file(String name, String content) throws IOException {
    Path path = dir.resolve(name);
    Files.writeString(path, content);
    return path;
  }

  Result run(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add("kubectl");
    command.add("--kubeconfig=" + kubeconfig);
    command.add("--cache-dir=" + dir.resolve("cache"));
    command.add("--request-timeout=20s");
    command.addAll(List.of(args));
    Path out = Files.createTempFile(dir, "out", ".txt");
    Path err = Files.createTempFile(dir, "err", ".txt");
    Process process =
        new ProcessBuilder(command)
            .redirectOutput(out.toFile())
            .redirectError(err.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
            .start();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("kubectl " + String.join(" ", args) + " timed out");
    }
    return new Result(
        process.exitValue(),
        Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }

  /** Starts a long-running kubectl (a watch); the caller destroys it. */
  Process start(Path output, String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add("kubectl");
    command.add("--kubeconfig=" + kubeconfig);
    command.add("--cache-dir=" + dir.resolve("cache"));
    command.addAll(List.of(args));
    return new ProcessBuilder(command)
        .redirectOutput(output.toFile())
        .redirectErrorStream(true)
        .start();
  }
}
