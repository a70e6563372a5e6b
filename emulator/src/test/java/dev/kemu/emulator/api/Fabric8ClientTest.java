package dev.kemu.emulator.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.kemu.emulator.Cluster;
import dev.kemu.emulator.Emulator;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The fabric8 kubernetes-client (JDK HTTP client) against kemu's API server. */
// Runs a cluster with the default service CIDR or node address: one such test at a time.
@ResourceLock("kemu-default-address-plan")
class Fabric8ClientTest {
  static Cluster cluster;

  @BeforeAll
  static void start() {
    // A short history, so that a watch from an old resourceVersion is answered 410 Gone.
    cluster =
        Emulator.builder()
            // Addresses no other test class uses: test classes run in parallel.
            .podCidr("127.231.0.0/16")
            .serviceCidr("127.99.2.0/24")
            .loadBalancerPool("127.209.2.0/24")
            .nodeAddress("127.0.32.1")
            .apiHost("127.0.0.1")
            .apiPort(0)
            .historySize(50)
            .start();
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  static KubernetesClient client(boolean onlyHttpWatches) {
    Config config =
        new ConfigBuilder(Config.empty())
            .withMasterUrl(cluster.apiUrl())
            .withOnlyHttpWatches(onlyHttpWatches)
            .withRequestTimeout(20_000)
            .build();
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  static void namespace(KubernetesClient client, String name) {
    client
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
        .serverSideApply();
  }

  @Test
  void createGetListUpdateDelete() {
    try (KubernetesClient client = client(true)) {
      client
          .namespaces()
          .resource(new NamespaceBuilder().withNewMetadata().withName("crud").endMetadata().build())
          .create();
      ConfigMap created =
          client
              .configMaps()
              .inNamespace("crud")
              .resource(
                  new ConfigMapBuilder()
                      .withNewMetadata()
                      .withName("settings")
                      .withLabels(Map.of("tier", "web"))
                      .endMetadata()
                      .withData(Map.of("color", "blue"))
                      .build())
              .create();
      assertThat(created.getMetadata().getUid()).isNotEmpty();
      assertThat(created.getMetadata().getResourceVersion()).isNotEmpty();

      assertThat(client.configMaps().inNamespace("crud").withName("settings").get().getData())
          .containsEntry("color", "blue");
      assertThat(client.configMaps().inNamespace("crud").withLabel("tier", "web").list().getItems())
          .extracting(c -> c.getMetadata().getName())
          .containsExactly("settings");
      assertThat(client.configMaps().inNamespace("crud").withLabel("tier", "db").list().getItems())
          .isEmpty();

      ConfigMap current = client.configMaps().inNamespace("crud").withName("settings").get();
      ConfigMap changed =
          client
              .configMaps()
              .inNamespace("crud")
              .resource(new ConfigMapBuilder(current).addToData("size", "large").build())
              .update();
      assertThat(changed.getData()).containsEntry("size", "large");

      // A stale resourceVersion is a 409 Conflict.
      created.getData().put("color", "red");
      assertThatThrownBy(() -> client.configMaps().inNamespace("crud").resource(created).update())
          .isInstanceOfSatisfying(
              KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(409));
      // A second create is 409 AlreadyExists.
      assertThatThrownBy(
              () ->
                  client
                      .configMaps()
                      .inNamespace("crud")
                      .resource(
                          new ConfigMapBuilder()
                              .withNewMetadata()
                              .withName("settings")
                              .endMetadata()
                              .build())
                      .create())
          .isInstanceOfSatisfying(
              KubernetesClientException.class,
              e -> {
                assertThat(e.getCode()).isEqualTo(409);
                assertThat(e.getStatus().getReason()).isEqualTo("AlreadyExists");
              });

      Service service =
          client
              .services()
              .inNamespace("crud")
              .resource(
                  new ServiceBuilder()
                      .withNewMetadata()
                      .withName("api")
                      .endMetadata()
                      .withNewSpec()
                      .addNewPort()
                      .withPort(80)
                      .endPort()
                      .endSpec()
                      .build())
              .create();
      assertThat(service.getSpec().getClusterIP()).isNotEmpty();
      Deployment deployment =
          client
              .apps()
              .deployments()
              .inNamespace("crud")
              .resource(
                  new DeploymentBuilder()
                      .withNewMetadata()
                      .withName("web")
                      .endMetadata()
                      .withNewSpec()
                      .withReplicas(1)
                      .withNewSelector()
                      .addToMatchLabels("app", "web")
                      .endSelector()
                      .withNewTemplate()
                      .withNewMetadata()
                      .addToLabels("app", "web")
                      .endMetadata()
                      .withNewSpec()
                      .addNewContainer()
                      .withName("web")
                      .withImage("kemu/echo")
                      .endContainer()
                      .endSpec()
                      .endTemplate()
                      .endSpec()
                      .build())
              .create();
      assertThat(deployment.getMetadata().getGeneration()).isEqualTo(1);
      client.apps().deployments().inNamespace("crud").withName("web").scale(2);
      assertThat(client.pods().inNamespace("crud").withLabel("app", "web").list().getItems())
          .hasSize(2);

      assertThat(client.configMaps().inNamespace("crud").withName("settings").delete()).hasSize(1);
      assertThat(client.configMaps().inNamespace("crud").withName("settings").get()).isNull();
    }
  }

  @ParameterizedTest(name = "onlyHttpWatches={0}")
  @ValueSource(booleans = {true, false})
  void sharedIndexInformerFollowsChanges(boolean onlyHttpWatches) throws Exception {
    String ns = onlyHttpWatches ? "informer-http" : "informer-ws";
    try (KubernetesClient client = client(onlyHttpWatches)) {
      namespace(client, ns);
      client.configMaps().inNamespace(ns).resource(configMap("before", "1")).create();
      List<String> events = new CopyOnWriteArrayList<>();
      SharedIndexInformer<ConfigMap> informer =
          client
              .configMaps()
              .inNamespace(ns)
              .inform(
                  new ResourceEventHandler<>() {
                    @Override
                    public void onAdd(ConfigMap obj) {
                      events.add("add " + obj.getMetadata().getName());
                    }

                    @Override
                    public void onUpdate(ConfigMap oldObj, ConfigMap newObj) {
                      events.add(
                          "update "
                              + newObj.getMetadata().getName()
                              + " "
                              + newObj.getData().get("v"));
                    }

                    @Override
                    public void onDelete(ConfigMap obj, boolean deletedFinalStateUnknown) {
                      events.add("delete " + obj.getMetadata().getName());
                    }
                  });
      try {
        informer.start().toCompletableFuture().get(20, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(20)).until(() -> events.contains("add before"));
        client.configMaps().inNamespace(ns).resource(configMap("after", "1")).create();
        client.configMaps().inNamespace(ns).withName("after").edit(c -> configMap("after", "2"));
        client.configMaps().inNamespace(ns).withName("before").delete();
        await()
            .atMost(Duration.ofSeconds(20))
            .untilAsserted(
                () ->
                    assertThat(events)
                        .containsSubsequence("add after", "update after 2", "delete before"));
        assertThat(informer.getStore().list())
            .extracting(c -> c.getMetadata().getName())
            .containsExactly("after");
      } finally {
        informer.close();
      }
    }
  }

  @Test
  void aWatchFromATooOldVersionIsGoneAndResumesAfterARelist() throws Exception {
    try (KubernetesClient client = client(true)) {
      namespace(client, "gone");
      String old =
          client.configMaps().inNamespace("gone").list().getMetadata().getResourceVersion();
      for (int i = 0; i < 60; i++) {
        client.configMaps().inNamespace("gone").resource(configMap("c" + i, "1")).create();
      }
      CompletableFuture<WatcherException> closed = new CompletableFuture<>();
      Watch watch =
          client
              .configMaps()
              .inNamespace("gone")
              .withResourceVersion(old)
              .watch(
                  new Watcher<>() {
                    @Override
                    public void eventReceived(Action action, ConfigMap resource) {}

                    @Override
                    public void onClose(WatcherException cause) {
                      closed.complete(cause);
                    }
                  });
      WatcherException gone = closed.get(20, TimeUnit.SECONDS);
      watch.close();
      assertThat(gone.isHttpGone()).isTrue();

      // As an informer does: list again, then watch from the list's version.
      String fresh =
          client.configMaps().inNamespace("gone").list().getMetadata().getResourceVersion();
      List<String> seen = new CopyOnWriteArrayList<>();
      try (Watch again =
          client
              .configMaps()
              .inNamespace("gone")
              .withResourceVersion(fresh)
              .watch(
                  new Watcher<>() {
                    @Override
                    public void eventReceived(Action action, ConfigMap resource) {
                      seen.add(action + " " + resource.getMetadata().getName());
                    }

                    @Override
                    public void onClose(WatcherException cause) {}
                  })) {
        client.configMaps().inNamespace("gone").resource(configMap("late", "1")).create();
        await().atMost(Duration.ofSeconds(20)).until(() -> seen.contains("ADDED late"));
        assertThat(seen).containsExactly("ADDED late");
      }
    }
  }

  static ConfigMap configMap(String name, String value) {
    return new ConfigMapBuilder()
        .withNewMetadata()
        .withName(name)
        .endMetadata()
        .withData(Map.of("v", value))
        .build();
  }
}
