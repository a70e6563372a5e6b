package dev.kemu.api.patch;

import static dev.kemu.api.patch.PatchFixture.bytes;
import static dev.kemu.api.patch.PatchFixture.read;
import static dev.kemu.api.patch.PatchFixture.tree;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kemu.api.model.ResourceCodec;
import dev.kemu.api.model.ResourceTypes;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Sequences of applies by several managers on a Pod, after the cases of {@code
 * structured-merge-diff/v4/internal/fixture} tests ({@code merge/multiple_appliers_test.go}, {@code
 * merge/set_test.go}, {@code merge/nested_test.go}, {@code merge/conflict_test.go}, {@code
 * merge/leaf_test.go}): each case is the configs applied in order and the resulting object, or the
 * conflict the last apply meets.
 */
class ApplySequenceTest {
  private final PatchEngine engine = PatchEngine.builtIn(PatchFixture.clock());

  /** One apply: manager, force, the Pod's spec/metadata as flow YAML. */
  record Step(String manager, boolean force, String body) {
    @Override
    public String toString() {
      return manager + (force ? "(force)" : "") + ": " + body;
    }
  }

  private static Step apply(String manager, String body) {
    return new Step(manager, false, body);
  }

  private static Step force(String manager, String body) {
    return new Step(manager, true, body);
  }

  static Stream<Arguments> sequences() {
    return Stream.of(
        arguments(
            "leaf: an applier changes its own field (leaf_test: apply twice)",
            List.of(apply("a", "{spec: {nodeName: n1}}"), apply("a", "{spec: {nodeName: n2}}")),
            "{spec: {nodeName: n2}}",
            null),
        arguments(
            "leaf: another applier's different value conflicts (conflict_test)",
            List.of(apply("a", "{spec: {nodeName: n1}}"), apply("b", "{spec: {nodeName: n2}}")),
            null,
            "Apply failed with 1 conflict: conflict with \"a\": .spec.nodeName"),
        arguments(
            "leaf: force takes the field, the first applier dropping it later leaves it"
                + " (multiple_appliers_test)",
            List.of(
                apply("a", "{spec: {nodeName: n1, hostname: h}}"),
                force("b", "{spec: {nodeName: n2}}"),
                apply("a", "{spec: {hostname: h}}")),
            "{spec: {nodeName: n2, hostname: h}}",
            null),
        arguments(
            "set: two appliers own different values and both stay (set_test)",
            List.of(
                apply("a", "{metadata: {finalizers: [x/a]}}"),
                apply("b", "{metadata: {finalizers: [x/b]}}")),
            "{metadata: {finalizers: [x/a, x/b]}}",
            null),
        arguments(
            "set: an applier removing its value removes it from the set (set_test)",
            List.of(
                apply("a", "{metadata: {finalizers: [x/a, x/c]}}"),
                apply("b", "{metadata: {finalizers: [x/b]}}"),
                apply("a", "{metadata: {finalizers: [x/a]}}")),
            "{metadata: {finalizers: [x/a, x/b]}}",
            null),
        arguments(
            "associative list: an item the applier no longer applies is removed (nested_test)",
            List.of(
                apply("a", "{spec: {containers: [{name: c1, image: i1}, {name: c2, image: i2}]}}"),
                apply("a", "{spec: {containers: [{name: c1, image: i1}]}}")),
            "{spec: {containers: [{name: c1, image: i1}]}}",
            null),
        arguments(
            "associative list: an item co-owned by another applier keeps that applier's fields"
                + " (nested_test)",
            List.of(
                apply("a", "{spec: {containers: [{name: c1, image: i1}]}}"),
                apply("b", "{spec: {containers: [{name: c1, workingDir: /w}]}}"),
                apply("a", "{spec: {containers: []}}")),
            "{spec: {containers: [{name: c1, workingDir: /w}]}}",
            null),
        arguments(
            "associative list: new items of a second applier come after the live items",
            List.of(
                apply("a", "{spec: {containers: [{name: c1, image: i1}]}}"),
                apply("b", "{spec: {containers: [{name: c0, image: i0}]}}")),
            "{spec: {containers: [{name: c1, image: i1}, {name: c0, image: i0}]}}",
            null),
        arguments(
            "associative list keyed by containerPort+protocol with protocol defaulted to TCP",
            List.of(
                apply(
                    "a",
                    "{spec: {containers: [{name: c, image: i, ports: [{containerPort: 80, name: web}]}]}}"),
                apply(
                    "b",
                    "{spec: {containers: [{name: c, ports: [{containerPort: 80, protocol: UDP, name: dns}]}]}}")),
            "{spec: {containers: [{name: c, image: i, ports: [{containerPort: 80, name: web},"
                + " {containerPort: 80, protocol: UDP, name: dns}]}]}}",
            null),
        arguments(
            "atomic list: another applier's different list conflicts on the whole list",
            List.of(
                apply("a", "{spec: {containers: [{name: c, image: i, args: [x, y]}]}}"),
                apply("b", "{spec: {containers: [{name: c, args: [z]}]}}")),
            null,
            "Apply failed with 1 conflict: conflict with \"a\":"
                + " .spec.containers[name=\"c\"].args"),
        arguments(
            "atomic list: force replaces the list whole",
            List.of(
                apply("a", "{spec: {containers: [{name: c, image: i, args: [x, y]}]}}"),
                force("b", "{spec: {containers: [{name: c, args: [z]}]}}")),
            "{spec: {containers: [{name: c, image: i, args: [z]}]}}",
            null),
        arguments(
            "atomic struct: a label selector is owned whole (x-kubernetes-map-type atomic)",
            List.of(
                apply(
                    "a",
                    "{spec: {affinity: {podAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [{topologyKey: k, labelSelector: {matchLabels: {x: y}}}]}}}}"),
                apply(
                    "a",
                    "{spec: {affinity: {podAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [{topologyKey: k, labelSelector: {matchLabels: {z: w}}}]}}}}")),
            "{spec: {affinity: {podAffinity: {requiredDuringSchedulingIgnoredDuringExecution:"
                + " [{topologyKey: k, labelSelector: {matchLabels: {z: w}}}]}}}}",
            null),
        arguments(
            "map entries: labels are owned per key by each applier",
            List.of(
                apply("a", "{metadata: {labels: {one: '1'}}}"),
                apply("b", "{metadata: {labels: {two: '2'}}}"),
                apply("a", "{metadata: {}}")),
            "{metadata: {labels: {two: '2'}}}",
            null),
        arguments(
            "two conflicting fields with one manager are both listed",
            List.of(
                apply("a", "{spec: {nodeName: n1, hostname: h1}}"),
                apply("b", "{spec: {nodeName: n2, hostname: h2}}")),
            null,
            "Apply failed with 2 conflicts: conflicts with \"a\":\n- .spec.hostname\n- .spec.nodeName"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("sequences")
  void appliesInOrder(String name, List<Step> steps, String expected, String conflict) {
    byte[] live = null;
    for (int i = 0; i < steps.size(); i++) {
      Step step = steps.get(i);
      JsonNode config = tree("{apiVersion: v1, kind: Pod, metadata: {name: p}}");
      JsonNode body = tree(step.body());
      JsonNode merged = PatchEngine.mergeValue(config, body);
      byte[] current = live;
      if (conflict != null && i == steps.size() - 1) {
        assertThatThrownBy(() -> apply(current, merged, step)).hasMessage(conflict);
        return;
      }
      live = apply(current, merged, step);
    }
    StrategicMergePatchTest.assertContains(read(live), tree(expected));
    assertThat(read(live).at("/metadata/managedFields").isArray()).isTrue();
  }

  private byte[] apply(byte[] live, JsonNode config, Step step) {
    return engine
        .patch(
            ResourceTypes.POD,
            live,
            bytes(ResourceCodec.json().valueToTree(config).toString()),
            PatchEngine.APPLY_PATCH_YAML,
            PatchOptions.apply(step.manager(), step.force()))
        .json();
  }
}
