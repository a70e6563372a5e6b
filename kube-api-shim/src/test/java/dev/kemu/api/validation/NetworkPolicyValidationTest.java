package dev.kemu.api.validation;

import static dev.kemu.api.registry.RegistryFixture.messages;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.kemu.api.registry.RegistryFixture;
import dev.kemu.api.store.ApiException;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The rules of {@code ValidateNetworkPolicy} ({@code pkg/apis/networking/validation}) and the
 * defaults of {@code SetDefaults_NetworkPolicy}, through the store.
 */
class NetworkPolicyValidationTest {
  private final RegistryFixture cluster = new RegistryFixture();

  @AfterEach
  void close() {
    cluster.close();
  }

  private static String policy(String spec) {
    return "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: np\nspec:\n"
        + spec.indent(2);
  }

  static Stream<Arguments> invalid() {
    return Stream.of(
        arguments(
            "podSelector operators are In, NotIn, Exists, DoesNotExist",
            policy("podSelector: {matchExpressions: [{key: app, operator: Equals, values: [a]}]}"),
            List.of(
                "spec.podSelector.matchExpressions[0].operator: Invalid value: \"Equals\": not a"
                    + " valid selector operator")),
        arguments(
            "In needs values",
            policy("podSelector: {matchExpressions: [{key: app, operator: In}]}"),
            List.of(
                "spec.podSelector.matchExpressions[0].values: Required value: must be specified"
                    + " when `operator` is 'In' or 'NotIn'")),
        arguments(
            "Exists takes no values",
            policy("podSelector: {matchExpressions: [{key: app, operator: Exists, values: [a]}]}"),
            List.of(
                "spec.podSelector.matchExpressions[0].values: Forbidden: may not be specified when"
                    + " `operator` is 'Exists' or 'DoesNotExist'")),
        arguments(
            "policyTypes are Ingress or Egress",
            policy("podSelector: {}\npolicyTypes: [Inbound]"),
            List.of(
                "spec.policyTypes[0]: Unsupported value: \"Inbound\": supported values:"
                    + " \"Ingress\", \"Egress\"")),
        arguments(
            "at most two policyTypes",
            policy("podSelector: {}\npolicyTypes: [Ingress, Egress, Ingress]"),
            List.of(
                "spec.policyTypes: Invalid value: []networking.PolicyType{\"Ingress\","
                    + " \"Egress\", \"Ingress\"}: may not specify more than two policyTypes")),
        arguments(
            "port protocol is TCP, UDP or SCTP",
            policy("podSelector: {}\ningress: [{ports: [{protocol: ICMP, port: 80}]}]"),
            List.of(
                "spec.ingress[0].ports[0].protocol: Unsupported value: \"ICMP\": supported"
                    + " values: \"TCP\", \"UDP\", \"SCTP\"")),
        arguments(
            "port number is a port",
            policy("podSelector: {}\ningress: [{ports: [{port: 0}]}]"),
            List.of(
                "spec.ingress[0].ports[0].port: Invalid value: 0: must be between 1 and 65535,"
                    + " inclusive")),
        arguments(
            "port name is an IANA service name",
            policy("podSelector: {}\negress: [{ports: [{port: my_port}]}]"),
            List.of(
                "spec.egress[0].ports[0].port: Invalid value: \"my_port\": must contain only"
                    + " alpha-numeric characters (a-z, 0-9), and hyphens (-)")),
        arguments(
            "endPort is at least port",
            policy("podSelector: {}\ningress: [{ports: [{port: 8080, endPort: 8000}]}]"),
            List.of(
                "spec.ingress[0].ports[0].endPort: Invalid value: 8000: must be greater than or"
                    + " equal to `port`")),
        arguments(
            "endPort needs a numeric port",
            policy("podSelector: {}\ningress: [{ports: [{port: http, endPort: 8000}]}]"),
            List.of(
                "spec.ingress[0].ports[0].endPort: Invalid value: 8000: may not be specified when"
                    + " `port` is non-numeric")),
        arguments(
            "endPort needs a port",
            policy("podSelector: {}\ningress: [{ports: [{endPort: 8000}]}]"),
            List.of(
                "spec.ingress[0].ports[0].endPort: Invalid value: 8000: may not be specified when"
                    + " `port` is not specified")),
        arguments(
            "a peer selects something",
            policy("podSelector: {}\ningress: [{from: [{}]}]"),
            List.of("spec.ingress[0].from[0]: Required value: must specify a peer")),
        arguments(
            "ipBlock is not combined with selectors",
            policy(
                "podSelector: {}\n"
                    + "egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}]}]"),
            List.of(
                "spec.egress[0].to[0]: Forbidden: may not specify both ipBlock and another peer")),
        arguments(
            "ipBlock cidr is required",
            policy("podSelector: {}\negress: [{to: [{ipBlock: {cidr: ''}}]}]"),
            List.of("spec.egress[0].to[0].ipBlock.cidr: Required value")),
        arguments(
            "ipBlock cidr is a CIDR",
            policy("podSelector: {}\negress: [{to: [{ipBlock: {cidr: 10.0.0.0}}]}]"),
            List.of(
                "spec.egress[0].to[0].ipBlock.cidr: Invalid value: \"10.0.0.0\": must be a valid"
                    + " CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)")),
        arguments(
            "except lies inside cidr",
            policy(
                "podSelector: {}\n"
                    + "egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8, except: [192.168.0.0/16]}}]}]"),
            List.of(
                "spec.egress[0].to[0].ipBlock.except[0]: Invalid value: \"192.168.0.0/16\": must"
                    + " be a strict subset of `cidr`")),
        arguments(
            "except is smaller than cidr",
            policy(
                "podSelector: {}\n"
                    + "egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.0.0.0/8]}}]}]"),
            List.of(
                "spec.egress[0].to[0].ipBlock.except[0]: Invalid value: \"10.0.0.0/8\": must be a"
                    + " strict subset of `cidr`")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalid")
  void rejectsWithTheApiserverMessages(String rule, String manifest, List<String> expected) {
    ApiException.Invalid e = cluster.rejectCreate(NetworkPolicy.class, manifest);
    assertThat(messages(e)).containsExactlyElementsOf(expected);
    assertThat(e.getMessage())
        .isEqualTo(
            "NetworkPolicy.networking.k8s.io \"np\" is invalid: "
                + (expected.size() == 1
                    ? expected.get(0)
                    : "[" + String.join(", ", expected) + "]"));
  }

  @Test
  void policyTypesAndProtocolsAreDefaulted() {
    NetworkPolicy ingressOnly =
        cluster.create(
            NetworkPolicy.class, policy("podSelector: {}\ningress: [{ports: [{port: 80}]}]"));
    assertThat(ingressOnly.getSpec().getPolicyTypes()).containsExactly("Ingress");
    assertThat(ingressOnly.getSpec().getIngress().get(0).getPorts().get(0).getProtocol())
        .isEqualTo("TCP");
    NetworkPolicy both =
        cluster.create(
            NetworkPolicy.class,
            policy("podSelector: {matchLabels: {app: db}}\negress: [{to: [{podSelector: {}}]}]")
                .replace("name: np", "name: np2"));
    assertThat(both.getSpec().getPolicyTypes()).containsExactly("Ingress", "Egress");
  }

  @Test
  void missingPodSelectorSelectsEveryPod() {
    NetworkPolicy np = cluster.create(NetworkPolicy.class, policy("policyTypes: [Ingress]"));
    assertThat(np.getSpec().getPodSelector()).isNotNull();
  }

  @Test
  void validIpBlockWithExceptions() {
    NetworkPolicy np =
        cluster.create(
            NetworkPolicy.class,
            policy(
                "podSelector: {}\n"
                    + "egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}],"
                    + " ports: [{port: 8000, endPort: 8080}]}]"));
    assertThat(np.getSpec().getEgress()).hasSize(1);
  }
}
