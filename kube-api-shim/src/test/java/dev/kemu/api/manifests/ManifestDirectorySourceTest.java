package dev.kemu.api.manifests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kemu.api.manifests.ApplyReport.Action;
import dev.kemu.api.model.FieldError;
import dev.kemu.api.model.FieldPath;
import dev.kemu.api.model.ResourceCodec;
import dev.kemu.api.model.ResourceKey;
import dev.kemu.api.model.ResourceType;
import dev.kemu.api.model.ResourceTypes;
import dev.kemu.api.store.ApiException;
import dev.kemu.api.store.ListOptions;
import dev.kemu.api.store.ResourceStore;
import dev.kemu.api.store.Transaction;
import dev.kemu.api.store.WriteStrategy;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManifestDirectorySourceTest {
  /** The acceptance is "within a second"; the assertion allows for a loaded build machine. */
  private static final Duration RELOAD = Duration.ofSeconds(2);

  @TempDir Path dir;

  private final ResourceStore store = new ResourceStore();
  private final List<ManifestDirectorySource> sources = new ArrayList<>();
  private final List<ApplyReport> reports = new CopyOnWriteArrayList<>();

  @BeforeEach
  void defaultNamespace() {
    store.create(
        new NamespaceBuilder().withNewMetadata().withName("default").endMetadata().build());
  }

  @AfterEach
  void close() {
    sources.forEach(ManifestDirectorySource::close);
    store.close();
  }

  private ManifestDirectorySource source(boolean watch, Path... paths) {
    ManifestDirectorySource source =
        new ManifestDirectorySource(store, List.of(paths), watch, reports::add);
    sources.add(source);
    return source;
  }

  private static Path write(Path file, String text) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, text);
    return file;
  }

  private <T extends HasMetadata> T get(Class<T> kind, String namespace, String name) {
    return store.get(kind, namespace, name).orElse(null);
  }

  private static String configMap(String name, String value) {
    return """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: %s
        data:
          value: "%s"
        """
        .formatted(name, value);
  }

  private static void awaitReload(String what, java.util.concurrent.Callable<Boolean> condition) {
    long start = System.nanoTime();
    await(what).atMost(RELOAD).pollInterval(Duration.ofMillis(5)).until(condition);
    System.out.printf(
        "%s: applied %d ms after the write%n", what, (System.nanoTime() - start) / 1_000_000);
  }

  // ---------------------------------------------------------------- loading and ordering

  @Test
  void anyFileOrderWorksAcrossDirectoriesFormatsAndLists() throws IOException {
    // The Service's file sorts before the Namespace's, and the Deployment sits in a subdirectory.
    write(
        dir.resolve("a-service.yaml"),
        """
        apiVersion: v1
        kind: Service
        metadata:
          name: web
          namespace: shop
        spec:
          ports:
          - port: 80
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: settings
        """);
    write(
        dir.resolve("apps/web/deployment.json"),
        """
        {"apiVersion": "v1", "kind": "List", "items": [
          {"apiVersion": "apps/v1", "kind": "Deployment",
           "metadata": {"name": "web", "namespace": "shop"},
           "spec": {"selector": {"matchLabels": {"app": "web"}},
                    "template": {"metadata": {"labels": {"app": "web"}},
                                 "spec": {"containers": [{"name": "web", "image": "kemu/echo"}]}}}}
        ]}
        """);
    write(
        dir.resolve("z-namespace.yml"),
        """
        apiVersion: v1
        kind: Namespace
        metadata:
          name: shop
        """);

    ApplyReport report = source(false, dir).start();

    assertThat(report.problems()).isEmpty();
    assertThat(report.objects())
        .extracting(o -> o.key().toString())
        .containsExactly(
            "Namespace shop",
            "ConfigMap default/settings",
            "Service shop/web",
            "Deployment shop/web");
    assertThat(report.keys(Action.CREATED)).hasSize(4);
    assertThat(get(Service.class, "shop", "web").getSpec().getPorts())
        .extracting(ServicePort::getPort)
        .containsExactly(80);
    assertThat(get(ConfigMap.class, "default", "settings")).isNotNull();
    assertThat(get(Deployment.class, "shop", "web")).isNotNull();
    assertThat(reports).containsExactly(report);
  }

  @Test
  void applyingTheSameFilesAgainLeavesObjectsUnchanged() throws IOException {
    write(dir.resolve("cm.yaml"), configMap("a", "1"));
    source(false, dir).start();

    ManifestDirectorySource again = source(false, dir);
    ApplyReport report = again.start();

    assertThat(report.keys(Action.UNCHANGED)).extracting(ResourceKey::name).containsExactly("a");
  }

  @Test
  void onlyManifestFilesAreReadAndFilesGivenByNameWhateverTheirExtension() throws IOException {
    write(dir.resolve("m/good.yaml"), configMap("good", "1"));
    write(dir.resolve("m/.hidden.yaml"), configMap("hidden", "1"));
    write(dir.resolve("m/good.yaml~"), configMap("backup", "1"));
    write(dir.resolve("m/.#good.yaml"), configMap("lock", "1"));
    write(dir.resolve("m/#good.yaml#"), configMap("autosave", "1"));
    write(dir.resolve("m/notes.txt"), configMap("notes", "1"));
    write(dir.resolve("m/.git/config.yaml"), configMap("git", "1"));
    Path named = write(dir.resolve("other/manifest.txt"), configMap("named", "1"));

    ApplyReport report = source(false, dir.resolve("m"), named).start();

    assertThat(report.problems()).isEmpty();
    assertThat(store.list(ConfigMap.class, ListOptions.all()))
        .extracting(c -> c.getMetadata().getName())
        .containsExactlyInAnyOrder("good", "named");
  }

  @Test
  void aMissingPathIsAProblemAndTheOtherPathsStillApply() throws IOException {
    write(dir.resolve("cm.yaml"), configMap("a", "1"));
    Path missing = dir.resolve("nope");

    ApplyReport report = source(false, missing, dir).start();

    assertThat(report.problems())
        .extracting(ManifestProblem::toString)
        .containsExactly(missing + ": the path \"" + missing + "\" does not exist");
    assertThat(get(ConfigMap.class, "default", "a")).isNotNull();
  }

  // ---------------------------------------------------------------- problems

  @Test
  void aYamlSyntaxErrorNamesTheFileAndLineAndEverythingElseApplies() throws IOException {
    Path bad =
        write(
            dir.resolve("bad.yaml"),
            configMap("one", "1")
                + "---\n"
                + configMap("two", "2")
                + "---\n"
                + "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: three\n data: [\n"
                + "---\n"
                + configMap("four", "4"));
    write(dir.resolve("good.yaml"), configMap("five", "5"));

    ApplyReport report = source(false, dir).start();

    assertThat(report.problems()).hasSize(1);
    assertThat(report.problems().get(0).toString())
        .startsWith(
            bad
                + ": document 3 (line 19): error converting YAML to JSON: yaml: line 19: expected"
                + " <block end>");
    assertThat(store.list(ConfigMap.class, ListOptions.all()))
        .extracting(c -> c.getMetadata().getName())
        .containsExactlyInAnyOrder("one", "two", "four", "five");
  }

  /** A stand-in for Service validation: rejects ports out of range as the apiserver does. */
  private static final class PortRangeStrategy implements WriteStrategy {
    @Override
    public void beforeCreate(HasMetadata object, Transaction tx) {
      validate((Service) object);
    }

    @Override
    public void beforeUpdate(HasMetadata object, HasMetadata old, Transaction tx) {
      validate((Service) object);
    }

    private static void validate(Service service) {
      List<FieldError> errors = new ArrayList<>();
      List<ServicePort> ports = service.getSpec().getPorts();
      for (int i = 0; i < ports.size(); i++) {
        Integer port = ports.get(i).getPort();
        if (port == null || port < 1 || port > 65535) {
          errors.add(
              FieldError.invalid(
                  FieldPath.of("spec").child("ports").index(i).child("port"),
                  port,
                  "must be between 1 and 65535, inclusive"));
        }
      }
      if (!errors.isEmpty()) {
        throw new ApiException.Invalid(
            ResourceTypes.SERVICE, service.getMetadata().getName(), errors);
      }
    }
  }

  @Test
  void aRejectedObjectIsReportedWithFileDocumentLineAndTheApiserverMessage() throws IOException {
    store.register(ResourceTypes.SERVICE, new PortRangeStrategy());
    Path file =
        write(
            dir.resolve("shop/web.yaml"),
            """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: before
            ---
            apiVersion: v1
            kind: Service
            metadata:
              name: web
            spec:
              ports:
              - name: http
                port: 70000
            ---
            apiVersion: v1
            kind: Service
            metadata:
              name: api
            spec:
              ports:
              - port: 8080
            """);
    write(dir.resolve("shop/z.yaml"), configMap("after", "1"));

    ApplyReport report = source(false, dir).start();

    assertThat(report.problems()).hasSize(1);
    ManifestProblem problem = report.problems().get(0);
    assertThat(problem)
        .hasToString(
            file
                + ": document 2 (line 13): Service \"web\" is invalid: spec.ports[0].port: Invalid"
                + " value: 70000: must be between 1 and 65535, inclusive");
    assertThat(problem.field()).isEqualTo("spec.ports[0].port");
    assertThat(report.keys(Action.CREATED))
        .extracting(ResourceKey::name)
        .containsExactlyInAnyOrder("before", "api", "after");
    assertThat(get(Service.class, "default", "web")).isNull();
  }

  @Test
  void anObjectInAMissingNamespaceGetsTheApiserversNotFound() throws IOException {
    Path file =
        write(
            dir.resolve("cm.yaml"),
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: nowhere\n");

    ApplyReport report = source(false, dir).start();

    assertThat(report.problems())
        .extracting(ManifestProblem::toString)
        .containsExactly(file + ": document 1 (line 1): namespaces \"nowhere\" not found");
  }

  @Test
  void generateNameCannotBeApplied() throws IOException {
    Path file =
        write(
            dir.resolve("cm.yaml"),
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  generateName: job-\n");

    ApplyReport report = source(false, dir).start();

    assertThat(report.problems())
        .extracting(ManifestProblem::toString)
        .containsExactly(
            file + ": document 1 (line 4): from job-: cannot use generate name with apply");
  }

  // ---------------------------------------------------------------- unknown kinds and CRDs

  @Test
  void unknownKindsAreStoredAndServedBackUnchanged() throws IOException {
    String route =
        """
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata:
          name: web
          namespace: default
        spec:
          parentRefs:
          - name: gateway
            sectionName: http
          hostnames: ["shop.example.com"]
          rules:
          - matches:
            - path: {type: PathPrefix, value: /api}
            backendRefs:
            - name: api
              port: 8080
              weight: 90
        """;
    write(dir.resolve("route.yaml"), route);

    ApplyReport report = source(false, dir).start();

    assertThat(report.problems()).isEmpty();
    ResourceType type =
        store.types().find("gateway.networking.k8s.io/v1", "HTTPRoute").orElseThrow();
    assertThat(type.namespaced()).isTrue();
    HasMetadata stored = store.get(new ResourceKey(type, "default", "web")).orElseThrow();
    assertThat(stored).isInstanceOf(GenericKubernetesResource.class);
    JsonNode written = ResourceCodec.yaml().readTree(route);
    assertThat(ResourceCodec.tree(stored).get("spec")).isEqualTo(written.get("spec"));
  }

  @Test
  void aCustomResourceTakesTheScopeItsDefinitionDeclares() throws IOException {
    write(
        dir.resolve("a-widget.yaml"),
        """
        apiVersion: example.com/v1
        kind: Widget
        metadata:
          name: w
        spec:
          size: 3
        """);
    write(
        dir.resolve("b-crd.yaml"),
        """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata:
          name: widgets.example.com
        spec:
          group: example.com
          scope: Namespaced
          names:
            kind: Widget
            plural: widgets
            singular: widget
          versions:
          - name: v1
            served: true
            storage: true
            schema:
              openAPIV3Schema:
                type: object
                x-kubernetes-preserve-unknown-fields: true
        """);

    ApplyReport report = source(false, dir).start();

    assertThat(report.problems()).isEmpty();
    assertThat(report.objects())
        .extracting(o -> o.key().toString())
        .containsExactly("CustomResourceDefinition widgets.example.com", "Widget default/w");
    ResourceType widget = store.types().find("example.com/v1", "Widget").orElseThrow();
    assertThat(widget.plural()).isEqualTo("widgets");
    assertThat(widget.namespaced()).isTrue();
  }

  // ---------------------------------------------------------------- two files, one object

  @Test
  void anObjectInTwoFilesTakesTheLastAndFallsBackToTheOtherWhenRemoved() throws IOException {
    write(dir.resolve("a.yaml"), configMap("shared", "from-a"));
    Path b = write(dir.resolve("b.yaml"), configMap("shared", "from-b"));
    ManifestDirectorySource source = source(false, dir);
    source.start();
    assertThat(get(ConfigMap.class, "default", "shared").getData())
        .containsEntry("value", "from-b");

    Files.delete(b);
    ApplyReport report = source.rescan();

    assertThat(report.keys(Action.DELETED)).isEmpty();
    assertThat(get(ConfigMap.class, "default", "shared").getData())
        .containsEntry("value", "from-a");
  }

  // ---------------------------------------------------------------- hot reload

  @Test
  void anEditedFileIsAppliedWithinASecond() throws IOException {
    Path file = write(dir.resolve("cm.yaml"), configMap("live", "1"));
    source(true, dir).start();

    write(file, configMap("live", "2"));

    awaitReload(
        "edited file",
        () -> "2".equals(get(ConfigMap.class, "default", "live").getData().get("value")));
    await().atMost(RELOAD).until(() -> reports.size() == 2);
    assertThat(reports.get(1).objects())
        .extracting(o -> o.key().name() + " " + o.action())
        .containsExactly("live UPDATED");
  }

  @Test
  void anObjectRemovedFromAFileIsDeleted() throws IOException {
    Path file =
        write(dir.resolve("cms.yaml"), configMap("keep", "1") + "---\n" + configMap("drop", "1"));
    source(true, dir).start();
    assertThat(get(ConfigMap.class, "default", "drop")).isNotNull();

    write(file, configMap("keep", "1"));

    awaitReload("removed object", () -> get(ConfigMap.class, "default", "drop") == null);
    assertThat(get(ConfigMap.class, "default", "keep")).isNotNull();
  }

  @Test
  void aDeletedFilesObjectsAreDeletedAndObjectsFromElsewhereAreNeverPruned() throws IOException {
    Path file =
        write(dir.resolve("cms.yaml"), configMap("mine", "1") + "---\n" + configMap("also", "1"));
    source(true, dir).start();
    store.create(
        new ConfigMapBuilder()
            .withNewMetadata()
            .withName("theirs")
            .endMetadata()
            .withData(Map.of("value", "api"))
            .build());

    Files.delete(file);

    awaitReload(
        "deleted file",
        () ->
            get(ConfigMap.class, "default", "mine") == null
                && get(ConfigMap.class, "default", "also") == null);
    assertThat(get(ConfigMap.class, "default", "theirs")).isNotNull();
    // Reloads may come in more than one report (editors and the kernel split events).
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(2))
        .untilAsserted(
            () ->
                assertThat(reports.stream().flatMap(r -> r.keys(Action.DELETED).stream()))
                    .extracting(ResourceKey::name)
                    .containsExactlyInAnyOrder("mine", "also"));
  }

  @Test
  void aNewFileIsAppliedAlsoInANewSubdirectory() throws IOException {
    source(true, dir).start();

    write(dir.resolve("new.yaml"), configMap("fresh", "1"));
    awaitReload("new file", () -> get(ConfigMap.class, "default", "fresh") != null);

    write(dir.resolve("sub/dir/deeper.yaml"), configMap("deep", "1"));
    awaitReload("new subdirectory", () -> get(ConfigMap.class, "default", "deep") != null);

    write(dir.resolve("sub/dir/deeper.yaml"), configMap("deep", "2"));
    awaitReload(
        "file in new subdirectory edited",
        () -> "2".equals(get(ConfigMap.class, "default", "deep").getData().get("value")));
  }

  @Test
  void aNamespaceArrivingAfterItsObjectsLetsThemApply() throws IOException {
    source(true, dir).start();

    write(
        dir.resolve("svc.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: late\n");
    await().atMost(RELOAD).until(() -> reports.stream().anyMatch(ApplyReport::hasProblems));
    write(dir.resolve("ns.yaml"), "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: late\n");

    awaitReload("namespace after its objects", () -> get(ConfigMap.class, "late", "c") != null);
  }

  @Test
  void anObjectTheFileNoLongerDefinesIsNotPrunedIfTheApiCreatedIt() throws IOException {
    // An object the API created, which a file then adopts and drops again, is the file's to prune;
    // one the file never applied is not, even if the file defined it and the store rejected it.
    store.register(ResourceTypes.SERVICE, new PortRangeStrategy());
    store.create(
        new io.fabric8.kubernetes.api.model.ServiceBuilder()
            .withNewMetadata()
            .withName("api")
            .endMetadata()
            .withNewSpec()
            .addNewPort()
            .withPort(80)
            .endPort()
            .endSpec()
            .build());
    Path file =
        write(
            dir.resolve("svc.yaml"),
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: api\nspec:\n  ports:\n"
                + "  - port: 70000\n");
    source(true, dir).start();

    write(file, configMap("other", "1"));

    awaitReload("file edited", () -> get(ConfigMap.class, "default", "other") != null);
    assertThat(get(Service.class, "default", "api").getSpec().getPorts().get(0).getPort())
        .isEqualTo(80);
  }

  @Test
  void aDocumentThatCannotBeReadIsNotPrunedUntilTheFileIsWhole() throws IOException {
    Path file =
        write(
            dir.resolve("cms.yaml"), configMap("first", "1") + "---\n" + configMap("second", "1"));
    source(true, dir).start();

    // Saved mid-edit: the second document is broken, the first is edited.
    write(file, configMap("first", "2") + "---\napiVersion: v1\nkind: ConfigMap\n  bad: [\n");
    awaitReload(
        "half-edited file",
        () -> "2".equals(get(ConfigMap.class, "default", "first").getData().get("value")));
    assertThat(get(ConfigMap.class, "default", "second")).isNotNull();

    write(file, configMap("first", "3"));
    awaitReload("repaired file", () -> get(ConfigMap.class, "default", "second") == null);
  }

  @Test
  void closeStopsTheWatchThread() throws IOException {
    write(dir.resolve("cm.yaml"), configMap("a", "1"));
    ManifestDirectorySource source = source(true, dir);
    source.start();
    assertThat(source.isWatching()).isTrue();

    source.close();

    assertThat(source.isWatching()).isFalse();
  }

  @Test
  void withoutWatchNothingIsWatched() throws IOException {
    write(dir.resolve("cm.yaml"), configMap("a", "1"));
    ManifestDirectorySource source = source(false, dir);
    source.start();

    assertThat(source.isWatching()).isFalse();
  }
}
