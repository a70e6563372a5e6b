package dev.kemu.api.validation;

import static dev.kemu.api.registry.RegistryFixture.messages;
import static dev.kemu.api.registry.RegistryFixture.yaml;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.kemu.api.registry.RegistryFixture;
import dev.kemu.api.store.ApiException;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The selector and template rules of {@code pkg/apis/apps/validation} and the defaults of {@code
 * pkg/apis/apps/v1/defaults.go}, through the store.
 */
class WorkloadValidationTest {
  private static final String TEMPLATE =
      "template:\n"
          + "  metadata: {labels: {app: web}}\n"
          + "  spec: {containers: [{name: app, image: kemu/echo}]}";

  private final RegistryFixture cluster = new RegistryFixture();

  @AfterEach
  void close() {
    cluster.close();
  }

  private static String workload(String kind, String spec) {
    return "apiVersion: apps/v1\nkind: "
        + kind
        + "\nmetadata:\n  name: web\nspec:\n"
        + spec.indent(2);
  }

  static Stream<Arguments> invalid() {
    return Stream.of(
        arguments(
            "Deployment selector is required",
            Deployment.class,
            workload("Deployment", TEMPLATE),
            List.of(
                "spec.selector: Required value",
                "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\"}:"
                    + " `selector` does not match template `labels`")),
        arguments(
            "Deployment selector matches the template labels",
            Deployment.class,
            workload("Deployment", "selector: {matchLabels: {app: api}}\n" + TEMPLATE),
            List.of(
                "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\"}:"
                    + " `selector` does not match template `labels`")),
        arguments(
            "Deployment selector is not empty",
            Deployment.class,
            workload("Deployment", "selector: {}\n" + TEMPLATE),
            List.of(
                "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil),"
                    + " MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is"
                    + " invalid for deployment")),
        arguments(
            "Deployment replicas are not negative",
            Deployment.class,
            workload(
                "Deployment", "replicas: -1\nselector: {matchLabels: {app: web}}\n" + TEMPLATE),
            List.of("spec.replicas: Invalid value: -1: must be greater than or equal to 0")),
        arguments(
            "Deployment pods restart Always",
            Deployment.class,
            workload(
                "Deployment",
                "selector: {matchLabels: {app: web}}\n"
                    + TEMPLATE.replace("spec: {", "spec: {restartPolicy: Never, ")),
            List.of(
                "spec.template.spec.restartPolicy: Unsupported value: \"Never\": supported"
                    + " values: \"Always\"")),
        arguments(
            "Deployment maxUnavailable is at most 100%",
            Deployment.class,
            workload(
                "Deployment",
                "selector: {matchLabels: {app: web}}\n"
                    + "strategy: {rollingUpdate: {maxUnavailable: 150%}}\n"
                    + TEMPLATE),
            List.of(
                "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 150%: must not be"
                    + " greater than 100%")),
        arguments(
            "Deployment strategy is Recreate or RollingUpdate",
            Deployment.class,
            workload(
                "Deployment",
                "selector: {matchLabels: {app: web}}\nstrategy: {type: BlueGreen}\n" + TEMPLATE),
            List.of(
                "spec.strategy: Unsupported value: apps.DeploymentStrategy{Type:\"BlueGreen\","
                    + " RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}: supported values:"
                    + " \"Recreate\", \"RollingUpdate\"")),
        arguments(
            "Deployment template containers are validated",
            Deployment.class,
            workload(
                "Deployment",
                "selector: {matchLabels: {app: web}}\n"
                    + TEMPLATE.replace(
                        "image: kemu/echo", "image: kemu/echo, ports: [{containerPort: 0}]")),
            List.of("spec.template.spec.containers[0].ports[0].containerPort: Required value")),
        arguments(
            "ReplicaSet selector matches the template labels",
            ReplicaSet.class,
            workload("ReplicaSet", "selector: {matchLabels: {app: api}}\n" + TEMPLATE),
            List.of(
                "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\"}:"
                    + " `selector` does not match template `labels`")),
        arguments(
            "StatefulSet selector is required",
            StatefulSet.class,
            workload("StatefulSet", "serviceName: web\n" + TEMPLATE),
            List.of(
                "spec.selector: Required value",
                "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\"}:"
                    + " `selector` does not match template `labels`")),
        arguments(
            "StatefulSet podManagementPolicy is OrderedReady or Parallel",
            StatefulSet.class,
            workload(
                "StatefulSet",
                "podManagementPolicy: Random\nselector: {matchLabels: {app: web}}\n" + TEMPLATE),
            List.of(
                "spec.podManagementPolicy: Invalid value: \"Random\": must be 'OrderedReady' or"
                    + " 'Parallel'")),
        arguments(
            "DaemonSet selector matches the template labels",
            DaemonSet.class,
            workload(
                "DaemonSet",
                "selector: {matchExpressions: [{key: app, operator: In, values: [api]}]}\n"
                    + TEMPLATE),
            List.of(
                "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\"}:"
                    + " `selector` does not match template `labels`")),
        arguments(
            "DaemonSet selector is not empty",
            DaemonSet.class,
            workload("DaemonSet", "selector: {}\n" + TEMPLATE),
            List.of(
                "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil),"
                    + " MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is"
                    + " invalid for daemonset")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalid")
  void rejectsWithTheApiserverMessages(
      String rule, Class<? extends HasMetadata> kind, String manifest, List<String> expected) {
    ApiException.Invalid e = cluster.rejectCreate(kind, manifest);
    assertThat(messages(e)).containsExactlyElementsOf(expected);
    assertThat(e.getMessage())
        .isEqualTo(
            kind.getSimpleName()
                + ".apps \"web\" is invalid: "
                + (expected.size() == 1
                    ? expected.get(0)
                    : "[" + String.join(", ", expected) + "]"));
  }

  @Test
  void deploymentDefaultsAreWhatControllersExpect() {
    Deployment d =
        cluster.create(
            Deployment.class,
            workload("Deployment", "selector: {matchLabels: {app: web}}\n" + TEMPLATE));
    var spec = d.getSpec();
    assertThat(spec.getReplicas()).isEqualTo(1);
    assertThat(spec.getStrategy().getType()).isEqualTo("RollingUpdate");
    assertThat(spec.getStrategy().getRollingUpdate().getMaxUnavailable().getStrVal())
        .isEqualTo("25%");
    assertThat(spec.getStrategy().getRollingUpdate().getMaxSurge().getStrVal()).isEqualTo("25%");
    assertThat(spec.getRevisionHistoryLimit()).isEqualTo(10);
    assertThat(spec.getProgressDeadlineSeconds()).isEqualTo(600);
    var pod = spec.getTemplate().getSpec();
    assertThat(pod.getRestartPolicy()).isEqualTo("Always");
    assertThat(pod.getTerminationGracePeriodSeconds()).isEqualTo(30L);
    assertThat(pod.getDnsPolicy()).isEqualTo("ClusterFirst");
    assertThat(pod.getSchedulerName()).isEqualTo("default-scheduler");
    assertThat(d.getStatus()).isNotNull();
    assertThat(d.getMetadata().getGeneration()).isEqualTo(1L);
  }

  @Test
  void statefulSetAndDaemonSetDefaults() {
    StatefulSet s =
        cluster.create(
            StatefulSet.class,
            workload(
                "StatefulSet",
                "serviceName: web\nselector: {matchLabels: {app: web}}\n" + TEMPLATE));
    assertThat(s.getSpec().getReplicas()).isEqualTo(1);
    assertThat(s.getSpec().getPodManagementPolicy()).isEqualTo("OrderedReady");
    assertThat(s.getSpec().getUpdateStrategy().getType()).isEqualTo("RollingUpdate");
    assertThat(s.getSpec().getUpdateStrategy().getRollingUpdate().getPartition()).isZero();
    assertThat(s.getSpec().getRevisionHistoryLimit()).isEqualTo(10);

    DaemonSet d =
        cluster.create(
            DaemonSet.class,
            workload("DaemonSet", "selector: {matchLabels: {app: web}}\n" + TEMPLATE));
    assertThat(d.getSpec().getUpdateStrategy().getType()).isEqualTo("RollingUpdate");
    assertThat(d.getSpec().getUpdateStrategy().getRollingUpdate().getMaxUnavailable().getIntVal())
        .isEqualTo(1);
    assertThat(d.getSpec().getUpdateStrategy().getRollingUpdate().getMaxSurge().getIntVal())
        .isZero();
  }

  @Test
  void reapplyingTheManifestChangesNothingAndScalingBumpsTheGeneration() {
    String manifest = workload("Deployment", "selector: {matchLabels: {app: web}}\n" + TEMPLATE);
    cluster.create(Deployment.class, manifest);
    long version = cluster.store().resourceVersion();
    Deployment same = cluster.store().apply(yaml(Deployment.class, manifest));
    assertThat(same.getMetadata().getGeneration()).isEqualTo(1L);
    assertThat(cluster.store().resourceVersion()).isEqualTo(version);
    Deployment scaled =
        cluster
            .store()
            .apply(yaml(Deployment.class, manifest.replace("spec:\n", "spec:\n  replicas: 3\n")));
    assertThat(scaled.getMetadata().getGeneration()).isEqualTo(2L);
  }

  @Test
  void deploymentSelectorIsImmutable() {
    String manifest =
        workload(
            "Deployment",
            "selector: {matchLabels: {app: web}}\n"
                + TEMPLATE.replace("{app: web}}", "{app: web, tier: front}}"));
    cluster.create(Deployment.class, manifest);
    Deployment changed =
        yaml(
            Deployment.class,
            manifest.replace("matchLabels: {app: web}", "matchLabels: {tier: front}"));
    ApiException.Invalid e =
        catchThrowableOfType(ApiException.Invalid.class, () -> cluster.store().apply(changed));
    assertThat(messages(e))
        .containsExactly(
            "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"tier\":"
                + "\"front\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is"
                + " immutable");
  }
}
