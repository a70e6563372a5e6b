package dev.kemu.api.manifests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kemu.api.model.ResourceTypes;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ManifestLoaderTest {
  private final ManifestLoader loader = new ManifestLoader(new ResourceTypes());

  private static List<String> names(ManifestFile file) {
    return file.documents().stream()
        .map(d -> d.object().getKind() + "/" + d.object().getMetadata().getName())
        .toList();
  }

  @Test
  void multiDocumentYamlIsSplitOnSeparatorLinesAndEmptyDocumentsAreSkipped() {
    String text =
        """
        # header comment
        ---
        apiVersion: v1
        kind: Namespace
        metadata:
          name: shop
        ---
        # only a comment
        ---

        --- # a separator with a comment
        apiVersion: v1
        kind: Service
        metadata:
          name: web
          namespace: shop
        spec:
          ports:
          - port: 80
        ...
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
        """;
    ManifestFile file = loader.parse(Path.of("shop.yaml"), text);

    assertThat(file.problems()).isEmpty();
    assertThat(names(file)).containsExactly("Namespace/shop", "Service/web", "Deployment/web");
    assertThat(file.documents())
        .extracting(ManifestDocument::index, ManifestDocument::line)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(1, 3),
            org.assertj.core.groups.Tuple.tuple(2, 12),
            org.assertj.core.groups.Tuple.tuple(3, 22));
    assertThat(file.documents().get(0).object()).isInstanceOf(Namespace.class);
    assertThat(file.documents().get(1).object()).isInstanceOf(Service.class);
    assertThat(((Service) file.documents().get(1).object()).getSpec().getPorts().get(0).getPort())
        .isEqualTo(80);
    assertThat(file.documents().get(2).object()).isInstanceOf(Deployment.class);
  }

  @Test
  void aSyntaxErrorLosesOnlyItsOwnDocument() {
    String text =
        """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: one
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: two
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: three
         data: [
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: four
        """;
    ManifestFile file = loader.parse(Path.of("bad.yaml"), text);

    assertThat(names(file)).containsExactly("ConfigMap/one", "ConfigMap/two", "ConfigMap/four");
    assertThat(file.problems()).hasSize(1);
    ManifestProblem problem = file.problems().get(0);
    assertThat(problem.documentIndex()).isEqualTo(3);
    assertThat(problem.line()).isEqualTo(15);
    assertThat(problem.toString())
        .startsWith(
            "bad.yaml: document 3 (line 15): error converting YAML to JSON: yaml: line 15: ");
  }

  @Test
  void jsonFilesHoldOneObjectAListOrAStreamOfObjects(@TempDir Path dir) throws Exception {
    Path single = dir.resolve("single.json");
    Files.writeString(
        single,
        "{\"apiVersion\": \"v1\", \"kind\": \"Namespace\", \"metadata\": {\"name\": \"a\"}}");
    Path list = dir.resolve("list.json");
    Files.writeString(
        list,
        """
        {
          "apiVersion": "v1",
          "kind": "List",
          "items": [
            {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s1"}},
            {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d1"}}
          ]
        }
        """);
    Path stream = dir.resolve("stream.json");
    Files.writeString(
        stream,
        """
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c1"}}
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c2"}}
        """);

    assertThat(names(loader.load(single))).containsExactly("Namespace/a");
    ManifestFile listed = loader.load(list);
    assertThat(names(listed)).containsExactly("Service/s1", "Deployment/d1");
    assertThat(listed.documents()).extracting(ManifestDocument::line).containsExactly(5, 6);
    ManifestFile streamed = loader.load(stream);
    assertThat(names(streamed)).containsExactly("ConfigMap/c1", "ConfigMap/c2");
    assertThat(streamed.documents()).extracting(ManifestDocument::index).containsExactly(1, 2);
  }

  @Test
  void typedListsAreFlattenedAndTheirItemsTakeTheListsKind() {
    String text =
        """
        apiVersion: v1
        kind: ServiceList
        items:
        - metadata:
            name: a
        - metadata:
            name: b
        """;
    ManifestFile file = loader.parse(Path.of("services.yaml"), text);

    assertThat(file.problems()).isEmpty();
    assertThat(names(file)).containsExactly("Service/a", "Service/b");
    assertThat(file.documents()).allMatch(d -> d.object() instanceof Service);
    assertThat(file.documents()).extracting(ManifestDocument::line).containsExactly(4, 6);
  }

  @Test
  void unknownKindsAreKeptAsGenericResources() {
    String text =
        """
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata:
          name: web
          namespace: shop
        spec:
          parentRefs:
          - name: gw
          rules:
          - backendRefs:
            - name: web
              port: 80
        """;
    ManifestFile file = loader.parse(Path.of("route.yaml"), text);

    assertThat(file.problems()).isEmpty();
    HasMetadata object = file.documents().get(0).object();
    assertThat(object).isInstanceOf(GenericKubernetesResource.class);
    assertThat(((GenericKubernetesResource) object).getAdditionalProperties().get("spec"))
        .hasToString("{parentRefs=[{name=gw}], rules=[{backendRefs=[{name=web, port=80}]}]}");
  }

  record Case(String name, String text, String problem, String field) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Case> problems() {
    return Stream.of(
        new Case(
            "apimachinery: a document without kind is rejected",
            "apiVersion: v1\nmetadata:\n  name: x\n",
            "x.yaml: document 1 (line 1): Object 'Kind' is missing",
            "kind"),
        new Case(
            "apimachinery: a document without apiVersion is rejected",
            "# c\nkind: Service\nmetadata:\n  name: x\n",
            "x.yaml: document 1 (line 2): Object 'apiVersion' is missing",
            "apiVersion"),
        new Case(
            "apiserver decoding: a string where an int32 is expected names the field",
            """
            apiVersion: v1
            kind: Service
            metadata:
              name: web
            spec:
              ports:
              - name: http
                port: eighty
            """,
            "x.yaml: document 1 (line 8): Service in version \"v1\" cannot be handled as a"
                + " Service: json: cannot unmarshal string into Go struct field"
                + " ServicePort.spec.ports.port of type int32",
            "spec.ports[0].port"),
        new Case(
            "apiserver decoding: an int32 out of range names the field",
            """
            apiVersion: v1
            kind: Service
            metadata:
              name: web
            spec:
              ports:
              - port: 80
              - port: 99999999999
            """,
            "x.yaml: document 1 (line 8): Service in version \"v1\" cannot be handled as a"
                + " Service: json: cannot unmarshal number 99999999999 into Go struct field"
                + " ServicePort.spec.ports.port of type int32",
            "spec.ports[1].port"),
        new Case(
            "apiserver decoding: a list where a map is expected names the field",
            """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: web
              labels:
              - app
            """,
            "x.yaml: document 1 (line 5): ConfigMap in version \"v1\" cannot be handled as a"
                + " ConfigMap: json: cannot unmarshal array into Go struct field"
                + " ObjectMeta.metadata.labels of type map[string]string",
            "metadata.labels"),
        new Case(
            "sigs.k8s.io/yaml: a duplicate key is an error",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n",
            "x.yaml: document 1 (line 5): error converting YAML to JSON: yaml: unmarshal errors:"
                + " line 5: key \"name\" already set in map",
            null),
        new Case(
            "kubectl YAMLReader: only a comment may follow a document separator",
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n--- !!map\nkind: x\n",
            "x.yaml: document 2 (line 5): invalid Yaml document separator: !!map",
            null),
        new Case(
            "kubectl: a removed API version of a built-in kind has no match",
            "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata:\n  name: a\n",
            "x.yaml: document 1 (line 1): no matches for kind \"Ingress\" in version"
                + " \"extensions/v1beta1\" (kemu serves Ingress as networking.k8s.io/v1)",
            "apiVersion"),
        new Case(
            "a document must be an object",
            "- a\n- b\n",
            "x.yaml: document 1 (line 1): json: cannot unmarshal array into an object: a manifest"
                + " document must be an object with apiVersion and kind",
            null),
        new Case(
            "a List item of the wrong type names the item's field",
            """
            apiVersion: v1
            kind: List
            items:
            - apiVersion: v1
              kind: Service
              metadata:
                name: a
            - apiVersion: v1
              kind: Service
              metadata:
                name: b
              spec:
                ports:
                - port: true
            """,
            "x.yaml: document 1 (line 14): Service in version \"v1\" cannot be handled as a"
                + " Service: json: cannot unmarshal bool into Go struct field"
                + " ServicePort.spec.ports.port of type int32",
            "items[1].spec.ports[0].port"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("problems")
  void badDocumentsBecomeProblemsNamingFileDocumentLineAndField(Case c) {
    ManifestFile file = loader.parse(Path.of("x.yaml"), c.text());

    assertThat(file.problems()).hasSize(1);
    assertThat(file.problems().get(0)).hasToString(c.problem());
    assertThat(file.problems().get(0).field()).isEqualTo(c.field());
  }

  @Test
  void jsonSyntaxErrorsNameTheLine() {
    ManifestFile file =
        loader.parse(
            Path.of("x.json"),
            "{\"apiVersion\": \"v1\", \"kind\": \"Namespace\", \"metadata\": {\"name\": \"a\"}}\n"
                + "{\"apiVersion\": \"v1\",\n \"kind\": }\n");

    assertThat(names(file)).containsExactly("Namespace/a");
    assertThat(file.problems()).hasSize(1);
    assertThat(file.problems().get(0).toString()).startsWith("x.json: document 2 (line 3): json:");
  }

  @Test
  void lineOfFindsAFieldOrItsNearestParent() {
    String text =
        """
        apiVersion: v1
        kind: Service
        metadata:
          name: web
          labels:
            app.kubernetes.io/name: web
        spec:
          ports:
          - name: http
            port: 70000
        """;
    ManifestDocument document = loader.parse(Path.of("x.yaml"), text).documents().get(0);

    assertThat(document.lineOf("spec.ports[0].port")).isEqualTo(10);
    assertThat(document.lineOf("spec.ports[0].targetPort")).isEqualTo(9);
    assertThat(document.lineOf("metadata.labels[app.kubernetes.io/name]")).isEqualTo(6);
    assertThat(document.lineOf("status.loadBalancer")).isEqualTo(1);
  }
}
