package dev.kemu.api.store;

import static dev.kemu.api.store.Fixtures.START;
import static dev.kemu.api.store.Fixtures.configMap;
import static dev.kemu.api.store.Fixtures.key;
import static dev.kemu.api.store.Fixtures.namespace;
import static dev.kemu.api.store.Fixtures.pod;
import static dev.kemu.api.store.Fixtures.service;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kemu.api.model.ResourceKey;
import dev.kemu.api.model.ResourceTypes;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceStatusBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Create, read, update and list, as the apiserver's generic registry does them. */
@SuppressWarnings("try")
class ResourceStoreCrudTest {
  private final TestClock clock = new TestClock(START);
  private final ResourceStore store = Fixtures.store(clock);

  @AfterEach
  void close() {
    store.close();
  }

  @Test
  void createFillsServerSetMetadata() {
    long before = store.resourceVersion();
    ConfigMap created = store.create(configMap(null, "a", Map.of("k", "v")));
    var meta = created.getMetadata();
    assertThat(meta.getNamespace()).as("namespace defaults to default").isEqualTo("default");
    assertThat(meta.getUid())
        .matches("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
    assertThat(meta.getCreationTimestamp())
        .as("RFC 3339, seconds")
        .isEqualTo("2025-01-02T03:04:05Z");
    assertThat(meta.getGeneration()).isEqualTo(1L);
    assertThat(meta.getResourceVersion()).isEqualTo(Long.toString(before + 1));
    assertThat(store.resourceVersion()).isEqualTo(before + 1);
    assertThat(store.get(ConfigMap.class, "default", "a")).contains(created);
  }

  @Test
  void oneGlobalResourceVersionMovesByOnePerWrite() {
    long start = store.resourceVersion();
    store.create(configMap("default", "a", Map.of()));
    store.create(service("default", "web", Map.of()));
    store.create(namespace("other"));
    store.delete(key(ConfigMap.class, "default", "a"));
    assertThat(store.resourceVersion()).isEqualTo(start + 4);
  }

  @Test
  void uidsRepeatForTheSameSeed() {
    try (ResourceStore other = Fixtures.store(new TestClock(START))) {
      assertThat(other.create(configMap("default", "a", Map.of())).getMetadata().getUid())
          .isEqualTo(store.create(configMap("default", "a", Map.of())).getMetadata().getUid());
    }
  }

  @Test
  void createOfAnExistingNameIsAlreadyExists() {
    store.create(configMap("default", "a", Map.of()));
    assertThatThrownBy(() -> store.create(configMap("default", "a", Map.of())))
        .isInstanceOfSatisfying(
            ApiException.AlreadyExists.class,
            e -> {
              assertThat(e.getMessage()).isEqualTo("configmaps \"a\" already exists");
              assertThat(e.code()).isEqualTo(409);
              assertThat(e.toStatus().getDetails().getKind()).isEqualTo("configmaps");
            });
  }

  @Test
  void createOverAnObjectBeingDeletedSaysSo() {
    ConfigMap held = configMap("default", "a", Map.of());
    held.getMetadata().setFinalizers(List.of("example.com/hold"));
    store.create(held);
    store.delete(key(ConfigMap.class, "default", "a"));
    assertThatThrownBy(() -> store.create(configMap("default", "a", Map.of())))
        .hasMessage("object is being deleted: configmaps \"a\" already exists");
  }

  @Test
  void generateNameAppendsFiveCharactersOfTheUpstreamAlphabet() {
    ConfigMap template = configMap("default", null, Map.of());
    template.getMetadata().setGenerateName("web-");
    String name = store.create(template).getMetadata().getName();
    assertThat(name).matches("web-[bcdfghjklmnpqrstvwxz2456789]{5}");
    assertThat(store.create(template).getMetadata().getName()).isNotEqualTo(name);
  }

  @Test
  void generateNameCutsThePrefixAt58Characters() {
    ConfigMap template = configMap("default", null, Map.of());
    template.getMetadata().setGenerateName("a".repeat(70));
    assertThat(store.create(template).getMetadata().getName())
        .hasSize(63)
        .startsWith("a".repeat(58));
  }

  @Test
  void generateNameRetriesOnCollisionAndGivesUpAfterEightAttempts() {
    // The store draws names from Random(seed): predict them and take them first.
    List<String> names = predictedNames(42, "x-", 9);
    store.create(configMap("default", names.get(0), Map.of()));
    ConfigMap template = configMap("default", null, Map.of());
    template.getMetadata().setGenerateName("x-");
    assertThat(store.create(template).getMetadata().getName())
        .as("second attempt after a collision")
        .isEqualTo(names.get(1));

    try (ResourceStore fresh = Fixtures.store(new TestClock(START))) {
      for (String name : names.subList(0, 8)) {
        fresh.create(configMap("default", name, Map.of()));
      }
      assertThatThrownBy(() -> fresh.create(template))
          .isInstanceOfSatisfying(
              ApiException.AlreadyExists.class,
              e -> {
                assertThat(e.getMessage())
                    .isEqualTo(
                        "configmaps \""
                            + names.get(7)
                            + "\" already exists, the server was not able to generate a unique"
                            + " name for the object");
                assertThat(e.toStatus().getDetails().getRetryAfterSeconds()).isEqualTo(1);
              });
    }
  }

  private static List<String> predictedNames(long seed, String prefix, int count) {
    Random random = new Random(seed);
    char[] alphabet = "bcdfghjklmnpqrstvwxz2456789".toCharArray();
    List<String> names = new ArrayList<>();
    for (int n = 0; n < count; n++) {
      StringBuilder sb = new StringBuilder(prefix);
      for (int i = 0; i < 5; i++) {
        sb.append(alphabet[random.nextInt(alphabet.length)]);
      }
      names.add(sb.toString());
    }
    return names;
  }

  @Test
  void namespacedObjectInAMissingNamespaceIsNotFound() {
    assertThatThrownBy(() -> store.create(configMap("nope", "a", Map.of())))
        .isInstanceOfSatisfying(
            ApiException.NotFound.class,
            e -> {
              assertThat(e.getMessage()).isEqualTo("namespaces \"nope\" not found");
              assertThat(e.toStatus().getDetails().getKind()).isEqualTo("namespaces");
              assertThat(e.toStatus().getDetails().getName()).isEqualTo("nope");
            });
  }

  @Test
  void createInATerminatingNamespaceIsForbidden() {
    store.create(namespace("doomed"));
    store.create(configMap("doomed", "keep", Map.of()));
    store.delete(key(Namespace.class, null, "doomed"));
    assertThatThrownBy(() -> store.create(configMap("doomed", "b", Map.of())))
        .isInstanceOfSatisfying(
            ApiException.Forbidden.class,
            e -> {
              assertThat(e.getMessage())
                  .isEqualTo(
                      "configmaps \"b\" is forbidden: unable to create new content in namespace"
                          + " doomed because it is being terminated");
              assertThat(e.code()).isEqualTo(403);
            });
    ConfigMap generated = configMap("doomed", null, Map.of());
    generated.getMetadata().setGenerateName("g-");
    assertThatThrownBy(() -> store.create(generated))
        .as("no name yet: NewForbidden leaves it out")
        .hasMessage(
            "configmaps is forbidden: unable to create new content in namespace doomed because"
                + " it is being terminated");
  }

  @Test
  void invalidNamesAreRejectedWith422AndCauses() {
    assertThatThrownBy(() -> store.create(configMap("default", "Bad_Name", Map.of())))
        .isInstanceOfSatisfying(
            ApiException.Invalid.class,
            e -> {
              assertThat(e.getMessage())
                  .startsWith(
                      "ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value:"
                          + " \"Bad_Name\": a lowercase RFC 1123 subdomain");
              var status = e.toStatus();
              assertThat(status.getCode()).isEqualTo(422);
              assertThat(status.getReason()).isEqualTo("Invalid");
              assertThat(status.getDetails().getKind()).isEqualTo("ConfigMap");
              assertThat(status.getDetails().getCauses())
                  .singleElement()
                  .satisfies(
                      c -> {
                        assertThat(c.getField()).isEqualTo("metadata.name");
                        assertThat(c.getReason()).isEqualTo("FieldValueInvalid");
                      });
            });
    Deployment deployment =
        new DeploymentBuilder()
            .withNewMetadata()
            .withName("Web")
            .withNamespace("default")
            .endMetadata()
            .build();
    assertThatThrownBy(() -> store.create(deployment))
        .as("NewInvalid prints the qualified kind")
        .hasMessageStartingWith(
            "Deployment.apps \"Web\" is invalid: metadata.name: Invalid value: \"Web\"");
    assertThatThrownBy(() -> store.create(configMap("default", null, Map.of())))
        .hasMessage(
            "ConfigMap \"\" is invalid: metadata.name: Required value: name or generateName is"
                + " required");
  }

  @Test
  void staleResourceVersionIsConflict() {
    ConfigMap first = store.create(configMap("default", "a", Map.of("k", "1")));
    ConfigMap second = ResourceCopies.copy(first);
    first.setData(Map.of("k", "2"));
    store.update(first);
    second.setData(Map.of("k", "3"));
    assertThatThrownBy(() -> store.update(second))
        .isInstanceOfSatisfying(
            ApiException.Conflict.class,
            e -> {
              assertThat(e.getMessage())
                  .isEqualTo(
                      "Operation cannot be fulfilled on configmaps \"a\": the object has been"
                          + " modified; please apply your changes to the latest version and try"
                          + " again");
              assertThat(e.toStatus().getReason()).isEqualTo("Conflict");
              assertThat(e.toStatus().getDetails().getKind()).isEqualTo("configmaps");
            });
  }

  @Test
  void emptyOrZeroResourceVersionIsAnUnconditionalUpdate() {
    ConfigMap created = store.create(configMap("default", "a", Map.of("k", "1")));
    created.getMetadata().setResourceVersion("0");
    created.setData(Map.of("k", "2"));
    assertThat(store.update(created).getData()).containsEntry("k", "2");
    created.getMetadata().setResourceVersion(null);
    created.setData(Map.of("k", "3"));
    assertThat(store.update(created).getData()).containsEntry("k", "3");
  }

  @Test
  void updateWithAnotherUidIsAPreconditionConflict() {
    ConfigMap created = store.create(configMap("default", "a", Map.of()));
    String uid = created.getMetadata().getUid();
    created.getMetadata().setUid("other");
    created.setData(Map.of("k", "v"));
    assertThatThrownBy(() -> store.update(created))
        .isInstanceOf(ApiException.Conflict.class)
        .hasMessage(
            "Operation cannot be fulfilled on configmaps \"a\": Precondition failed: UID in"
                + " precondition: other, UID in object meta: "
                + uid);
  }

  @Test
  void updateThatChangesNothingWritesNothing() {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put("a", "1");
    labels.put("b", "2");
    ConfigMap cm = configMap("default", "a", Map.of("k", "v"));
    cm.getMetadata().setLabels(labels);
    ConfigMap created = store.create(cm);
    long version = store.resourceVersion();
    List<WatchEvent> events = new java.util.concurrent.CopyOnWriteArrayList<>();
    try (Watch ignored =
        store.watch(
            new WatchOptions(java.util.Set.of(), null, null, false, null, 100), events::add)) {
      Map<String, String> reordered = new LinkedHashMap<>();
      reordered.put("b", "2");
      reordered.put("a", "1");
      created.getMetadata().setLabels(reordered);
      ConfigMap updated = store.update(created);
      assertThat(updated.getMetadata().getResourceVersion()).isEqualTo(Long.toString(version));
      updated.getMetadata().setResourceVersion(null);
      store.update(updated);
      assertThat(store.resourceVersion()).as("no new resourceVersion").isEqualTo(version);
    }
    assertThat(events).as("no event").isEmpty();
  }

  @Test
  void generationMovesOnlyWhenSomethingButMetadataAndStatusChanges() {
    Deployment created = store.create(deployment("web", 1));
    assertThat(created.getMetadata().getGeneration()).isEqualTo(1L);
    created.getMetadata().setLabels(Map.of("new", "label"));
    Deployment relabelled = store.update(created);
    assertThat(relabelled.getMetadata().getGeneration()).as("labels only").isEqualTo(1L);
    relabelled.getSpec().setReplicas(3);
    Deployment scaled = store.update(relabelled);
    assertThat(scaled.getMetadata().getGeneration()).as("spec change").isEqualTo(2L);
    scaled.setStatus(
        new io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder().withReplicas(3).build());
    Deployment withStatus = store.updateStatus(scaled);
    assertThat(withStatus.getMetadata().getGeneration()).as("status change").isEqualTo(2L);
    assertThat(withStatus.getStatus().getReplicas()).isEqualTo(3);
    withStatus.getMetadata().setGeneration(99L);
    assertThat(store.update(withStatus).getMetadata().getGeneration())
        .as("clients cannot set generation")
        .isEqualTo(2L);
  }

  private static Deployment deployment(String name, int replicas) {
    return new DeploymentBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace("default")
        .endMetadata()
        .withNewSpec()
        .withReplicas(replicas)
        .withNewSelector()
        .withMatchLabels(Map.of("app", name))
        .endSelector()
        .endSpec()
        .build();
  }

  @Test
  void statusIsClearedOnCreateAndKeptOnMainUpdates() {
    Pod pod = pod("default", "p", null);
    pod.setStatus(new PodStatusBuilder().withPhase("Running").build());
    Pod created = store.create(pod);
    assertThat(created.getStatus()).as("status cleared on create").isNull();

    created.setStatus(new PodStatusBuilder().withPhase("Running").build());
    Pod afterStatus = store.updateStatus(created);
    assertThat(afterStatus.getStatus().getPhase()).isEqualTo("Running");

    afterStatus.setStatus(new PodStatusBuilder().withPhase("Failed").build());
    afterStatus.getMetadata().setLabels(Map.of("x", "y"));
    Pod afterMain = store.update(afterStatus);
    assertThat(afterMain.getStatus().getPhase())
        .as("main update keeps status")
        .isEqualTo("Running");
    assertThat(afterMain.getMetadata().getLabels()).containsEntry("x", "y");

    afterMain.getSpec().setNodeName("elsewhere");
    afterMain.setStatus(new PodStatusBuilder().withPhase("Succeeded").build());
    Pod afterSecondStatus = store.updateStatus(afterMain);
    assertThat(afterSecondStatus.getSpec().getNodeName()).as("status update keeps spec").isNull();
    assertThat(afterSecondStatus.getStatus().getPhase()).isEqualTo("Succeeded");
  }

  @Test
  void namespaceStartsActive() {
    Namespace created = store.create(namespace("fresh"));
    assertThat(created.getStatus().getPhase()).isEqualTo("Active");
  }

  @Test
  void kindsWithoutStatusKeepWhatTheUpdateSends() {
    ConfigMap created = store.create(configMap("default", "a", Map.of("k", "1")));
    created.setData(Map.of("k", "2"));
    assertThat(store.update(created).getData()).containsEntry("k", "2");
  }

  @Test
  void statusUpdateOfAKindWithoutStatusIsNotFound() {
    ConfigMap created = store.create(configMap("default", "a", Map.of()));
    assertThatThrownBy(() -> store.updateStatus(created))
        .isInstanceOf(ApiException.NotFound.class)
        .hasMessage("the server could not find the requested resource");
  }

  @Test
  void updateOfAMissingObjectIsNotFoundWithTheQualifiedResource() {
    assertThatThrownBy(() -> store.update(deployment("x", 1)))
        .isInstanceOfSatisfying(
            ApiException.NotFound.class,
            e -> {
              assertThat(e.getMessage()).isEqualTo("deployments.apps \"x\" not found");
              assertThat(e.toStatus().getDetails().getGroup()).isEqualTo("apps");
              assertThat(e.toStatus().getDetails().getKind()).isEqualTo("deployments");
            });
  }

  @Test
  void serverSetMetadataSurvivesUpdates() {
    ConfigMap created = store.create(configMap("default", "a", Map.of()));
    ConfigMap changed = ResourceCopies.copy(created);
    changed.getMetadata().setUid(null);
    changed.getMetadata().setCreationTimestamp("1999-01-01T00:00:00Z");
    changed.getMetadata().setDeletionTimestamp("1999-01-01T00:00:00Z");
    changed.setData(Map.of("k", "v"));
    ConfigMap updated = store.update(changed);
    assertThat(updated.getMetadata().getUid()).isEqualTo(created.getMetadata().getUid());
    assertThat(updated.getMetadata().getCreationTimestamp())
        .isEqualTo(created.getMetadata().getCreationTimestamp());
    assertThat(updated.getMetadata().getDeletionTimestamp()).isNull();
  }

  @Test
  void dryRunWritesNothing() {
    long version = store.resourceVersion();
    ConfigMap dry = store.create(configMap("default", "a", Map.of()), new WriteOptions(true, null));
    assertThat(dry.getMetadata().getName()).isEqualTo("a");
    assertThat(store.get(ConfigMap.class, "default", "a")).isEmpty();
    ConfigMap real = store.create(configMap("default", "a", Map.of("k", "1")));
    real.setData(Map.of("k", "2"));
    assertThat(store.update(real, new WriteOptions(true, null)).getData()).containsEntry("k", "2");
    assertThat(store.get(ConfigMap.class, "default", "a").orElseThrow().getData())
        .containsEntry("k", "1");
    assertThat(store.resourceVersion()).isEqualTo(version + 1);
  }

  @Test
  void modifyIsAReadModifyWriteThatCannotConflict() {
    store.create(configMap("default", "a", Map.of("n", "0")));
    ResourceKey key = key(ConfigMap.class, "default", "a");
    ConfigMap updated =
        store.modify(
            ConfigMap.class,
            key,
            cm -> {
              cm.getMetadata().setResourceVersion("1");
              cm.setData(Map.of("n", "1"));
              return cm;
            });
    assertThat(updated.getData()).containsEntry("n", "1");
    long version = store.resourceVersion();
    store.modify(ConfigMap.class, key, cm -> null);
    store.modify(ConfigMap.class, key, cm -> cm);
    assertThat(store.resourceVersion()).as("unchanged copy writes nothing").isEqualTo(version);
    assertThatThrownBy(
            () -> store.modify(ConfigMap.class, key(ConfigMap.class, "default", "zz"), cm -> cm))
        .isInstanceOf(ApiException.NotFound.class);
  }

  @Test
  void applyCreatesThenReplacesWhateverTheResourceVersion() {
    store.apply(configMap("default", "a", Map.of("k", "1")));
    ConfigMap replacement = configMap("default", "a", Map.of("k", "2"));
    replacement.getMetadata().setResourceVersion("12345");
    assertThat(store.apply(replacement).getData()).containsEntry("k", "2");
  }

  @Test
  void listIsSortedAndFiltered() {
    store.create(namespace("b"));
    store.create(namespace("a"));
    store.create(configMap("b", "x", Map.of()));
    store.create(configMap("a", "y", Map.of()));
    store.create(configMap("a", "x", Map.of()));
    ConfigMap labelled = configMap("default", "z", Map.of());
    labelled.getMetadata().setLabels(Map.of("tier", "db"));
    store.create(labelled);

    ResourceList<HasMetadata> all = store.list(ResourceTypes.CONFIG_MAP, ListOptions.all());
    assertThat(all.items())
        .extracting(o -> o.getMetadata().getNamespace() + "/" + o.getMetadata().getName())
        .containsExactly("a/x", "a/y", "b/x", "default/z");
    assertThat(all.resourceVersion()).isEqualTo(store.resourceVersion());
    assertThat(store.list(ConfigMap.class, ListOptions.inNamespace("a")))
        .extracting(o -> o.getMetadata().getName())
        .containsExactly("x", "y");
    assertThat(
            store.list(
                ConfigMap.class, ListOptions.all().withLabels(LabelSelector.parse("tier=db"))))
        .extracting(o -> o.getMetadata().getName())
        .containsExactly("z");
    assertThat(
            store.list(
                ConfigMap.class,
                ListOptions.all()
                    .withFields(FieldSelector.parse("metadata.name=x", ResourceTypes.CONFIG_MAP))))
        .extracting(o -> o.getMetadata().getNamespace())
        .containsExactly("a", "b");
    assertThat(store.listEncoded(ResourceTypes.CONFIG_MAP, ListOptions.inNamespace("b")))
        .hasSize(1);
  }

  @Test
  void readersGetTheirOwnCopies() {
    store.create(configMap("default", "a", Map.of("k", "v")));
    ConfigMap mine = store.get(ConfigMap.class, "default", "a").orElseThrow();
    mine.getData().put("k", "changed");
    assertThat(store.get(ConfigMap.class, "default", "a").orElseThrow().getData())
        .containsEntry("k", "v");
  }

  @Test
  void strategyAllocationsRollBackWhenTheWriteFails() {
    List<String> log = new ArrayList<>();
    store.register(
        ResourceTypes.SERVICE,
        new WriteStrategy() {
          @Override
          public void beforeCreate(HasMetadata object, Transaction tx) {
            log.add("allocate " + object.getMetadata().getName());
            tx.onRollback(() -> log.add("release " + object.getMetadata().getName()));
            tx.onCommit(() -> log.add("commit " + object.getMetadata().getName()));
          }
        });
    store.create(service("default", "web", Map.of()));
    assertThatThrownBy(() -> store.create(service("default", "web", Map.of())))
        .isInstanceOf(ApiException.AlreadyExists.class);
    store.create(service("default", "dry", Map.of()), new WriteOptions(true, null));
    assertThat(log)
        .containsExactly(
            "allocate web",
            "commit web",
            "allocate web",
            "release web",
            "allocate dry",
            "release dry");
  }

  @Test
  void serviceStatusIsKeptOnUpdate() {
    Service created = store.create(service("default", "web", Map.of()));
    created.setStatus(
        new ServiceStatusBuilder()
            .withNewLoadBalancer()
            .addNewIngress()
            .withIp("1.2.3.4")
            .endIngress()
            .endLoadBalancer()
            .build());
    store.updateStatus(created);
    Service current = store.get(Service.class, "default", "web").orElseThrow();
    current.setStatus(null);
    current.getMetadata().setLabels(Map.of("l", "v"));
    assertThat(store.update(current).getStatus().getLoadBalancer().getIngress())
        .extracting(i -> i.getIp())
        .containsExactly("1.2.3.4");
  }
}
