package dev.kemu.emulator.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.kemu.api.model.ResourceKey;
import dev.kemu.api.model.ResourceTypes;
import dev.kemu.api.registry.AddressPlan;
import dev.kemu.api.registry.Cidr;
import dev.kemu.api.store.ResourceStore;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The pod runtime against a real store, with real sockets on pod IPs.
 *
 * <p>Pod IPs are real loopback addresses, and test classes run in parallel: every test class that
 * binds pod IPs must use a pod CIDR of its own, or two classes would bind the same IP and port.
 * This class uses {@code 127.245.1.0/24}; another class takes another third octet ({@code
 * AddressPlan.defaults().withPodCidr(Cidr.parse("127.245." + n + ".0/24"))}). Backends of forwarded
 * pods listen on ephemeral ports of 127.0.0.1.
 */
class PodRuntimeTest {
  private static final AddressPlan PLAN =
      AddressPlan.defaults().withPodCidr(Cidr.parse("127.245.1.0/24"));
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final String NS = "shop";

  private static Vertx vertx;
  private static ExecutorService httpExecutor;
  private static HttpClient http;

  private ResourceStore store;
  private PodRuntime runtime;

  @BeforeAll
  static void startVertx() {
    vertx = Vertx.vertx();
    httpExecutor = Executors.newCachedThreadPool();
    http = HttpClient.newBuilder().connectTimeout(TIMEOUT).executor(httpExecutor).build();
  }

  @AfterAll
  static void stopVertx() throws Exception {
    httpExecutor.shutdownNow();
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @BeforeEach
  void startRuntime() throws Exception {
    store = new ResourceStore();
    store.create(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build());
    runtime = new PodRuntime(store, PLAN, vertx);
    runtime.start().get(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void closeRuntime() {
    runtime.close();
    store.close();
  }

  // ---------------------------------------------------------------- helpers

  /** Writes and waits until the runtime has applied the write (what Cluster.apply does). */
  private <T extends HasMetadata> T write(T object) throws Exception {
    T written = store.create(object);
    settle();
    return written;
  }

  private void settle() throws Exception {
    runtime.whenApplied(store.resourceVersion()).get(30, TimeUnit.SECONDS);
  }

  private Pod pod(String name) {
    return store.get(Pod.class, NS, name).orElseThrow();
  }

  private static ResourceKey key(String name) {
    return new ResourceKey(ResourceTypes.POD, NS, name);
  }

  private static PodBuilder echoPod(String name) {
    return new PodBuilder()
        .withNewMetadata()
        .withNamespace(NS)
        .withName(name)
        .withLabels(Map.of("app", name))
        .endMetadata()
        .withNewSpec()
        .addNewContainer()
        .withName("web")
        .withImage("docker.io/kemu/echo:1.0")
        .addNewPort()
        .withName("http")
        .withContainerPort(8080)
        .endPort()
        .addNewEnv()
        .withName("POD_NAME")
        .withNewValueFrom()
        .withNewFieldRef()
        .withFieldPath("metadata.name")
        .endFieldRef()
        .endValueFrom()
        .endEnv()
        .endContainer()
        .endSpec();
  }

  private static PodBuilder forwardedPod(String name, String backend) {
    return new PodBuilder()
        .withNewMetadata()
        .withNamespace(NS)
        .withName(name)
        .withAnnotations(Map.of(PodRuntime.BACKEND_ANNOTATION, backend))
        .endMetadata()
        .withNewSpec()
        .addNewContainer()
        .withName("app")
        .withImage("registry.example.com/shop/app:2.1")
        .addNewPort()
        .withName("http")
        .withContainerPort(8080)
        .endPort()
        .endContainer()
        .endSpec();
  }

  private static PodCondition condition(Pod pod, String type) {
    return pod.getStatus().getConditions().stream()
        .filter(c -> c.getType().equals(type))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no condition " + type));
  }

  private static boolean ready(Pod pod) {
    return pod.getStatus() != null
        && pod.getStatus().getConditions() != null
        && pod.getStatus().getConditions().stream()
            .anyMatch(c -> c.getType().equals("Ready") && c.getStatus().equals("True"));
  }

  private HttpResponse<String> get(String ip, int port, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://" + ip + ":" + port + path))
            .timeout(TIMEOUT)
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** A backend on an ephemeral port of 127.0.0.1 that says who it is and has a health switch. */
  private static HttpServer backend(String name, AtomicBoolean healthy) throws Exception {
    return vertx
        .createHttpServer()
        .requestHandler(
            request -> {
              if (request.path().equals("/healthz")) {
                request.response().setStatusCode(healthy.get() ? 200 : 500).end();
              } else {
                request.response().end(name + " " + request.path());
              }
            })
        .listen(0, "127.0.0.1")
        .await(10, TimeUnit.SECONDS);
  }

  private static void assertRefused(String ip, int port) {
    assertThatThrownBy(
            () -> {
              try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(ip, port), (int) TIMEOUT.toMillis());
              }
            })
        .isInstanceOf(ConnectException.class);
  }

  // ---------------------------------------------------------------- tests

  @Test
  void echoPodIsScheduledRunningAndReadyAndAnswersOnItsIp() throws Exception {
    write(echoPod("web").build());
    Pod pod = pod("web");

    assertThat(pod.getSpec().getNodeName()).isEqualTo("kemu-node");
    assertThat(pod.getStatus().getPhase()).isEqualTo("Running");
    assertThat(pod.getStatus().getPodIP()).isEqualTo("127.245.1.2");
    assertThat(pod.getStatus().getPodIPs())
        .extracting(ip -> ip.getIp())
        .containsExactly("127.245.1.2");
    assertThat(pod.getStatus().getHostIP()).isEqualTo("127.0.0.1");
    assertThat(pod.getStatus().getHostIPs())
        .extracting(ip -> ip.getIp())
        .containsExactly("127.0.0.1");
    assertThat(pod.getStatus().getStartTime()).isNotBlank();
    assertThat(pod.getStatus().getQosClass()).isEqualTo("BestEffort");
    assertThat(pod.getStatus().getConditions())
        .extracting(PodCondition::getType, PodCondition::getStatus)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("PodReadyToStartContainers", "True"),
            org.assertj.core.groups.Tuple.tuple("Initialized", "True"),
            org.assertj.core.groups.Tuple.tuple("Ready", "True"),
            org.assertj.core.groups.Tuple.tuple("ContainersReady", "True"),
            org.assertj.core.groups.Tuple.tuple("PodScheduled", "True"));
    assertThat(pod.getStatus().getConditions()).allMatch(c -> c.getLastTransitionTime() != null);
    ContainerStatus web = pod.getStatus().getContainerStatuses().get(0);
    assertThat(web.getName()).isEqualTo("web");
    assertThat(web.getImage()).isEqualTo("docker.io/kemu/echo:1.0");
    assertThat(web.getImageID()).isNotBlank();
    assertThat(web.getContainerID()).matches("kemu://[0-9a-f]{64}");
    assertThat(web.getReady()).isTrue();
    assertThat(web.getStarted()).isTrue();
    assertThat(web.getRestartCount()).isZero();
    assertThat(web.getState().getRunning().getStartedAt()).isNotBlank();

    HttpResponse<String> response = get("127.245.1.2", 8080, "/hello");
    assertThat(response.statusCode()).isEqualTo(200);
    JsonObject json = new JsonObject(response.body());
    assertThat(json.getString("pod")).isEqualTo("web");
    assertThat(json.getString("namespace")).isEqualTo(NS);
    assertThat(json.getString("path")).isEqualTo("/hello");
    assertThat(json.getJsonObject("env").getString("POD_NAME")).isEqualTo("web");
  }

  @Test
  void podsGetDistinctIpsInTheOrderTheyAreSeen() throws Exception {
    write(echoPod("a").build());
    write(echoPod("b").build());
    assertThat(pod("a").getStatus().getPodIP()).isEqualTo("127.245.1.2");
    assertThat(pod("b").getStatus().getPodIP()).isEqualTo("127.245.1.3");
    assertThat(new JsonObject(get("127.245.1.3", 8080, "/").body()).getString("pod"))
        .isEqualTo("b");
  }

  @Test
  void forwardedPodAnswersThroughItsIp() throws Exception {
    HttpServer backend = backend("backend-1", new AtomicBoolean(true));
    try {
      write(forwardedPod("app", "127.0.0.1:" + backend.actualPort()).build());
      Pod pod = pod("app");
      assertThat(pod.getStatus().getPhase()).isEqualTo("Running");
      assertThat(ready(pod)).isTrue();
      assertThat(pod.getStatus().getContainerStatuses().get(0).getImage())
          .isEqualTo("registry.example.com/shop/app:2.1");
      HttpResponse<String> response = get(pod.getStatus().getPodIP(), 8080, "/orders");
      assertThat(response.body()).isEqualTo("backend-1 /orders");
    } finally {
      backend.close().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void forwardsSeveralPortsByNameOrNumber() throws Exception {
    HttpServer first = backend("first", new AtomicBoolean(true));
    HttpServer second = backend("second", new AtomicBoolean(true));
    try {
      Pod pod =
          forwardedPod(
                  "multi",
                  "http=127.0.0.1:"
                      + first.actualPort()
                      + ", 9090=127.0.0.1:"
                      + second.actualPort())
              .editSpec()
              .editFirstContainer()
              .addNewPort()
              .withName("admin")
              .withContainerPort(9090)
              .endPort()
              .endContainer()
              .endSpec()
              .build();
      write(pod);
      String ip = pod("multi").getStatus().getPodIP();
      assertThat(get(ip, 8080, "/").body()).isEqualTo("first /");
      assertThat(get(ip, 9090, "/").body()).isEqualTo("second /");
    } finally {
      first.close().await(10, TimeUnit.SECONDS);
      second.close().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void failingReadinessProbeMakesAForwardedPodUnreadyUntilTheBackendIsHealthy() throws Exception {
    AtomicBoolean healthy = new AtomicBoolean(false);
    HttpServer backend = backend("backend", healthy);
    try {
      Probe probe =
          new ProbeBuilder()
              .withNewHttpGet()
              .withPath("/healthz")
              .withPort(new IntOrString("http"))
              .endHttpGet()
              .withPeriodSeconds(1)
              .withFailureThreshold(1)
              .withSuccessThreshold(1)
              .build();
      write(
          forwardedPod("probed", "127.0.0.1:" + backend.actualPort())
              .editSpec()
              .editFirstContainer()
              .withReadinessProbe(probe)
              .endContainer()
              .endSpec()
              .build());
      // Running at once, but not ready until the probe passes (kubelet: readiness starts Failure).
      Pod pod = pod("probed");
      assertThat(pod.getStatus().getPhase()).isEqualTo("Running");
      assertThat(condition(pod, "Ready").getStatus()).isEqualTo("False");
      assertThat(condition(pod, "Ready").getReason()).isEqualTo("ContainersNotReady");
      assertThat(condition(pod, "Ready").getMessage())
          .isEqualTo("containers with unready status: [app]");
      assertThat(pod.getStatus().getContainerStatuses().get(0).getReady()).isFalse();

      healthy.set(true);
      await().atMost(TIMEOUT).until(() -> ready(pod("probed")));
      assertThat(pod("probed").getStatus().getContainerStatuses().get(0).getReady()).isTrue();
      assertThat(condition(pod("probed"), "ContainersReady").getStatus()).isEqualTo("True");

      healthy.set(false);
      await().atMost(TIMEOUT).until(() -> !ready(pod("probed")));
      assertThat(pod("probed").getStatus().getContainerStatuses().get(0).getReady()).isFalse();
    } finally {
      backend.close().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void tcpReadinessProbeOnAnEchoPodPasses() throws Exception {
    write(
        echoPod("tcp")
            .editSpec()
            .editFirstContainer()
            .withReadinessProbe(
                new ProbeBuilder()
                    .withNewTcpSocket()
                    .withPort(new IntOrString(8080))
                    .endTcpSocket()
                    .withPeriodSeconds(1)
                    .build())
            .endContainer()
            .endSpec()
            .build());
    await().atMost(TIMEOUT).until(() -> ready(pod("tcp")));
  }

  @Test
  void execReadinessProbeIsNotRunAndCountsAsReady() throws Exception {
    write(
        echoPod("exec")
            .editSpec()
            .editFirstContainer()
            .withReadinessProbe(
                new ProbeBuilder().withNewExec().withCommand("cat", "/tmp/ready").endExec().build())
            .endContainer()
            .endSpec()
            .build());
    assertThat(ready(pod("exec"))).isTrue();
  }

  @Test
  void unknownImageStaysPendingAndSaysHowToBackIt() throws Exception {
    write(
        new PodBuilder()
            .withNewMetadata()
            .withNamespace(NS)
            .withName("db")
            .endMetadata()
            .withNewSpec()
            .addNewContainer()
            .withName("postgres")
            .withImage("postgres:16")
            .addNewPort()
            .withContainerPort(5432)
            .endPort()
            .endContainer()
            .endSpec()
            .build());
    Pod pod = pod("db");
    assertThat(pod.getStatus().getPhase()).isEqualTo("Pending");
    assertThat(pod.getStatus().getPodIP()).isEqualTo("127.245.1.2");
    assertThat(condition(pod, "PodScheduled").getStatus()).isEqualTo("True");
    assertThat(condition(pod, "Initialized").getStatus()).isEqualTo("True");
    assertThat(condition(pod, "Ready").getStatus()).isEqualTo("False");
    assertThat(condition(pod, "ContainersReady").getStatus()).isEqualTo("False");
    ContainerStatus status = pod.getStatus().getContainerStatuses().get(0);
    assertThat(status.getReady()).isFalse();
    assertThat(status.getStarted()).isFalse();
    assertThat(status.getImage()).isEqualTo("docker.io/library/postgres:16");
    assertThat(status.getState().getWaiting().getReason()).isEqualTo("NoRuntime");
    assertThat(status.getState().getWaiting().getMessage())
        .contains("image \"postgres:16\" (container postgres)")
        .contains("kemu.dev/backend: \"host:port\"")
        .contains("kemu.dev/backend: bound")
        .contains("kemu/echo");
    assertRefused("127.245.1.2", 5432);
  }

  @Test
  void malformedBackendAnnotationIsAConfigError() throws Exception {
    write(forwardedPod("bad", "localhost").build());
    ContainerStatus status = pod("bad").getStatus().getContainerStatuses().get(0);
    assertThat(status.getState().getWaiting().getReason()).isEqualTo("CreateContainerConfigError");
    assertThat(status.getState().getWaiting().getMessage())
        .startsWith("annotation kemu.dev/backend: invalid value \"localhost\": ");
  }

  @Test
  void missingConfigMapKeepsThePodWaitingUntilItAppears() throws Exception {
    write(
        echoPod("configured")
            .editSpec()
            .editFirstContainer()
            .addNewEnv()
            .withName("MODE")
            .withNewValueFrom()
            .withNewConfigMapKeyRef("mode", "settings", null)
            .endValueFrom()
            .endEnv()
            .endContainer()
            .endSpec()
            .build());
    ContainerStatus status = pod("configured").getStatus().getContainerStatuses().get(0);
    assertThat(status.getState().getWaiting().getReason()).isEqualTo("CreateContainerConfigError");
    assertThat(status.getState().getWaiting().getMessage())
        .isEqualTo("configmap \"settings\" not found");
    assertThat(pod("configured").getStatus().getPhase()).isEqualTo("Pending");

    write(
        new ConfigMapBuilder()
            .withNewMetadata()
            .withNamespace(NS)
            .withName("settings")
            .endMetadata()
            .withData(Map.of("mode", "fast"))
            .build());
    Pod pod = pod("configured");
    assertThat(pod.getStatus().getPhase()).isEqualTo("Running");
    assertThat(
            new JsonObject(get(pod.getStatus().getPodIP(), 8080, "/").body())
                .getJsonObject("env")
                .getString("MODE"))
        .isEqualTo("fast");
  }

  @Test
  void portThatCannotBeBoundIsARunContainerError() throws Exception {
    // Something else already listens where the pod's first IP and port will be.
    try (ServerSocket squatter = new ServerSocket(8080, 10, InetAddress.getByName("127.245.1.2"))) {
      assertThat(squatter.isBound()).isTrue();
      write(echoPod("clash").build());
      Pod pod = pod("clash");
      assertThat(pod.getStatus().getPhase()).isEqualTo("Pending");
      ContainerStatus status = pod.getStatus().getContainerStatuses().get(0);
      assertThat(status.getState().getWaiting().getReason()).isEqualTo("RunContainerError");
      assertThat(status.getState().getWaiting().getMessage())
          .startsWith("listen tcp 127.245.1.2:8080: bind: ");
      assertThat(ready(pod)).isFalse();
    }
  }

  @Test
  void deletingAPodStopsItsListenerAndRemovesIt() throws Exception {
    write(echoPod("gone").build());
    assertThat(get("127.245.1.2", 8080, "/").statusCode()).isEqualTo(200);

    // A default delete only marks a running pod (grace period); the runtime stops it and
    // confirms the deletion.
    store.delete(key("gone"));
    settle();

    assertThat(store.get(Pod.class, NS, "gone")).isEmpty();
    assertRefused("127.245.1.2", 8080);
    // The next pod gets the next address: like the apiserver's allocators, the runtime does not
    // hand a released IP out again at once.
    write(echoPod("next").build());
    assertThat(pod("next").getStatus().getPodIP()).isEqualTo("127.245.1.3");
  }

  @Test
  void boundPodGetsAnIpThatItsOwnProcessCanBind() throws Exception {
    write(
        new PodBuilder()
            .withNewMetadata()
            .withNamespace(NS)
            .withName("mine")
            .withAnnotations(Map.of(PodRuntime.BACKEND_ANNOTATION, "bound"))
            .endMetadata()
            .withNewSpec()
            .addNewContainer()
            .withName("app")
            .withImage("my/app")
            .addNewPort()
            .withContainerPort(7000)
            .endPort()
            .endContainer()
            .endSpec()
            .build());
    Pod pod = pod("mine");
    assertThat(pod.getStatus().getPhase()).isEqualTo("Running");
    assertThat(ready(pod)).isTrue();
    String ip = pod.getStatus().getPodIP();
    assertThat(ip).isEqualTo("127.245.1.2");
    // Nothing of kemu's listens there: the test is the pod's process.
    try (ServerSocket server = new ServerSocket(7000, 10, InetAddress.getByName(ip))) {
      try (Socket client = new Socket(ip, 7000);
          Socket accepted = server.accept()) {
        assertThat(accepted.getInetAddress().getHostAddress()).isEqualTo("127.0.0.1");
        assertThat(client.isConnected()).isTrue();
      }
    }
  }

  @Test
  void closeStopsEveryWorkload() throws Exception {
    write(echoPod("web").build());
    assertThat(get("127.245.1.2", 8080, "/").statusCode()).isEqualTo(200);
    runtime.close();
    assertRefused("127.245.1.2", 8080);
  }

  @Test
  void podsBoundToAnotherNodeAreLeftAlone() throws Exception {
    write(echoPod("elsewhere").editSpec().withNodeName("node-2").endSpec().build());
    Pod pod = pod("elsewhere");
    assertThat(pod.getStatus())
        .satisfiesAnyOf(
            status -> assertThat(status).isNull(),
            status -> assertThat(status.getPhase()).isNull());
  }
}
