package dev.kemu.api.validation;

import static dev.kemu.api.registry.RegistryFixture.messages;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.kemu.api.registry.RegistryFixture;
import dev.kemu.api.store.ApiException;
import io.fabric8.kubernetes.api.model.Service;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The rules of {@code ValidateService} ({@code pkg/apis/core/validation/validation.go}) through the
 * store: each case is a Service named {@code web} and the exact field errors the apiserver reports
 * for it. Defaulting ({@code SetDefaults_Service}) runs first, as on the apiserver.
 */
class ServiceValidationTest {
  private static final String DNS1123_LABEL =
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and"
          + " must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc',"
          + " regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
  private static final String DNS1123_SUBDOMAIN =
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or"
          + " '.', and must start and end with an alphanumeric character (e.g. 'example.com',"
          + " regex used for validation is"
          + " '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
  private static final String LABEL_VALUE =
      "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or"
          + " '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or"
          + " 'my_value',  or '12345', regex used for validation is"
          + " '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

  private final RegistryFixture cluster = new RegistryFixture();

  @AfterEach
  void close() {
    cluster.close();
  }

  private static String web(String spec) {
    return "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n" + spec.indent(2);
  }

  static Stream<Arguments> invalid() {
    return Stream.of(
        arguments(
            "ports are required unless headless or ExternalName",
            web("selector: {app: web}"),
            List.of("spec.ports: Required value")),
        arguments(
            "port must be between 1 and 65535",
            web("ports: [{port: 70000, targetPort: 8080}]"),
            List.of(
                "spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive")),
        arguments(
            "targetPort defaults to port and is checked too",
            web("ports: [{port: 0}]"),
            List.of(
                "spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
                "spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535,"
                    + " inclusive")),
        arguments(
            "port names are required when there is more than one port",
            web("ports: [{port: 80}, {port: 81}]"),
            List.of("spec.ports[0].name: Required value", "spec.ports[1].name: Required value")),
        arguments(
            "port names are unique",
            web("ports: [{name: http, port: 80}, {name: http, port: 81}]"),
            List.of("spec.ports[1].name: Duplicate value: \"http\"")),
        arguments(
            "port names are DNS-1123 labels",
            web("ports: [{name: HTTP, port: 80}]"),
            List.of("spec.ports[0].name: Invalid value: \"HTTP\": " + DNS1123_LABEL)),
        arguments(
            "protocol is TCP, UDP or SCTP",
            web("ports: [{port: 80, protocol: FOO}]"),
            List.of(
                "spec.ports[0].protocol: Unsupported value: \"FOO\": supported values: \"SCTP\","
                    + " \"TCP\", \"UDP\"")),
        arguments(
            "a named targetPort is an IANA service name",
            web("ports: [{port: 80, targetPort: -http}]"),
            List.of(
                "spec.ports[0].targetPort: Invalid value: \"-http\": must not begin or end with a"
                    + " hyphen")),
        arguments(
            "a named targetPort has at most 15 characters and one letter",
            web("ports: [{port: 80, targetPort: '1234567890123456'}]"),
            List.of(
                "spec.ports[0].targetPort: Invalid value: \"1234567890123456\": must be no more"
                    + " than 15 characters",
                "spec.ports[0].targetPort: Invalid value: \"1234567890123456\": must contain at"
                    + " least one letter (a-z)")),
        arguments(
            "a numeric targetPort is a port number",
            web("ports: [{port: 80, targetPort: 65536}]"),
            List.of(
                "spec.ports[0].targetPort: Invalid value: 65536: must be between 1 and 65535,"
                    + " inclusive")),
        arguments(
            "port and protocol pairs are unique",
            web("ports: [{name: a, port: 80}, {name: b, port: 80, targetPort: 81}]"),
            List.of(
                "spec.ports[1]: Duplicate value: core.ServicePort{Name:\"\", Protocol:\"TCP\","
                    + " AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0,"
                    + " IntVal:0, StrVal:\"\"}, NodePort:0}")),
        arguments(
            "type is one of the four Service types",
            web("type: Foo\nports: [{port: 80}]"),
            List.of(
                "spec.type: Unsupported value: \"Foo\": supported values: \"ClusterIP\","
                    + " \"ExternalName\", \"LoadBalancer\", \"NodePort\"")),
        arguments(
            "ExternalName requires externalName",
            web("type: ExternalName"),
            List.of("spec.externalName: Required value")),
        arguments(
            "externalName is a DNS-1123 subdomain",
            web("type: ExternalName\nexternalName: Bad_Name"),
            List.of("spec.externalName: Invalid value: \"Bad_Name\": " + DNS1123_SUBDOMAIN)),
        arguments(
            "ExternalName services have no cluster IP",
            web("type: ExternalName\nexternalName: example.com\nclusterIP: 127.96.0.50"),
            List.of("spec.clusterIPs: Forbidden: may not be set for ExternalName services")),
        arguments(
            "sessionAffinity is ClientIP or None",
            web("sessionAffinity: Sticky\nports: [{port: 80}]"),
            List.of(
                "spec.sessionAffinity: Unsupported value: \"Sticky\": supported values:"
                    + " \"ClientIP\", \"None\"")),
        arguments(
            "ClientIP timeout is more than 0",
            web(
                "sessionAffinity: ClientIP\nsessionAffinityConfig: {clientIP: {timeoutSeconds: 0}}\n"
                    + "ports: [{port: 80}]"),
            List.of(
                "spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 0: must be"
                    + " greater than 0 and less than 86400")),
        arguments(
            "ClientIP timeout is at most a day",
            web(
                "sessionAffinity: ClientIP\n"
                    + "sessionAffinityConfig: {clientIP: {timeoutSeconds: 86401}}\n"
                    + "ports: [{port: 80}]"),
            List.of(
                "spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 86401: must"
                    + " be greater than 0 and less than 86400")),
        arguments(
            "selector values are label values",
            web("selector: {app: bad value}\nports: [{port: 80}]"),
            List.of("spec.selector: Invalid value: \"bad value\": " + LABEL_VALUE)),
        arguments(
            "selector keys are qualified names",
            web("selector: {'-app': web}\nports: [{port: 80}]"),
            List.of(
                "spec.selector: Invalid value: \"-app\": name part must consist of alphanumeric"
                    + " characters, '-', '_' or '.', and must start and end with an alphanumeric"
                    + " character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for"
                    + " validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")),
        arguments(
            "externalTrafficPolicy only for externally-accessible services",
            web("externalTrafficPolicy: Local\nports: [{port: 80}]"),
            List.of(
                "spec.externalTrafficPolicy: Invalid value: \"Local\": may only be set for"
                    + " externally-accessible services")),
        arguments(
            "externalTrafficPolicy is Cluster or Local",
            web("type: NodePort\nexternalTrafficPolicy: Foo\nports: [{port: 80}]"),
            List.of(
                "spec.externalTrafficPolicy: Unsupported value: \"Foo\": supported values:"
                    + " \"Cluster\", \"Local\"")),
        arguments(
            "internalTrafficPolicy is Cluster or Local",
            web("internalTrafficPolicy: Foo\nports: [{port: 80}]"),
            List.of(
                "spec.internalTrafficPolicy: Unsupported value: \"Foo\": supported values:"
                    + " \"Cluster\", \"Local\"")),
        arguments(
            "nodePort is forbidden on ClusterIP services",
            web("ports: [{port: 80, nodePort: 30100}]"),
            List.of(
                "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'")),
        arguments(
            "healthCheckNodePort only for LoadBalancer with Local traffic",
            web("type: NodePort\nhealthCheckNodePort: 30100\nports: [{port: 80}]"),
            List.of(
                "spec.healthCheckNodePort: Invalid value: 30100: may only be set when `type` is"
                    + " 'LoadBalancer' and `externalTrafficPolicy` is 'Local'")),
        arguments(
            "clusterIP is an IP address",
            web("clusterIP: not-an-ip\nports: [{port: 80}]"),
            List.of(
                "spec.clusterIPs[0]: Invalid value: \"not-an-ip\": must be a valid IP address,"
                    + " (e.g. 10.9.8.7 or 2001:db8::ffff)")),
        arguments(
            "NodePort services may not be headless",
            web("type: NodePort\nclusterIP: None\nselector: {app: web}\nports: [{port: 80}]"),
            List.of(
                "spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for"
                    + " NodePort services")),
        arguments(
            "an IPv6 cluster IP needs an IPv6 service range",
            web("clusterIP: fd00::1\nports: [{port: 80}]"),
            List.of(
                "spec.clusterIPs[0]: Invalid value: []string{\"fd00::1\"}: IPv6 is not configured"
                    + " on this cluster")),
        arguments(
            "ipFamilies must be configured on the cluster",
            web("ipFamilies: [IPv6]\nports: [{port: 80}]"),
            List.of("spec.ipFamilies[0]: Invalid value: \"IPv6\": not configured on this cluster")),
        arguments(
            "RequireDualStack needs a dual-stack cluster",
            web("ipFamilyPolicy: RequireDualStack\nports: [{port: 80}]"),
            List.of(
                "spec.ipFamilyPolicy: Invalid value: \"RequireDualStack\": this cluster is not"
                    + " configured for dual-stack services")),
        arguments(
            "clusterIPs[0] must match clusterIP",
            web("clusterIP: 127.96.0.50\nclusterIPs: [127.96.0.51]\nports: [{port: 80}]"),
            List.of(
                "spec.clusterIPs: Invalid value: []string{\"127.96.0.51\"}: first value must"
                    + " match `clusterIP`")),
        arguments(
            "loadBalancerSourceRanges only for LoadBalancer services",
            web("loadBalancerSourceRanges: [10.0.0.0/8]\nports: [{port: 80}]"),
            List.of(
                "spec.LoadBalancerSourceRanges: Forbidden: may only be used when `type` is"
                    + " 'LoadBalancer'")),
        arguments(
            "loadBalancerSourceRanges are CIDRs",
            web("type: LoadBalancer\nloadBalancerSourceRanges: [10.0.0.1/8]\nports: [{port: 80}]"),
            List.of(
                "spec.LoadBalancerSourceRanges[0]: Invalid value: \"10.0.0.1/8\": must not have"
                    + " bits set beyond the prefix length")),
        arguments(
            "externalIPs are IP addresses",
            web("externalIPs: [1.2.3]\nports: [{port: 80}]"),
            List.of(
                "spec.externalIPs[0]: Invalid value: \"1.2.3\": must be a valid IP address, (e.g."
                    + " 10.9.8.7 or 2001:db8::ffff)")),
        arguments(
            "allocateLoadBalancerNodePorts only for LoadBalancer services",
            web("allocateLoadBalancerNodePorts: false\nports: [{port: 80}]"),
            List.of(
                "spec.allocateLoadBalancerNodePorts: Forbidden: may only be used when `type` is"
                    + " 'LoadBalancer'")),
        arguments(
            "metadata labels are label values",
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  labels: {app: 'a b'}\n"
                + "spec:\n  ports: [{port: 80}]",
            List.of("metadata.labels: Invalid value: \"a b\": " + LABEL_VALUE)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalid")
  void rejectsWithTheApiserverMessages(String rule, String manifest, List<String> expected) {
    int ips = cluster.registry().allocatedClusterIps();
    int ports = cluster.registry().allocatedNodePorts();
    ApiException.Invalid e = cluster.rejectCreate(Service.class, manifest);
    assertThat(messages(e)).containsExactlyElementsOf(expected);
    String body = expected.size() == 1 ? expected.get(0) : "[" + String.join(", ", expected) + "]";
    assertThat(e.getMessage()).isEqualTo("Service \"web\" is invalid: " + body);
    assertThat(e.toStatus().getCode()).isEqualTo(422);
    assertThat(cluster.registry().allocatedClusterIps()).isEqualTo(ips);
    assertThat(cluster.registry().allocatedNodePorts()).isEqualTo(ports);
  }

  @Test
  void defaultsMakeAMinimalServiceValid() {
    Service s = cluster.create(Service.class, web("selector: {app: web}\nports: [{port: 80}]"));
    var spec = s.getSpec();
    assertThat(spec.getType()).isEqualTo("ClusterIP");
    assertThat(spec.getSessionAffinity()).isEqualTo("None");
    assertThat(spec.getPorts().get(0).getProtocol()).isEqualTo("TCP");
    assertThat(spec.getPorts().get(0).getTargetPort().getIntVal()).isEqualTo(80);
    assertThat(spec.getInternalTrafficPolicy()).isEqualTo("Cluster");
    assertThat(spec.getExternalTrafficPolicy()).isNull();
    assertThat(spec.getIpFamilies()).containsExactly("IPv4");
    assertThat(spec.getIpFamilyPolicy()).isEqualTo("SingleStack");
    assertThat(s.getStatus().getLoadBalancer()).isNotNull();
  }

  @Test
  void clientIpAffinityDefaultsToThreeHours() {
    Service s =
        cluster.create(Service.class, web("sessionAffinity: ClientIP\nports: [{port: 80}]"));
    assertThat(s.getSpec().getSessionAffinityConfig().getClientIP().getTimeoutSeconds())
        .isEqualTo(10800);
  }

  @Test
  void externallyAccessibleServicesDefaultTheirPolicies() {
    Service lb = cluster.create(Service.class, web("type: LoadBalancer\nports: [{port: 80}]"));
    assertThat(lb.getSpec().getExternalTrafficPolicy()).isEqualTo("Cluster");
    assertThat(lb.getSpec().getAllocateLoadBalancerNodePorts()).isTrue();
  }

  @Test
  void externalNameWithTrailingDotIsValid() {
    Service s =
        cluster.create(Service.class, web("type: ExternalName\nexternalName: example.com."));
    assertThat(s.getSpec().getExternalName()).isEqualTo("example.com.");
    assertThat(s.getSpec().getInternalTrafficPolicy()).isNull();
  }

  @Test
  void loadBalancerWithoutNodePortsAllocatesNone() {
    Service s =
        cluster.create(
            Service.class,
            web("type: LoadBalancer\nallocateLoadBalancerNodePorts: false\nports: [{port: 80}]"));
    assertThat(s.getSpec().getPorts().get(0).getNodePort()).isNull();
    assertThat(cluster.registry().allocatedNodePorts()).isZero();
  }
}
