package dev.kemu.api.validation;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kemu.api.model.FieldError;
import dev.kemu.api.model.FieldPath;
import dev.kemu.api.model.ResourceCodec;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarSource;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.HTTPHeader;
import io.fabric8.kubernetes.api.model.HostAlias;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LifecycleHandler;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodDNSConfig;
import io.fabric8.kubernetes.api.model.PodDNSConfigOption;
import io.fabric8.kubernetes.api.model.PodSchedulingGate;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Pod and pod template validation, as {@code ValidatePodCreate}, {@code ValidatePodUpdate}, {@code
 * ValidatePodSpec} and {@code ValidatePodTemplateSpec} of {@code
 * pkg/apis/core/validation/validation.go}. It covers what matters to a networking emulator and to
 * the runtimes behind pods: containers, names and images, ports, probes and hooks, environment,
 * volumes and mounts, restart and DNS policy, DNS config, host aliases, tolerations, and the
 * immutability of a pod's spec. Volume sources, security contexts, resources and affinity are not
 * checked.
 */
public final class PodValidation {
  static final List<String> RESTART_POLICIES = List.of("Always", "OnFailure", "Never");
  static final List<String> DNS_POLICIES =
      List.of("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None");
  static final List<String> PULL_POLICIES = List.of("Always", "IfNotPresent", "Never");
  static final List<String> TERMINATION_MESSAGE_POLICIES = List.of("File", "FallbackToLogsOnError");
  static final List<String> HTTP_SCHEMES = List.of("HTTP", "HTTPS");
  static final List<String> TAINT_EFFECTS = List.of("NoSchedule", "PreferNoSchedule", "NoExecute");

  /** The fields a pod update may change, as {@code updatablePodSpecFields}. */
  static final List<String> UPDATABLE_FIELDS =
      List.of(
          "`spec.containers[*].image`",
          "`spec.initContainers[*].image`",
          "`spec.activeDeadlineSeconds`",
          "`spec.tolerations` (only additions to existing tolerations)",
          "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously"
              + " negative)");

  private static final Pattern HTTP_HEADER_NAME = Pattern.compile("[-A-Za-z0-9]+");
  private static final long MAX_INT32 = Integer.MAX_VALUE;

  private PodValidation() {}

  /** {@code ValidatePodCreate}: metadata, spec, and what only pods (not templates) require. */
  public static List<FieldError> validate(Pod pod) {
    List<FieldError> errs = new ArrayList<>(MetaValidation.objectMeta(pod.getMetadata()));
    FieldPath spec = FieldPath.of("spec");
    errs.addAll(spec(pod.getSpec(), spec, true));
    errs.addAll(imagesTrimmed(pod.getSpec().getContainers(), spec.child("containers")));
    errs.addAll(imagesTrimmed(pod.getSpec().getInitContainers(), spec.child("initContainers")));
    return errs;
  }

  /** {@code ValidatePodTemplateSpec}: labels, annotations and spec of a template. */
  public static List<FieldError> template(PodTemplateSpec template, FieldPath path) {
    List<FieldError> errs = new ArrayList<>();
    if (template.getMetadata() != null) {
      errs.addAll(MetaValidation.labels(template.getMetadata().getLabels(), path.child("labels")));
      errs.addAll(
          MetaValidation.annotations(
              template.getMetadata().getAnnotations(), path.child("annotations")));
    }
    PodSpec spec = template.getSpec() == null ? new PodSpec() : template.getSpec();
    errs.addAll(spec(spec, path.child("spec"), false));
    if (spec.getEphemeralContainers() != null && !spec.getEphemeralContainers().isEmpty()) {
      errs.add(
          FieldError.forbidden(
              path.child("spec").child("ephemeralContainers"),
              "ephemeral containers not allowed in pod template"));
    }
    return errs;
  }

  /**
   * {@code ValidatePodUpdate}: the spec of a pod may change only in its images, its {@code
   * activeDeadlineSeconds} and added tolerations.
   *
   * <p>kemu has no {@code binding} subresource; the step that binds a pod to the node (setting
   * {@code spec.nodeName} where it was empty) is an update, so that change is allowed too.
   */
  public static List<FieldError> validateUpdate(Pod pod, Pod old) {
    List<FieldError> errs = new ArrayList<>(validate(pod));
    FieldPath spec = FieldPath.of("spec");
    PodSpec next = pod.getSpec();
    PodSpec prev = old.getSpec() == null ? new PodSpec() : old.getSpec();
    if (containerUpdates(next.getContainers(), prev.getContainers(), spec.child("containers"), errs)
        || containerUpdates(
            next.getInitContainers(),
            prev.getInitContainers(),
            spec.child("initContainers"),
            errs)) {
      return errs;
    }
    Long deadline = next.getActiveDeadlineSeconds();
    if (deadline != null) {
      if (deadline < 0 || deadline > MAX_INT32) {
        errs.add(
            FieldError.invalid(
                spec.child("activeDeadlineSeconds"),
                deadline,
                Syntax.inclusiveRange(0, MAX_INT32)));
        return errs;
      }
      if (prev.getActiveDeadlineSeconds() != null && prev.getActiveDeadlineSeconds() < deadline) {
        errs.add(
            FieldError.invalid(
                spec.child("activeDeadlineSeconds"),
                deadline,
                "must be less than or equal to previous value"));
        return errs;
      }
    } else if (prev.getActiveDeadlineSeconds() != null) {
      errs.add(
          FieldError.invalid(
              spec.child("activeDeadlineSeconds"),
              GoValue.nullPointer(),
              "must not update from a positive integer to nil value"));
    }
    errs.addAll(onlyAddedTolerations(next.getTolerations(), prev.getTolerations(), spec));
    errs.addAll(onlyDeletedGates(next.getSchedulingGates(), prev.getSchedulingGates(), spec));

    // Compare the specs with the updatable fields taken from the old spec.
    PodSpec munged = ResourceCodec.convert(ResourceCodec.tree(next), PodSpec.class);
    mungeImages(munged.getContainers(), prev.getContainers());
    mungeImages(munged.getInitContainers(), prev.getInitContainers());
    munged.setActiveDeadlineSeconds(prev.getActiveDeadlineSeconds());
    munged.setSchedulingGates(prev.getSchedulingGates());
    munged.setTolerations(prev.getTolerations());
    if (prev.getTerminationGracePeriodSeconds() != null
        && prev.getTerminationGracePeriodSeconds() < 0
        && Objects.equals(munged.getTerminationGracePeriodSeconds(), 1L)) {
      munged.setTerminationGracePeriodSeconds(prev.getTerminationGracePeriodSeconds());
    }
    if (isEmpty(prev.getNodeName())) {
      munged.setNodeName(prev.getNodeName());
    }
    JsonNode before = ResourceCodec.tree(prev);
    JsonNode after = ResourceCodec.tree(munged);
    if (!before.equals(after)) {
      List<String> diff = new ArrayList<>();
      diff(before, after, "spec", diff);
      errs.add(
          FieldError.forbidden(
              spec,
              "pod updates may not change fields other than "
                  + String.join(",", UPDATABLE_FIELDS)
                  + "\n"
                  + String.join("\n", diff)));
    }
    return errs;
  }

  /** {@code ValidatePodSpec}; {@code isPod} is {@code opts.ResourceIsPod}. */
  public static List<FieldError> spec(PodSpec spec, FieldPath path, boolean isPod) {
    List<FieldError> errs = new ArrayList<>();
    if (spec.getTerminationGracePeriodSeconds() == null) {
      errs.add(FieldError.required(path.child("terminationGracePeriodSeconds"), ""));
    }
    Set<String> volumes = volumes(spec.getVolumes(), path.child("volumes"), errs);
    List<Container> containers = list(spec.getContainers());
    FieldPath containersPath = path.child("containers");
    if (containers.isEmpty()) {
      errs.add(FieldError.required(containersPath, ""));
    } else {
      Set<String> names = new HashSet<>();
      for (int i = 0; i < containers.size(); i++) {
        Container c = containers.get(i);
        FieldPath cPath = containersPath.index(i);
        errs.addAll(containerCommon(c, volumes, cPath));
        if (!names.add(Objects.requireNonNullElse(c.getName(), ""))) {
          errs.add(FieldError.duplicate(cPath.child("name"), c.getName()));
        }
        errs.addAll(lifecycleAndProbes(c, cPath));
        if (c.getRestartPolicy() != null) {
          errs.add(
              FieldError.forbidden(
                  cPath.child("restartPolicy"), "may not be set for non-init containers"));
        }
      }
      errs.addAll(hostPortConflicts(containers, containersPath));
    }
    errs.addAll(initContainers(spec, volumes, path.child("initContainers")));
    if (Boolean.TRUE.equals(spec.getHostNetwork())) {
      for (int i = 0; i < containers.size(); i++) {
        List<ContainerPort> ports = list(containers.get(i).getPorts());
        for (int j = 0; j < ports.size(); j++) {
          int hostPort = intValue(ports.get(j).getHostPort());
          int containerPort = intValue(ports.get(j).getContainerPort());
          if ((isPod || hostPort != 0) && hostPort != containerPort) {
            errs.add(
                FieldError.invalid(
                    containersPath.index(i).child("ports").index(j).child("hostPort"),
                    hostPort,
                    "must match `containerPort` when `hostNetwork` is true"));
          }
        }
      }
    }
    errs.addAll(oneOf(spec.getRestartPolicy(), RESTART_POLICIES, path.child("restartPolicy")));
    errs.addAll(oneOf(spec.getDnsPolicy(), DNS_POLICIES, path.child("dnsPolicy")));
    errs.addAll(MetaValidation.labels(spec.getNodeSelector(), path.child("nodeSelector")));
    errs.addAll(dnsConfig(spec.getDnsConfig(), spec.getDnsPolicy(), path.child("dnsConfig")));
    if (!isEmpty(spec.getServiceAccountName())) {
      errs.addAll(
          MetaValidation.dns1123Subdomain(
              spec.getServiceAccountName(), path.child("serviceAccountName")));
    }
    if (!isEmpty(spec.getNodeName())) {
      errs.addAll(MetaValidation.dns1123Subdomain(spec.getNodeName(), path.child("nodeName")));
    }
    if (spec.getActiveDeadlineSeconds() != null) {
      long value = spec.getActiveDeadlineSeconds();
      if (value < 1 || value > MAX_INT32) {
        errs.add(
            FieldError.invalid(
                path.child("activeDeadlineSeconds"), value, Syntax.inclusiveRange(1, MAX_INT32)));
      }
    }
    if (!isEmpty(spec.getHostname())) {
      errs.addAll(MetaValidation.dns1123Label(spec.getHostname(), path.child("hostname")));
    }
    if (!isEmpty(spec.getSubdomain())) {
      errs.addAll(MetaValidation.dns1123Label(spec.getSubdomain(), path.child("subdomain")));
    }
    errs.addAll(tolerations(spec.getTolerations(), path.child("tolerations")));
    List<HostAlias> aliases = list(spec.getHostAliases());
    for (int i = 0; i < aliases.size(); i++) {
      FieldPath aPath = path.child("hostAliases").index(i);
      String ip = Objects.requireNonNullElse(aliases.get(i).getIp(), "");
      if (!Syntax.isIp(ip)) {
        errs.add(FieldError.invalid(aPath.child("ip"), ip, Syntax.IP_MESSAGE));
      }
      List<String> hostnames = list(aliases.get(i).getHostnames());
      for (int j = 0; j < hostnames.size(); j++) {
        errs.addAll(
            MetaValidation.dns1123Subdomain(hostnames.get(j), aPath.child("hostnames").index(j)));
      }
    }
    return errs;
  }

  private static List<FieldError> initContainers(
      PodSpec spec, Set<String> volumes, FieldPath path) {
    List<FieldError> errs = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (Container c : list(spec.getContainers())) {
      names.add(c.getName());
    }
    List<Container> inits = list(spec.getInitContainers());
    for (int i = 0; i < inits.size(); i++) {
      Container c = inits.get(i);
      FieldPath cPath = path.index(i);
      errs.addAll(containerCommon(c, volumes, cPath));
      boolean restartAlways = false;
      if (c.getRestartPolicy() != null) {
        if (!c.getRestartPolicy().equals("Always")) {
          errs.add(
              FieldError.notSupported(
                  cPath.child("restartPolicy"), c.getRestartPolicy(), List.of("Always")));
        }
        restartAlways = c.getRestartPolicy().equals("Always");
      }
      if (names.contains(c.getName())) {
        errs.add(FieldError.duplicate(cPath.child("name"), c.getName()));
      } else if (!isEmpty(c.getName())) {
        names.add(c.getName());
      }
      errs.addAll(hostPortConflicts(List.of(c), path));
      if (restartAlways) {
        errs.addAll(lifecycleAndProbes(c, cPath));
      } else {
        String why = "may not be set for init containers without restartPolicy=Always";
        if (c.getLifecycle() != null) {
          errs.add(FieldError.forbidden(cPath.child("lifecycle"), why));
        }
        if (c.getLivenessProbe() != null) {
          errs.add(FieldError.forbidden(cPath.child("livenessProbe"), why));
        }
        if (c.getReadinessProbe() != null) {
          errs.add(FieldError.forbidden(cPath.child("readinessProbe"), why));
        }
        if (c.getStartupProbe() != null) {
          errs.add(FieldError.forbidden(cPath.child("startupProbe"), why));
        }
      }
    }
    return errs;
  }

  /**
   * The lifecycle hooks and the probes of a container that runs beside the others (a regular
   * container or a restartable init container): {@code validateLifecycle}, {@code
   * validateLivenessProbe}, {@code validateReadinessProbe}, {@code validateStartupProbe}.
   */
  private static List<FieldError> lifecycleAndProbes(Container c, FieldPath path) {
    List<FieldError> errs = new ArrayList<>();
    if (c.getLifecycle() != null) {
      errs.addAll(
          handler(c.getLifecycle().getPostStart(), path.child("lifecycle").child("postStart")));
      errs.addAll(handler(c.getLifecycle().getPreStop(), path.child("lifecycle").child("preStop")));
    }
    errs.addAll(probe(c.getLivenessProbe(), path.child("livenessProbe"), Kind.LIVENESS));
    errs.addAll(probe(c.getReadinessProbe(), path.child("readinessProbe"), Kind.READINESS));
    errs.addAll(probe(c.getStartupProbe(), path.child("startupProbe"), Kind.STARTUP));
    return errs;
  }

  /** {@code validateContainerCommon}. */
  private static List<FieldError> containerCommon(
      Container c, Set<String> volumes, FieldPath path) {
    List<FieldError> errs = new ArrayList<>();
    String name = Objects.requireNonNullElse(c.getName(), "");
    if (name.isEmpty()) {
      errs.add(FieldError.required(path.child("name"), ""));
    } else {
      errs.addAll(MetaValidation.dns1123Label(name, path.child("name")));
    }
    if (isEmpty(c.getImage())) {
      errs.add(FieldError.required(path.child("image"), ""));
    }
    errs.addAll(
        oneOf(
            c.getTerminationMessagePolicy(),
            TERMINATION_MESSAGE_POLICIES,
            path.child("terminationMessagePolicy")));
    errs.addAll(containerPorts(c.getPorts(), path.child("ports")));
    errs.addAll(env(c.getEnv(), path.child("env")));
    errs.addAll(volumeMounts(c.getVolumeMounts(), volumes, path.child("volumeMounts")));
    errs.addAll(oneOf(c.getImagePullPolicy(), PULL_POLICIES, path.child("imagePullPolicy")));
    return errs;
  }

  /** {@code validateContainerPorts}: names are IANA service names unique in a container. */
  public static List<FieldError> containerPorts(List<ContainerPort> ports, FieldPath path) {
    List<FieldError> errs = new ArrayList<>();
    Set<String> names = new HashSet<>();
    List<ContainerPort> list = list(ports);
    for (int i = 0; i < list.size(); i++) {
      ContainerPort port = list.get(i);
      FieldPath p = path.index(i);
      String name = Objects.requireNonNullElse(port.getName(), "");
      if (!name.isEmpty()) {
        List<String> msgs = Syntax.portName(name);
        if (!msgs.isEmpty()) {
          errs.addAll(MetaValidation.each(msgs, p.child("name"), name));
        } else if (!names.add(name)) {
          errs.add(FieldError.duplicate(p.child("name"), name));
        }
      }
      int containerPort = intValue(port.getContainerPort());
      if (containerPort == 0) {
        errs.add(FieldError.required(p.child("containerPort"), ""));
      } else {
        for (String msg : Syntax.portNumber(containerPort)) {
          errs.add(FieldError.invalid(p.child("containerPort"), containerPort, msg));
        }
      }
      int hostPort = intValue(port.getHostPort());
      if (hostPort != 0) {
        for (String msg : Syntax.portNumber(hostPort)) {
          errs.add(FieldError.invalid(p.child("hostPort"), hostPort, msg));
        }
      }
      String protocol = Objects.requireNonNullElse(port.getProtocol(), "");
      if (protocol.isEmpty()) {
        errs.add(FieldError.required(p.child("protocol"), ""));
      } else if (!ServiceValidation.PROTOCOLS.contains(protocol)) {
        errs.add(
            FieldError.notSupported(p.child("protocol"), protocol, ServiceValidation.PROTOCOLS));
      }
    }
    return errs;
  }

  /** {@code AccumulateUniqueHostPorts}: one protocol/hostIP/hostPort per pod. */
  private static List<FieldError> hostPortConflicts(List<Container> containers, FieldPath path) {
    List<FieldError> errs = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < containers.size(); i++) {
      List<ContainerPort> ports = list(containers.get(i).getPorts());
      for (int j = 0; j < ports.size(); j++) {
        ContainerPort port = ports.get(j);
        int hostPort = intValue(port.getHostPort());
        if (hostPort == 0) {
          continue;
        }
        String key =
            Objects.requireNonNullElse(port.getProtocol(), "")
                + "/"
                + Objects.requireNonNullElse(port.getHostIP(), "")
                + "/"
                + hostPort;
        if (!seen.add(key)) {
          errs.add(
              FieldError.duplicate(path.index(i).child("ports").index(j).child("hostPort"), key));
        }
      }
    }
    return errs;
  }

  private enum Kind {
    LIVENESS,
    READINESS,
    STARTUP
  }

  /**
   * {@code validateLivenessProbe}, {@code validateReadinessProbe}, {@code validateStartupProbe}.
   */
  private static List<FieldError> probe(Probe probe, FieldPath path, Kind kind) {
    List<FieldError> errs = new ArrayList<>();
    if (probe == null) {
      return errs;
    }
    errs.addAll(
        handler(
            probe.getExec(),
            probe.getHttpGet(),
            probe.getTcpSocket(),
            probe.getGrpc() == null ? null : new IntOrString(intValue(probe.getGrpc().getPort())),
            null,
            path));
    errs.addAll(
        MetaValidation.nonnegative(
            intValue(probe.getInitialDelaySeconds()), path.child("initialDelaySeconds")));
    errs.addAll(
        MetaValidation.nonnegative(
            intValue(probe.getTimeoutSeconds()), path.child("timeoutSeconds")));
    errs.addAll(
        MetaValidation.nonnegative(
            intValue(probe.getPeriodSeconds()), path.child("periodSeconds")));
    errs.addAll(
        MetaValidation.nonnegative(
            intValue(probe.getSuccessThreshold()), path.child("successThreshold")));
    errs.addAll(
        MetaValidation.nonnegative(
            intValue(probe.getFailureThreshold()), path.child("failureThreshold")));
    Long grace = probe.getTerminationGracePeriodSeconds();
    if (grace != null && grace <= 0) {
      errs.add(
          FieldError.invalid(
              path.child("terminationGracePeriodSeconds"), grace, "must be greater than 0"));
    }
    if (kind != Kind.READINESS && intValue(probe.getSuccessThreshold()) != 1) {
      errs.add(
          FieldError.invalid(
              path.child("successThreshold"), intValue(probe.getSuccessThreshold()), "must be 1"));
    }
    if (kind == Kind.READINESS && grace != null) {
      errs.add(
          FieldError.invalid(
              path.child("terminationGracePeriodSeconds"),
              grace,
              "must not be set for readinessProbes"));
    }
    return errs;
  }

  private static List<FieldError> handler(LifecycleHandler handler, FieldPath path) {
    if (handler == null) {
      return List.of();
    }
    return handler(
        handler.getExec(),
        handler.getHttpGet(),
        handler.getTcpSocket(),
        null,
        handler.getSleep(),
        path);
  }

  /** {@code validateHandler}: exactly one handler type. */
  private static List<FieldError> handler(
      io.fabric8.kubernetes.api.model.ExecAction exec,
      HTTPGetAction httpGet,
      io.fabric8.kubernetes.api.model.TCPSocketAction tcpSocket,
      IntOrString grpcPort,
      io.fabric8.kubernetes.api.model.SleepAction sleep,
      FieldPath path) {
    List<FieldError> errs = new ArrayList<>();
    int handlers = 0;
    String more = "may not specify more than 1 handler type";
    if (exec != null) {
      handlers++;
      if (exec.getCommand() == null || exec.getCommand().isEmpty()) {
        errs.add(FieldError.required(path.child("exec").child("command"), ""));
      }
    }
    if (httpGet != null) {
      if (handlers > 0) {
        errs.add(FieldError.forbidden(path.child("httpGet"), more));
      } else {
        handlers++;
        errs.addAll(httpGet(httpGet, path.child("httpGet")));
      }
    }
    if (tcpSocket != null) {
      if (handlers > 0) {
        errs.add(FieldError.forbidden(path.child("tcpSocket"), more));
      } else {
        handlers++;
        errs.addAll(
            ServiceValidation.portNumOrName(
                tcpSocket.getPort(), path.child("tcpSocket").child("port")));
      }
    }
    if (grpcPort != null) {
      if (handlers > 0) {
        errs.add(FieldError.forbidden(path.child("grpc"), more));
      } else {
        handlers++;
        errs.addAll(ServiceValidation.portNumOrName(grpcPort, path.child("grpc").child("port")));
      }
    }
    if (sleep != null) {
      if (handlers > 0) {
        errs.add(FieldError.forbidden(path.child("sleep"), more));
      } else {
        handlers++;
      }
    }
    if (handlers == 0) {
      errs.add(FieldError.required(path, "must specify a handler type"));
    }
    return errs;
  }

  /** {@code validateHTTPGetAction}. */
  private static List<FieldError> httpGet(HTTPGetAction action, FieldPath path) {
    List<FieldError> errs = new ArrayList<>();
    if (isEmpty(action.getPath())) {
      errs.add(FieldError.required(path.child("path"), ""));
    }
    errs.addAll(ServiceValidation.portNumOrName(action.getPort(), path.child("port")));
    String scheme = Objects.requireNonNullElse(action.getScheme(), "");
    if (!HTTP_SCHEMES.contains(scheme)) {
      errs.add(FieldError.notSupported(path.child("scheme"), scheme, HTTP_SCHEMES));
    }
    for (HTTPHeader header : list(action.getHttpHeaders())) {
      String name = Objects.requireNonNullElse(header.getName(), "");
      if (!HTTP_HEADER_NAME.matcher(name).matches()) {
        errs.add(
            FieldError.invalid(
                path.child("httpHeaders"),
                name,
                Syntax.regexError(
                    "a valid HTTP header must consist of alphanumeric characters or '-'",
                    "[-A-Za-z0-9]+",
                    "X-Header-Name")));
      }
    }
    return errs;
  }

  /** {@code ValidateEnv} with relaxed names (the default since 1.32). */
  private static List<FieldError> env(List<EnvVar> vars, FieldPath path) {
    List<FieldError> errs = new ArrayList<>();
    List<EnvVar> list = list(vars);
    for (int i = 0; i < list.size(); i++) {
      EnvVar ev = list.get(i);
      FieldPath p = path.index(i);
      String name = Objects.requireNonNullElse(ev.getName(), "");
      if (name.isEmpty()) {
        errs.add(FieldError.required(p.child("name"), ""));
      } else if (!name.chars().allMatch(ch -> ch >= 0x20 && ch < 0x7f && ch != '=')) {
        errs.add(
            FieldError.invalid(
                p.child("name"),
                name,
                "a valid environment variable name must consist only of printable ASCII characters"
                    + " other than '='"));
      }
      EnvVarSource from = ev.getValueFrom();
      if (from != null) {
        int sources = 0;
        sources += from.getFieldRef() != null ? 1 : 0;
        sources += from.getResourceFieldRef() != null ? 1 : 0;
        sources += from.getConfigMapKeyRef() != null ? 1 : 0;
        sources += from.getSecretKeyRef() != null ? 1 : 0;
        sources += from.getFileKeyRef() != null ? 1 : 0;
        FieldPath fromPath = p.child("valueFrom");
        if (sources == 0) {
          errs.add(
              FieldError.invalid(
                  fromPath,
                  "",
                  "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or"
                      + " `secretKeyRef`"));
        } else if (!isEmpty(ev.getValue())) {
          errs.add(
              FieldError.invalid(fromPath, "", "may not be specified when `value` is not empty"));
        } else if (sources > 1) {
          errs.add(
              FieldError.invalid(
                  fromPath, "", "may not have more than one field specified at a time"));
        }
      }
    }
    return errs;
  }

  /** The names and uniqueness of volumes ({@code ValidateVolumes}, without the sources). */
  private static Set<String> volumes(List<Volume> volumes, FieldPath path, List<FieldError> errs) {
    Set<String> names = new HashSet<>();
    List<Volume> list = list(volumes);
    for (int i = 0; i < list.size(); i++) {
      String name = Objects.requireNonNullElse(list.get(i).getName(), "");
      FieldPath p = path.index(i).child("name");
      if (name.isEmpty()) {
        errs.add(FieldError.required(p, ""));
      } else {
        errs.addAll(MetaValidation.dns1123Label(name, p));
      }
      if (!name.isEmpty() && !names.add(name)) {
        errs.add(FieldError.duplicate(p, name));
      }
    }
    return names;
  }

  /** {@code ValidateVolumeMounts}: names, paths, uniqueness. */
  private static List<FieldError> volumeMounts(
      List<VolumeMount> mounts, Set<String> volumes, FieldPath path) {
    List<FieldError> errs = new ArrayList<>();
    Set<String> paths = new HashSet<>();
    List<VolumeMount> list = list(mounts);
    for (int i = 0; i < list.size(); i++) {
      VolumeMount mount = list.get(i);
      FieldPath p = path.index(i);
      String name = Objects.requireNonNullElse(mount.getName(), "");
      if (name.isEmpty()) {
        errs.add(FieldError.required(p.child("name"), ""));
      }
      if (!volumes.contains(name)) {
        errs.add(FieldError.notFound(p.child("name"), name));
      }
      String mountPath = Objects.requireNonNullElse(mount.getMountPath(), "");
      if (mountPath.isEmpty()) {
        errs.add(FieldError.required(p.child("mountPath"), ""));
      }
      if (!paths.add(mountPath)) {
        errs.add(FieldError.invalid(p.child("mountPath"), mountPath, "must be unique"));
      }
    }
    return errs;
  }

  /** {@code validatePodDNSConfig}. */
  private static List<FieldError> dnsConfig(PodDNSConfig config, String policy, FieldPath path) {
    List<FieldError> errs = new ArrayList<>();
    if ("None".equals(policy)) {
      if (config == null) {
        return List.of(
            FieldError.required(path, "must provide `dnsConfig` when `dnsPolicy` is None"));
      }
      if (list(config.getNameservers()).isEmpty()) {
        return List.of(
            FieldError.required(
                path.child("nameservers"),
                "must provide at least one DNS nameserver when `dnsPolicy` is None"));
      }
    }
    if (config == null) {
      return errs;
    }
    List<String> nameservers = list(config.getNameservers());
    if (nameservers.size() > 3) {
      errs.add(
          FieldError.invalid(
              path.child("nameservers"),
              GoValue.strings(nameservers),
              "must not have more than 3 nameservers"));
    }
    for (int i = 0; i < nameservers.size(); i++) {
      String ns = Objects.requireNonNullElse(nameservers.get(i), "");
      if (!Syntax.isIp(ns)) {
        errs.add(FieldError.invalid(path.child("nameservers").index(i), ns, Syntax.IP_MESSAGE));
      }
    }
    List<String> searches = list(config.getSearches());
    if (searches.size() > 32) {
      errs.add(
          FieldError.invalid(
              path.child("searches"),
              GoValue.strings(searches),
              "must not have more than 32 search paths"));
    }
    if (String.join(" ", searches).length() > 2048) {
      errs.add(
          FieldError.invalid(
              path.child("searches"),
              GoValue.strings(searches),
              "must not have more than 2048 characters (including spaces) in the search list"));
    }
    for (int i = 0; i < searches.size(); i++) {
      String search = Objects.requireNonNullElse(searches.get(i), "");
      if (search.equals(".")) {
        continue;
      }
      if (search.endsWith(".")) {
        search = search.substring(0, search.length() - 1);
      }
      errs.addAll(MetaValidation.dns1123Subdomain(search, path.child("searches").index(i)));
    }
    List<PodDNSConfigOption> options = list(config.getOptions());
    for (int i = 0; i < options.size(); i++) {
      if (isEmpty(options.get(i).getName())) {
        errs.add(FieldError.required(path.child("options").index(i), "must not be empty"));
      }
    }
    return errs;
  }

  /** {@code ValidateTolerations}. */
  private static List<FieldError> tolerations(List<Toleration> tolerations, FieldPath path) {
    List<FieldError> errs = new ArrayList<>();
    List<Toleration> list = list(tolerations);
    for (int i = 0; i < list.size(); i++) {
      Toleration t = list.get(i);
      FieldPath p = path.index(i);
      String key = Objects.requireNonNullElse(t.getKey(), "");
      String operator = Objects.requireNonNullElse(t.getOperator(), "");
      String value = Objects.requireNonNullElse(t.getValue(), "");
      String effect = Objects.requireNonNullElse(t.getEffect(), "");
      if (!key.isEmpty()) {
        errs.addAll(MetaValidation.labelName(key, p.child("key")));
      }
      if (key.isEmpty() && !operator.equals("Exists")) {
        errs.add(
            FieldError.invalid(
                p.child("operator"),
                operator,
                "operator must be Exists when `key` is empty, which means \"match all values and"
                    + " all keys\""));
      }
      if (t.getTolerationSeconds() != null && !effect.equals("NoExecute")) {
        errs.add(
            FieldError.invalid(
                p.child("effect"),
                effect,
                "effect must be 'NoExecute' when `tolerationSeconds` is set"));
      }
      switch (operator) {
        case "Equal", "" -> {
          List<String> msgs = Syntax.labelValue(value);
          if (!msgs.isEmpty()) {
            errs.add(FieldError.invalid(p.child("operator"), value, String.join(";", msgs)));
          }
        }
        case "Exists" -> {
          if (!value.isEmpty()) {
            errs.add(
                FieldError.invalid(
                    p.child("operator"), value, "value must be empty when `operator` is 'Exists'"));
          }
        }
        default ->
            errs.add(
                FieldError.notSupported(p.child("operator"), operator, List.of("Equal", "Exists")));
      }
      if (!effect.isEmpty() && !TAINT_EFFECTS.contains(effect)) {
        errs.add(FieldError.notSupported(p.child("effect"), effect, TAINT_EFFECTS));
      }
    }
    return errs;
  }

  private static List<FieldError> onlyAddedTolerations(
      List<Toleration> next, List<Toleration> prev, FieldPath spec) {
    for (Toleration old : list(prev)) {
      boolean found = false;
      for (Toleration t : list(next)) {
        if (Objects.equals(old.getKey(), t.getKey())
            && Objects.equals(old.getOperator(), t.getOperator())
            && Objects.equals(old.getValue(), t.getValue())
            && Objects.equals(old.getEffect(), t.getEffect())) {
          found = true;
          break;
        }
      }
      if (!found) {
        return List.of(
            FieldError.forbidden(
                spec.child("tolerations"),
                "existing toleration can not be modified except its tolerationSeconds"));
      }
    }
    return List.of();
  }

  private static List<FieldError> onlyDeletedGates(
      List<PodSchedulingGate> next, List<PodSchedulingGate> prev, FieldPath spec) {
    List<FieldError> errs = new ArrayList<>();
    Set<String> old = new HashSet<>();
    for (PodSchedulingGate gate : list(prev)) {
      old.add(gate.getName());
    }
    List<PodSchedulingGate> gates = list(next);
    for (int i = 0; i < gates.size(); i++) {
      if (!old.contains(gates.get(i).getName())) {
        errs.add(
            FieldError.forbidden(
                spec.child("schedulingGates").index(i).child("name"),
                "only deletion is allowed, but found new scheduling gate '"
                    + gates.get(i).getName()
                    + "'"));
      }
    }
    return errs;
  }

  /**
   * {@code ValidateContainerUpdates}: containers may not be added or removed, images stay set.
   *
   * @return whether validation must stop
   */
  private static boolean containerUpdates(
      List<Container> next, List<Container> prev, FieldPath path, List<FieldError> errs) {
    if (list(next).size() != list(prev).size()) {
      errs.add(FieldError.forbidden(path, "pod updates may not add or remove containers"));
      return true;
    }
    List<Container> containers = list(next);
    for (int i = 0; i < containers.size(); i++) {
      String image = Objects.requireNonNullElse(containers.get(i).getImage(), "");
      if (image.isEmpty()) {
        errs.add(FieldError.required(path.index(i).child("image"), ""));
      }
    }
    return false;
  }

  private static List<FieldError> imagesTrimmed(List<Container> containers, FieldPath path) {
    List<FieldError> errs = new ArrayList<>();
    List<Container> list = list(containers);
    for (int i = 0; i < list.size(); i++) {
      String image = Objects.requireNonNullElse(list.get(i).getImage(), "");
      if (!image.equals(image.strip())) {
        errs.add(
            FieldError.invalid(
                path.index(i).child("image"),
                image,
                "must not have leading or trailing whitespace"));
      }
    }
    return errs;
  }

  private static void mungeImages(List<Container> munged, List<Container> old) {
    List<Container> next = list(munged);
    List<Container> prev = list(old);
    for (int i = 0; i < next.size() && i < prev.size(); i++) {
      next.get(i).setImage(prev.get(i).getImage());
    }
  }

  /**
   * The fields that differ between two JSON trees, as {@code - path: old} / {@code + path: new}.
   */
  private static void diff(JsonNode before, JsonNode after, String path, List<String> out) {
    if (Objects.equals(before, after)) {
      return;
    }
    if (before != null && after != null && before.isObject() && after.isObject()) {
      Set<String> names = new java.util.TreeSet<>();
      before.fieldNames().forEachRemaining(names::add);
      after.fieldNames().forEachRemaining(names::add);
      for (String name : names) {
        diff(before.get(name), after.get(name), path + "." + name, out);
      }
      return;
    }
    if (before != null
        && after != null
        && before.isArray()
        && after.isArray()
        && before.size() == after.size()) {
      Iterator<JsonNode> a = before.elements();
      Iterator<JsonNode> b = after.elements();
      int i = 0;
      while (a.hasNext()) {
        diff(a.next(), b.next(), path + "[" + i++ + "]", out);
      }
      return;
    }
    if (before != null) {
      out.add("- " + path + ": " + before);
    }
    if (after != null) {
      out.add("+ " + path + ": " + after);
    }
  }

  private static List<FieldError> oneOf(String value, List<String> supported, FieldPath path) {
    String v = Objects.requireNonNullElse(value, "");
    if (v.isEmpty()) {
      return List.of(FieldError.required(path, ""));
    }
    if (!supported.contains(v)) {
      return List.of(FieldError.notSupported(path, v, supported));
    }
    return List.of();
  }

  private static int intValue(Integer value) {
    return value == null ? 0 : value;
  }

  private static boolean isEmpty(String s) {
    return s == null || s.isEmpty();
  }

  private static <T> List<T> list(List<T> list) {
    return list == null ? List.of() : list;
  }
}
