package dev.kemu.api.validation;

import static dev.kemu.api.registry.RegistryFixture.messages;
import static dev.kemu.api.registry.RegistryFixture.yaml;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.kemu.api.registry.RegistryFixture;
import dev.kemu.api.store.ApiException;
import dev.kemu.api.store.ResourceStore;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The rules of {@code ValidatePodCreate} and {@code ValidatePodUpdate} ({@code
 * pkg/apis/core/validation}) and the pod strategy, through the store.
 */
class PodValidationTest {
  private final RegistryFixture cluster = new RegistryFixture();
  private final ResourceStore store = cluster.store();

  @AfterEach
  void close() {
    cluster.close();
  }

  private static String pod(String containers) {
    return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n" + containers.indent(2);
  }

  static Stream<Arguments> invalid() {
    return Stream.of(
        arguments(
            "containers are required",
            pod("restartPolicy: Always"),
            List.of("spec.containers: Required value")),
        arguments(
            "a container has a name and an image",
            pod("containers: [{ports: [{containerPort: 80}]}]"),
            List.of(
                "spec.containers[0].name: Required value",
                "spec.containers[0].image: Required value")),
        arguments(
            "container names are unique",
            pod("containers: [{name: app, image: kemu/echo}, {name: app, image: kemu/echo}]"),
            List.of("spec.containers[1].name: Duplicate value: \"app\"")),
        arguments(
            "containerPort is required",
            pod("containers: [{name: app, image: kemu/echo, ports: [{containerPort: 0}]}]"),
            List.of("spec.containers[0].ports[0].containerPort: Required value")),
        arguments(
            "containerPort is a port number",
            pod("containers: [{name: app, image: kemu/echo, ports: [{containerPort: 70000}]}]"),
            List.of(
                "spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between"
                    + " 1 and 65535, inclusive")),
        arguments(
            "hostPort is a port number",
            pod(
                "containers: [{name: app, image: kemu/echo, ports: [{containerPort: 80,"
                    + " hostPort: 70000}]}]"),
            List.of(
                "spec.containers[0].ports[0].hostPort: Invalid value: 70000: must be between 1"
                    + " and 65535, inclusive")),
        arguments(
            "port names are IANA service names",
            pod(
                "containers: [{name: app, image: kemu/echo, ports: [{name: http-, containerPort:"
                    + " 80}]}]"),
            List.of(
                "spec.containers[0].ports[0].name: Invalid value: \"http-\": must not begin or"
                    + " end with a hyphen")),
        arguments(
            "port names are unique in a container",
            pod(
                "containers: [{name: app, image: kemu/echo, ports: [{name: http, containerPort:"
                    + " 80}, {name: http, containerPort: 81}]}]"),
            List.of("spec.containers[0].ports[1].name: Duplicate value: \"http\"")),
        arguments(
            "port protocol is TCP, UDP or SCTP",
            pod(
                "containers: [{name: app, image: kemu/echo, ports: [{containerPort: 80, protocol:"
                    + " tcp}]}]"),
            List.of(
                "spec.containers[0].ports[0].protocol: Unsupported value: \"tcp\": supported"
                    + " values: \"SCTP\", \"TCP\", \"UDP\"")),
        arguments(
            "host ports do not collide",
            pod(
                "containers:\n- {name: a, image: kemu/echo, ports: [{containerPort: 80, hostPort:"
                    + " 8080}]}\n- {name: b, image: kemu/echo, ports: [{containerPort: 81,"
                    + " hostPort: 8080}]}"),
            List.of("spec.containers[1].ports[0].hostPort: Duplicate value: \"TCP//8080\"")),
        arguments(
            "restartPolicy is Always, OnFailure or Never",
            pod("restartPolicy: Sometimes\ncontainers: [{name: app, image: kemu/echo}]"),
            List.of(
                "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values:"
                    + " \"Always\", \"OnFailure\", \"Never\"")),
        arguments(
            "dnsPolicy is one of the four policies",
            pod("dnsPolicy: Cluster\ncontainers: [{name: app, image: kemu/echo}]"),
            List.of(
                "spec.dnsPolicy: Unsupported value: \"Cluster\": supported values:"
                    + " \"ClusterFirstWithHostNet\", \"ClusterFirst\", \"Default\", \"None\"")),
        arguments(
            "dnsPolicy None needs dnsConfig",
            pod("dnsPolicy: None\ncontainers: [{name: app, image: kemu/echo}]"),
            List.of(
                "spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is"
                    + " None")),
        arguments(
            "a readiness probe has one handler",
            pod("containers: [{name: app, image: kemu/echo, readinessProbe: {periodSeconds: 1}}]"),
            List.of(
                "spec.containers[0].readinessProbe: Required value: must specify a handler type")),
        arguments(
            "a probe port is a port number or name",
            pod(
                "containers: [{name: app, image: kemu/echo, readinessProbe: {tcpSocket: {port:"
                    + " 0}}}]"),
            List.of(
                "spec.containers[0].readinessProbe.tcpSocket.port: Invalid value: 0: must be"
                    + " between 1 and 65535, inclusive")),
        arguments(
            "a liveness probe succeeds once",
            pod(
                "containers: [{name: app, image: kemu/echo, livenessProbe: {httpGet: {port: 80},"
                    + " successThreshold: 2}}]"),
            List.of(
                "spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1")),
        arguments(
            "volume mounts name a volume",
            pod(
                "containers: [{name: app, image: kemu/echo, volumeMounts: [{name: data,"
                    + " mountPath: /data}]}]"),
            List.of("spec.containers[0].volumeMounts[0].name: Not found: \"data\"")),
        arguments(
            "hostname is a DNS-1123 label",
            pod("hostname: web.0\ncontainers: [{name: app, image: kemu/echo}]"),
            List.of("spec.hostname: Invalid value: \"web.0\": must not contain dots")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalid")
  void rejectsWithTheApiserverMessages(String rule, String manifest, List<String> expected) {
    ApiException.Invalid e = cluster.rejectCreate(Pod.class, manifest);
    assertThat(messages(e)).containsExactlyElementsOf(expected);
    assertThat(e.getMessage())
        .isEqualTo(
            "Pod \"p\" is invalid: "
                + (expected.size() == 1
                    ? expected.get(0)
                    : "[" + String.join(", ", expected) + "]"));
  }

  @Test
  void newPodIsPendingWithItsDefaults() {
    Pod pod =
        cluster.create(
            Pod.class,
            pod(
                "containers: [{name: app, image: 'kemu/echo:1.0', ports: [{containerPort: 8080}],"
                    + " readinessProbe: {httpGet: {port: 8080}}}]"));
    assertThat(pod.getStatus().getPhase()).isEqualTo("Pending");
    assertThat(pod.getStatus().getQosClass()).isEqualTo("BestEffort");
    var spec = pod.getSpec();
    assertThat(spec.getRestartPolicy()).isEqualTo("Always");
    assertThat(spec.getTerminationGracePeriodSeconds()).isEqualTo(30L);
    assertThat(spec.getDnsPolicy()).isEqualTo("ClusterFirst");
    assertThat(spec.getSchedulerName()).isEqualTo("default-scheduler");
    assertThat(spec.getEnableServiceLinks()).isTrue();
    var container = spec.getContainers().get(0);
    assertThat(container.getPorts().get(0).getProtocol()).isEqualTo("TCP");
    assertThat(container.getImagePullPolicy()).isEqualTo("IfNotPresent");
    assertThat(container.getTerminationMessagePolicy()).isEqualTo("File");
    var probe = container.getReadinessProbe();
    assertThat(probe.getPeriodSeconds()).isEqualTo(10);
    assertThat(probe.getTimeoutSeconds()).isEqualTo(1);
    assertThat(probe.getFailureThreshold()).isEqualTo(3);
    assertThat(probe.getHttpGet().getPath()).isEqualTo("/");
    assertThat(probe.getHttpGet().getScheme()).isEqualTo("HTTP");
  }

  @Test
  void untaggedImagesArePulledAlways() {
    Pod pod = cluster.create(Pod.class, pod("containers: [{name: app, image: kemu/echo}]"));
    assertThat(pod.getSpec().getContainers().get(0).getImagePullPolicy()).isEqualTo("Always");
  }

  @Test
  void podWithEqualRequestsAndLimitsIsGuaranteed() {
    Pod pod =
        cluster.create(
            Pod.class,
            pod(
                "containers: [{name: app, image: kemu/echo, resources: {limits: {cpu: 500m,"
                    + " memory: 64Mi}}}]"));
    assertThat(pod.getStatus().getQosClass()).isEqualTo("Guaranteed");
    assertThat(pod.getSpec().getContainers().get(0).getResources().getRequests())
        .containsKeys("cpu", "memory");
  }

  @Test
  void podSpecIsImmutableExceptImages() {
    // A tagged image: an untagged one defaults imagePullPolicy to Always, and a PUT whose new
    // image is tagged would default it to IfNotPresent, a change the apiserver refuses too.
    cluster.create(
        Pod.class,
        pod("containers: [{name: app, image: 'kemu/echo:1', ports: [{containerPort: 80}]}]"));
    // The image may change.
    Pod image =
        store.apply(
            yaml(
                Pod.class,
                pod(
                    "containers: [{name: app, image: 'kemu/echo:2', ports: [{containerPort: 80}]}]")));
    assertThat(image.getSpec().getContainers().get(0).getImage()).isEqualTo("kemu/echo:2");

    // Other fields may not.
    Pod ports =
        yaml(
            Pod.class,
            pod("containers: [{name: app, image: 'kemu/echo:2', ports: [{containerPort: 81}]}]"));
    ApiException.Invalid e =
        catchThrowableOfType(ApiException.Invalid.class, () -> store.apply(ports));
    assertThat(messages(e)).hasSize(1);
    assertThat(messages(e).get(0))
        .startsWith(
            "spec: Forbidden: pod updates may not change fields other than"
                + " `spec.containers[*].image`,`spec.initContainers[*].image`,"
                + "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing"
                + " tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if"
                + " it was previously negative)\n")
        .contains("spec.containers[0].ports[0].containerPort: 80")
        .contains("spec.containers[0].ports[0].containerPort: 81");

    // Containers may not be added.
    Pod added =
        yaml(
            Pod.class,
            pod(
                "containers: [{name: app, image: 'kemu/echo:2', ports: [{containerPort: 80}]},"
                    + " {name: b, image: kemu/echo}]"));
    ApiException.Invalid more =
        catchThrowableOfType(ApiException.Invalid.class, () -> store.apply(added));
    assertThat(messages(more))
        .containsExactly(
            "spec.containers: Forbidden: pod updates may not add or remove containers");
  }

  @Test
  void bindingSetsTheNodeNameOnce() {
    Pod pod = cluster.create(Pod.class, pod("containers: [{name: app, image: kemu/echo}]"));
    pod.getSpec().setNodeName("kemu-node");
    Pod bound = store.update(pod);
    assertThat(bound.getSpec().getNodeName()).isEqualTo("kemu-node");
    bound.getSpec().setNodeName("other-node");
    ApiException.Invalid e =
        catchThrowableOfType(ApiException.Invalid.class, () -> store.update(bound));
    assertThat(messages(e).get(0)).startsWith("spec: Forbidden: pod updates may not change");
  }
}
