package dev.kemu.emulator.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kemu.api.model.ResourceCodec;
import dev.kemu.emulator.Cluster;
import dev.kemu.emulator.Emulator;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.ResourceLock;

/** The real kubectl binary against kemu's API server, with the output a real cluster gives. */
// Runs a cluster with the default service CIDR or node address: one such test at a time.
@ResourceLock("kemu-default-address-plan")
class KubectlTest {
  static Cluster cluster;

  @BeforeAll
  static void start() {
    cluster =
        Emulator.builder()
            // Addresses no other test class uses: test classes run in parallel.
            .podCidr("127.230.0.0/16")
            .serviceCidr("127.99.1.0/24")
            .loadBalancerPool("127.209.1.0/24")
            .nodeAddress("127.0.31.1")
            .apiHost("127.0.0.1")
            .apiPort(0)
            .start();
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  static String app(String namespace) {
    return """
        apiVersion: v1
        kind: Namespace
        metadata: {name: NS}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, namespace: NS}
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
        metadata: {name: web, namespace: NS}
        spec:
          selector: {app: web}
          ports: [{port: 80, targetPort: 8080}]
        """
        .replace("NS", namespace);
  }

  @Test
  void applyGetDescribeScaleWaitAndDelete(@TempDir Path dir) throws Exception {
    Kubectl kubectl = new Kubectl(cluster, dir);
    Path manifest = kubectl.file("app.yaml", app("shop"));

    assertThat(kubectl.run("apply", "-f", manifest.toString()).ok().out())
        .contains("namespace/shop created", "deployment.apps/web created", "service/web created");
    // Live as soon as apply returns: the Service has its ClusterIP and the slice its endpoints.
    Service service = cluster.get(Service.class, "shop", "web").orElseThrow();
    assertThat(service.getSpec().getClusterIP()).isNotEmpty();
    assertThat(cluster.list(EndpointSlice.class, "shop"))
        .singleElement()
        .satisfies(s -> assertThat(s.getEndpoints()).hasSize(2));

    String svc = kubectl.run("get", "svc", "-n", "shop").ok().out();
    assertThat(svc.lines().findFirst().orElseThrow())
        .matches("NAME\\s+TYPE\\s+CLUSTER-IP\\s+EXTERNAL-IP\\s+PORT\\(S\\)\\s+AGE");
    assertThat(svc)
        .containsPattern(
            "web\\s+ClusterIP\\s+"
                + service.getSpec().getClusterIP().replace(".", "\\.")
                + "\\s+<none>\\s+80/TCP\\s+\\d+s");
    assertThat(kubectl.run("get", "svc", "-n", "shop", "-o", "wide").ok().out())
        .containsPattern("SELECTOR")
        .containsPattern("80/TCP\\s+\\d+s\\s+app=web");
    String pods = kubectl.run("get", "pods", "-n", "shop", "-o", "wide").ok().out();
    assertThat(pods.lines().findFirst().orElseThrow())
        .matches(
            "NAME\\s+READY\\s+STATUS\\s+RESTARTS\\s+AGE\\s+IP\\s+NODE\\s+NOMINATED NODE\\s+READINESS"
                + " GATES");
    assertThat(pods.lines().skip(1))
        .hasSize(2)
        .allMatch(
            l ->
                l.matches(
                    "web-\\S+\\s+1/1\\s+Running\\s+0\\s+\\d+s\\s+127\\.\\S+\\s+kemu-node\\s+<none>\\s+<none>"));
    assertThat(kubectl.run("get", "deploy", "-n", "shop").ok().out())
        .containsPattern("NAME\\s+READY\\s+UP-TO-DATE\\s+AVAILABLE\\s+AGE")
        .containsPattern("web\\s+2/2\\s+2\\s+2\\s+\\d+s");
    assertThat(kubectl.run("get", "endpointslices", "-n", "shop").ok().out())
        .containsPattern("NAME\\s+ADDRESSTYPE\\s+PORTS\\s+ENDPOINTS\\s+AGE")
        .containsPattern("web-\\S+\\s+IPv4\\s+8080\\s+127\\.\\S+,127\\.\\S+\\s+\\d+s");

    JsonNode json =
        ResourceCodec.json()
            .readTree(kubectl.run("get", "svc", "web", "-n", "shop", "-o", "json").ok().out());
    assertThat(json.path("spec").path("clusterIP").asText())
        .isEqualTo(service.getSpec().getClusterIP());
    assertThat(kubectl.run("get", "svc", "web", "-n", "shop", "-o", "yaml").ok().out())
        .contains("kind: Service", "clusterIP: " + service.getSpec().getClusterIP());
    assertThat(kubectl.run("describe", "svc", "web", "-n", "shop").ok().out())
        .containsPattern("Endpoints:\\s+127\\.\\S+:8080,127\\.\\S+:8080")
        .containsPattern("Selector:\\s+app=web");
    assertThat(kubectl.run("describe", "pod", "-n", "shop", "-l", "app=web").ok().out())
        .containsPattern("Status:\\s+Running");

    assertThat(kubectl.run("scale", "deploy/web", "-n", "shop", "--replicas=3").ok().out())
        .contains("deployment.apps/web scaled");
    assertThat(
            kubectl
                .run("rollout", "status", "deployment/web", "-n", "shop", "--timeout=30s")
                .ok()
                .out())
        .contains("successfully rolled out");
    assertThat(
            kubectl
                .run("wait", "--for=condition=Ready", "pod", "--all", "-n", "shop", "--timeout=30s")
                .ok()
                .out())
        .contains("condition met");
    assertThat(cluster.list(EndpointSlice.class, "shop").get(0).getEndpoints()).hasSize(3);

    assertThat(kubectl.run("delete", "svc", "web", "-n", "shop").ok().out())
        .contains("service \"web\" deleted");
    assertThat(cluster.get(Service.class, "shop", "web")).isEmpty();
    assertThat(kubectl.run("get", "svc", "web", "-n", "shop").err())
        .contains("Error from server (NotFound): services \"web\" not found");
  }

  @Test
  void getWatchSeesAChange(@TempDir Path dir) throws Exception {
    Kubectl kubectl = new Kubectl(cluster, dir);
    kubectl.run("apply", "-f", kubectl.file("app.yaml", app("watch")).toString()).ok();
    Path out = dir.resolve("watch.txt");
    Process watch = kubectl.start(out, "get", "svc", "-n", "watch", "-w");
    try {
      await().atMost(Duration.ofSeconds(20)).until(() -> Files.readString(out).contains("web"));
      kubectl
          .run(
              "apply",
              "-f",
              kubectl
                  .file(
                      "other.yaml",
                      """
                      apiVersion: v1
                      kind: Service
                      metadata: {name: other, namespace: watch}
                      spec:
                        type: NodePort
                        selector: {app: other}
                        ports: [{port: 81}]
                      """)
                  .toString())
          .ok();
      await()
          .atMost(Duration.ofSeconds(20))
          .untilAsserted(
              () ->
                  assertThat(Files.readString(out))
                      .containsPattern("other\\s+NodePort\\s+\\S+\\s+<none>\\s+81:\\d+/TCP"));
      assertThat(Files.readString(out).lines().filter(l -> l.startsWith("NAME"))).hasSize(1);
    } finally {
      watch.destroy();
      watch.waitFor();
    }
  }

  @Test
  void patchOfEveryTypeAndServerSideApply(@TempDir Path dir) throws Exception {
    Kubectl kubectl = new Kubectl(cluster, dir);
    kubectl
        .run("apply", "--server-side", "-f", kubectl.file("app.yaml", app("patch")).toString())
        .ok();
    assertThat(cluster.get(Service.class, "patch", "web")).isPresent();
    assertThat(
            kubectl
                .run(
                    "patch",
                    "svc",
                    "web",
                    "-n",
                    "patch",
                    "-p",
                    "{\"metadata\":{\"labels\":{\"a\":\"1\"}}}")
                .ok()
                .out())
        .contains("service/web patched");
    assertThat(
            kubectl
                .run(
                    "patch",
                    "svc",
                    "web",
                    "-n",
                    "patch",
                    "--type=merge",
                    "-p",
                    "{\"metadata\":{\"labels\":{\"b\":\"2\"}}}")
                .ok()
                .out())
        .contains("service/web patched");
    assertThat(
            kubectl
                .run(
                    "patch",
                    "svc",
                    "web",
                    "-n",
                    "patch",
                    "--type=json",
                    "-p",
                    "[{\"op\":\"add\",\"path\":\"/spec/ports/-\",\"value\":{\"name\":\"admin\",\"port\":9090}}]")
                .err())
        .contains("spec.ports[0].name: Required value");
    // Strategic merge: ports merge by port, so this adds a port and keeps the first.
    assertThat(
            kubectl
                .run(
                    "patch",
                    "svc",
                    "web",
                    "-n",
                    "patch",
                    "-p",
                    "{\"spec\":{\"ports\":[{\"name\":\"admin\",\"port\":9090},{\"name\":\"http\",\"port\":80}]}}")
                .ok()
                .out())
        .contains("service/web patched");
    Service service = cluster.get(Service.class, "patch", "web").orElseThrow();
    assertThat(service.getMetadata().getLabels()).containsEntry("a", "1").containsEntry("b", "2");
    assertThat(service.getSpec().getPorts())
        .extracting(p -> p.getPort())
        .containsExactlyInAnyOrder(80, 9090);
    // Server-side apply of a change: live as soon as kubectl returns.
    kubectl
        .run(
            "apply",
            "--server-side",
            "-f",
            kubectl
                .file("more.yaml", app("patch").replace("replicas: 2", "replicas: 3"))
                .toString())
        .ok();
    assertThat(cluster.list(io.fabric8.kubernetes.api.model.Pod.class, "patch")).hasSize(3);
  }

  @Test
  void describeShowsTheEventsOfAnObject(@TempDir Path dir) throws Exception {
    Kubectl kubectl = new Kubectl(cluster, dir);
    kubectl.run("apply", "-f", kubectl.file("app.yaml", app("events")).toString()).ok();
    var recorder = new dev.kemu.api.events.EventRecorder(cluster.store(), "kemu-test", "kemu-node");
    Service service = cluster.get(Service.class, "events", "web").orElseThrow();
    recorder.record(service, "Warning", "SyncLoadBalancerFailed", "no address left in the pool");
    recorder.record(service, "Warning", "SyncLoadBalancerFailed", "no address left in the pool");
    assertThat(kubectl.run("describe", "svc", "web", "-n", "events").ok().out())
        .containsPattern(
            "Warning\\s+SyncLoadBalancerFailed\\s+\\S+ \\(x2 over \\S+\\)\\s+kemu-test\\s+no address left in the pool");
    assertThat(kubectl.run("get", "events", "-n", "events").ok().out())
        .containsPattern("LAST SEEN\\s+TYPE\\s+REASON\\s+OBJECT\\s+MESSAGE")
        .containsPattern(
            "Warning\\s+SyncLoadBalancerFailed\\s+service/web\\s+no address left in the pool");
  }

  @Test
  void explainReadsThePublishedSchema(@TempDir Path dir) throws Exception {
    Kubectl kubectl = new Kubectl(cluster, dir);
    assertThat(kubectl.run("explain", "service.spec").ok().out())
        .contains("KIND:", "Service", "FIELD: spec", "clusterIP", "selector");
  }

  @Test
  void apiResourcesListShortNamesAndCategories(@TempDir Path dir) throws Exception {
    Kubectl kubectl = new Kubectl(cluster, dir);
    String resources = kubectl.run("api-resources").ok().out();
    assertThat(resources)
        .containsPattern("services\\s+svc\\s+v1\\s+true\\s+Service")
        .containsPattern("pods\\s+po\\s+v1\\s+true\\s+Pod")
        .containsPattern("deployments\\s+deploy\\s+apps/v1\\s+true\\s+Deployment")
        .containsPattern("ingresses\\s+ing\\s+networking.k8s.io/v1\\s+true\\s+Ingress")
        .containsPattern(
            "networkpolicies\\s+netpol\\s+networking.k8s.io/v1\\s+true\\s+NetworkPolicy")
        .containsPattern("namespaces\\s+ns\\s+v1\\s+false\\s+Namespace");
    assertThat(kubectl.run("api-resources", "--categories=all", "-o", "name").ok().out())
        .contains("pods", "services", "deployments.apps");
  }

  @Test
  void customResourceDefinitionThenAnObjectOfItsKind(@TempDir Path dir) throws Exception {
    Kubectl kubectl = new Kubectl(cluster, dir);
    Path crd =
        kubectl.file(
            "crd.yaml",
            """
            apiVersion: apiextensions.k8s.io/v1
            kind: CustomResourceDefinition
            metadata: {name: widgets.example.com}
            spec:
              group: example.com
              scope: Namespaced
              names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd]}
              versions:
              - name: v1
                served: true
                storage: true
                schema:
                  openAPIV3Schema:
                    type: object
                    x-kubernetes-preserve-unknown-fields: true
            """);
    assertThat(kubectl.run("apply", "-f", crd.toString()).ok().out())
        .contains("customresourcedefinition.apiextensions.k8s.io/widgets.example.com created");
    assertThat(
            kubectl
                .run(
                    "wait",
                    "--for=condition=Established",
                    "crd/widgets.example.com",
                    "--timeout=20s")
                .ok()
                .out())
        .contains("condition met");
    Path widget =
        kubectl.file(
            "widget.yaml",
            """
            apiVersion: v1
            kind: Namespace
            metadata: {name: crd}
            ---
            apiVersion: example.com/v1
            kind: Widget
            metadata: {name: gear, namespace: crd}
            spec: {teeth: 12}
            """);
    assertThat(kubectl.run("apply", "-f", widget.toString()).ok().out())
        .contains("widget.example.com/gear created");
    assertThat(kubectl.run("get", "wd", "-n", "crd").ok().out())
        .containsPattern("NAME\\s+AGE")
        .containsPattern("gear\\s+\\d+s");
    assertThat(
            kubectl
                .run("get", "widgets", "gear", "-n", "crd", "-o", "jsonpath={.spec.teeth}")
                .ok()
                .out())
        .isEqualTo("12");
    assertThat(cluster.store().types().find("example.com/v1", "Widget")).isPresent();
    assertThat(
            cluster
                .store()
                .list(
                    cluster.store().types().find("example.com/v1", "Widget").orElseThrow(),
                    dev.kemu.api.store.ListOptions.all())
                .items())
        .singleElement()
        .isInstanceOf(GenericKubernetesResource.class);
  }
}
