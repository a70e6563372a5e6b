package dev.kemu.emulator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kemu.api.manifests.ManifestProblem;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad manifests through the real write path: a Service the apiserver would reject and a file with a
 * YAML syntax error are reported with file, document and line; everything else is applied.
 */
class ManifestProblemsTest {

  @Test
  void badDocumentsAreReportedAndTheRestIsServed(@TempDir Path dir) throws Exception {
    Files.writeString(
        dir.resolve("app.yaml"),
        """
        apiVersion: v1
        kind: Namespace
        metadata:
          name: app
        ---
        apiVersion: v1
        kind: Pod
        metadata:
          name: echo
          namespace: app
          labels:
            app: echo
        spec:
          containers:
            - name: echo
              image: kemu/echo
              ports:
                - containerPort: 8080
        """);
    Files.writeString(
        dir.resolve("bad-service.yaml"),
        """
        apiVersion: v1
        kind: Service
        metadata:
          name: good
          namespace: app
        spec:
          selector:
            app: echo
          ports:
            - port: 80
              targetPort: 8080
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: web
          namespace: app
        spec:
          selector:
            app: echo
          ports:
            - port: 70000
              targetPort: 8080
        """);
    Files.writeString(
        dir.resolve("broken.yaml"),
        """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: broken
          namespace: app
        data: [unclosed
        """);

    try (Cluster cluster =
        Emulator.builder()
            .manifests(dir)
            .watchManifests(false)
            .podCidr("127.248.1.0/24")
            .serviceCidr("127.109.1.0/24")
            .loadBalancerPool("127.215.1.0/24")
            .start()) {
      assertThat(cluster.manifestProblems())
          .extracting(ManifestProblem::toString)
          .anySatisfy(
              p ->
                  assertThat(p)
                      .contains("bad-service.yaml: document 2")
                      .endsWith(
                          "Service \"web\" is invalid: spec.ports[0].port: Invalid value: 70000:"
                              + " must be between 1 and 65535, inclusive"))
          .anySatisfy(p -> assertThat(p).contains("broken.yaml: document 1 (line"));
      assertThat(cluster.get(Service.class, "app", "web")).isEmpty();
      assertThat(cluster.get(Service.class, "app", "good")).isPresent();
      assertThat(cluster.get(Pod.class, "app", "echo").orElseThrow().getStatus().getPhase())
          .isEqualTo("Running");
    }
  }
}
