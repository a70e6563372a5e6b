package dev.kemu.emulator.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kemu.emulator.Cluster;
import dev.kemu.emulator.Emulator;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real kubectl against kemu's API server. */
class KubectlTest {
  static Cluster cluster;

  @BeforeAll
  static void start() {
    cluster = Emulator.builder().apiHost("127.0.0.1").apiPort(0).start();
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void explore(@TempDir Path dir) throws Exception {
    Kubectl kubectl = new Kubectl(cluster, dir);
    Path manifest =
        kubectl.file(
            "app.yaml",
            """
            apiVersion: v1
            kind: Namespace
            metadata: {name: shop}
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web, namespace: shop}
            spec:
              replicas: 2
              selector: {matchLabels: {app: web}}
              template:
                metadata: {labels: {app: web}}
                spec:
                  containers:
                  - name: web
                    image: kemu/echo
                    ports: [{containerPort: 8080}]
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: web, namespace: shop}
            spec:
              selector: {app: web}
              ports: [{port: 80, targetPort: 8080}]
            """);
    for (String[] args :
        new String[][] {
          {"apply", "--validate=false", "-f", manifest.toString()},
          {"get", "svc", "-n", "shop"},
          {"get", "pods", "-n", "shop", "-o", "wide"},
          {"get", "deploy,rs", "-n", "shop"},
          {"get", "endpointslices", "-n", "shop"},
          {"get", "all", "-n", "shop"},
          {"api-resources"},
          {"describe", "svc", "-n", "shop", "web"},
          {"apply", "--validate=false", "-f", manifest.toString()},
          {"scale", "deploy/web", "-n", "shop", "--replicas=3"},
          {"rollout", "status", "deployment/web", "-n", "shop", "--timeout=20s"},
          {"wait", "--for=condition=Ready", "pod", "--all", "-n", "shop", "--timeout=20s"},
          {"delete", "svc", "web", "-n", "shop"},
          {"get", "svc", "-n", "shop", "-o", "yaml"},
        }) {
      var r = kubectl.run(args);
      System.out.println("$ kubectl " + String.join(" ", args) + " -> " + r.exitCode());
      System.out.println(r.out() + r.err());
    }
    assertThat(cluster).isNotNull();
  }
}
