package dev.kemu.emulator.cli;

import dev.kemu.api.model.ResourceCodec;
import dev.kemu.emulator.Cluster;
import io.fabric8.kubernetes.api.model.Config;
import io.fabric8.kubernetes.api.model.ConfigBuilder;
import io.fabric8.kubernetes.api.model.NamedAuthInfo;
import io.fabric8.kubernetes.api.model.NamedAuthInfoBuilder;
import io.fabric8.kubernetes.api.model.NamedCluster;
import io.fabric8.kubernetes.api.model.NamedClusterBuilder;
import io.fabric8.kubernetes.api.model.NamedContext;
import io.fabric8.kubernetes.api.model.NamedContextBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kubeconfig the CLI gives users: a standalone file with {@code --kubeconfig}, or, as kind
 * does, a {@code kemu} cluster, user and context merged into the user's kubeconfig ({@code
 * $KUBECONFIG}'s first file or {@code ~/.kube/config}) and made current. Since a kemu cluster ends
 * with the process, a merged context is removed again on exit and the previous current-context
 * restored.
 */
final class Kubeconfig {
  private static final Logger logger = LoggerFactory.getLogger(Kubeconfig.class);
  static final String NAME = "kemu";

  private final Path path;
  private final boolean merged;
  private final String previousContext;

  private Kubeconfig(Path path, boolean merged, String previousContext) {
    this.path = path;
    this.merged = merged;
    this.previousContext = previousContext;
  }

  /** The file written. */
  Path path() {
    return path;
  }

  /** Whether the context was merged into an existing kubeconfig. */
  boolean merged() {
    return merged;
  }

  static Kubeconfig write(Cluster cluster, Path standalone) {
    if (standalone != null) {
      save(standalone, withKemu(new Config(), cluster));
      return new Kubeconfig(standalone, false, null);
    }
    Path target = userKubeconfig();
    Config existing = Files.exists(target) ? load(target) : new Config();
    String previous = existing.getCurrentContext();
    save(target, withKemu(existing, cluster));
    return new Kubeconfig(target, true, previous);
  }

  /** Removes a merged context again (a standalone file is left for the user). */
  void remove() {
    if (!merged || !Files.exists(path)) {
      return;
    }
    try {
      Config config = without(load(path));
      if (NAME.equals(config.getCurrentContext()) || config.getCurrentContext() == null) {
        config.setCurrentContext(previousContext);
      }
      save(path, config);
    } catch (RuntimeException e) {
      logger.warn("could not remove the kemu context from {}: {}", path, e.getMessage());
    }
  }

  private static Path userKubeconfig() {
    String env = System.getenv("KUBECONFIG");
    if (env != null && !env.isBlank()) {
      return Path.of(env.split(java.io.File.pathSeparator)[0]);
    }
    return Path.of(System.getProperty("user.home"), ".kube", "config");
  }

  private static Config withKemu(Config base, Cluster cluster) {
    Config config = without(base);
    List<NamedCluster> clusters = new ArrayList<>(list(config.getClusters()));
    clusters.add(
        new NamedClusterBuilder()
            .withName(NAME)
            .withNewCluster()
            .withServer(cluster.apiUrl())
            .withCertificateAuthorityData(
                cluster.apiCaCertificate() == null
                    ? null
                    : java.util.Base64.getEncoder()
                        .encodeToString(
                            cluster
                                .apiCaCertificate()
                                .getBytes(java.nio.charset.StandardCharsets.UTF_8)))
            .endCluster()
            .build());
    List<NamedAuthInfo> users = new ArrayList<>(list(config.getUsers()));
    users.add(
        new NamedAuthInfoBuilder()
            .withName(NAME)
            .withNewUser()
            .withToken(cluster.apiToken())
            .endUser()
            .build());
    List<NamedContext> contexts = new ArrayList<>(list(config.getContexts()));
    contexts.add(
        new NamedContextBuilder()
            .withName(NAME)
            .withNewContext()
            .withCluster(NAME)
            .withUser(NAME)
            .withNamespace("default")
            .endContext()
            .build());
    return new ConfigBuilder(config)
        .withApiVersion("v1")
        .withKind("Config")
        .withClusters(clusters)
        .withUsers(users)
        .withContexts(contexts)
        .withCurrentContext(NAME)
        .build();
  }

  private static Config without(Config config) {
    return new ConfigBuilder(config)
        .withClusters(
            list(config.getClusters()).stream().filter(c -> !NAME.equals(c.getName())).toList())
        .withUsers(list(config.getUsers()).stream().filter(u -> !NAME.equals(u.getName())).toList())
        .withContexts(
            list(config.getContexts()).stream().filter(c -> !NAME.equals(c.getName())).toList())
        .build();
  }

  private static <T> List<T> list(List<T> list) {
    return list == null ? List.of() : list;
  }

  private static Config load(Path path) {
    try {
      return ResourceCodec.yaml().readValue(path.toFile(), Config.class);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read kubeconfig " + path, e);
    }
  }

  private static void save(Path path, Config config) {
    try {
      if (path.getParent() != null) {
        Files.createDirectories(path.getParent());
      }
      Files.writeString(path, ResourceCodec.toYaml(config));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write kubeconfig " + path, e);
    }
  }
}
