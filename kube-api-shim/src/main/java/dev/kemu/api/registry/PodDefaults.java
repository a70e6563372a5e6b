package dev.kemu.api.registry;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.Lifecycle;
import io.fabric8.kubernetes.api.model.LifecycleHandler;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The defaults the apiserver gives pods and pod templates when it decodes them, as {@code
 * pkg/apis/core/v1/defaults.go}: {@code SetDefaults_Pod}, {@code SetDefaults_PodSpec}, {@code
 * SetDefaults_Container}, {@code SetDefaults_ContainerPort}, {@code SetDefaults_Probe} and {@code
 * SetDefaults_HTTPGetAction}.
 */
final class PodDefaults {
  /** {@code v1.DefaultTerminationGracePeriodSeconds}. */
  static final long TERMINATION_GRACE_PERIOD = 30;

  private PodDefaults() {}

  /** {@code SetDefaults_Pod} with the spec defaults: what a Pod object gets. */
  static void applyPod(Pod pod) {
    if (pod.getSpec() == null) {
      pod.setSpec(new PodSpec());
    }
    PodSpec spec = pod.getSpec();
    applySpec(spec);
    // Requests default to limits where only limits are given.
    for (Container c : containers(spec)) {
      ResourceRequirements resources = c.getResources();
      if (resources != null && resources.getLimits() != null && !resources.getLimits().isEmpty()) {
        Map<String, Quantity> requests =
            resources.getRequests() == null
                ? new LinkedHashMap<>()
                : new LinkedHashMap<>(resources.getRequests());
        resources.getLimits().forEach(requests::putIfAbsent);
        resources.setRequests(requests);
      }
    }
    if (spec.getEnableServiceLinks() == null) {
      spec.setEnableServiceLinks(true);
    }
    if (Boolean.TRUE.equals(spec.getHostNetwork())) {
      defaultHostNetworkPorts(spec.getContainers());
      defaultHostNetworkPorts(spec.getInitContainers());
    }
  }

  /** The defaults of a pod template ({@code SetDefaults_PodSpec} and below). */
  static void applyTemplate(PodTemplateSpec template) {
    if (template.getSpec() == null) {
      template.setSpec(new PodSpec());
    }
    applySpec(template.getSpec());
  }

  /** {@code SetDefaults_PodSpec}, and the defaults of its containers. */
  static void applySpec(PodSpec spec) {
    if (isEmpty(spec.getDnsPolicy())) {
      spec.setDnsPolicy("ClusterFirst");
    }
    if (isEmpty(spec.getRestartPolicy())) {
      spec.setRestartPolicy("Always");
    }
    if (spec.getSecurityContext() == null) {
      spec.setSecurityContext(new PodSecurityContext());
    }
    if (spec.getTerminationGracePeriodSeconds() == null) {
      spec.setTerminationGracePeriodSeconds(TERMINATION_GRACE_PERIOD);
    }
    if (isEmpty(spec.getSchedulerName())) {
      spec.setSchedulerName("default-scheduler");
    }
    for (Container c : containers(spec)) {
      applyContainer(c);
    }
  }

  /** {@code SetDefaults_Container} and the defaults of its ports, probes and hooks. */
  static void applyContainer(Container c) {
    if (isEmpty(c.getImagePullPolicy())) {
      c.setImagePullPolicy("latest".equals(imageTag(c.getImage())) ? "Always" : "IfNotPresent");
    }
    if (isEmpty(c.getTerminationMessagePath())) {
      c.setTerminationMessagePath("/dev/termination-log");
    }
    if (isEmpty(c.getTerminationMessagePolicy())) {
      c.setTerminationMessagePolicy("File");
    }
    if (c.getPorts() != null) {
      for (ContainerPort port : c.getPorts()) {
        if (isEmpty(port.getProtocol())) {
          port.setProtocol("TCP");
        }
      }
    }
    applyProbe(c.getLivenessProbe());
    applyProbe(c.getReadinessProbe());
    applyProbe(c.getStartupProbe());
    Lifecycle lifecycle = c.getLifecycle();
    if (lifecycle != null) {
      applyHandler(lifecycle.getPostStart());
      applyHandler(lifecycle.getPreStop());
    }
  }

  private static void applyProbe(Probe probe) {
    if (probe == null) {
      return;
    }
    if (probe.getTimeoutSeconds() == null || probe.getTimeoutSeconds() == 0) {
      probe.setTimeoutSeconds(1);
    }
    if (probe.getPeriodSeconds() == null || probe.getPeriodSeconds() == 0) {
      probe.setPeriodSeconds(10);
    }
    if (probe.getSuccessThreshold() == null || probe.getSuccessThreshold() == 0) {
      probe.setSuccessThreshold(1);
    }
    if (probe.getFailureThreshold() == null || probe.getFailureThreshold() == 0) {
      probe.setFailureThreshold(3);
    }
    applyHttpGet(probe.getHttpGet());
  }

  private static void applyHandler(LifecycleHandler handler) {
    if (handler != null) {
      applyHttpGet(handler.getHttpGet());
    }
  }

  private static void applyHttpGet(HTTPGetAction action) {
    if (action == null) {
      return;
    }
    if (isEmpty(action.getPath())) {
      action.setPath("/");
    }
    if (isEmpty(action.getScheme())) {
      action.setScheme("HTTP");
    }
  }

  /** With {@code hostNetwork}, a port's hostPort is its containerPort. */
  private static void defaultHostNetworkPorts(List<Container> containers) {
    if (containers == null) {
      return;
    }
    for (Container c : containers) {
      if (c.getPorts() != null) {
        for (ContainerPort port : c.getPorts()) {
          if (port.getHostPort() == null || port.getHostPort() == 0) {
            port.setHostPort(port.getContainerPort());
          }
        }
      }
    }
  }

  /**
   * The tag of an image reference as {@code parsers.ParseImageName} reads it: the explicit tag,
   * none if only a digest is given, {@code latest} if neither.
   */
  static String imageTag(String image) {
    if (image == null) {
      return "latest";
    }
    String ref = image;
    if (ref.contains("@")) {
      String beforeDigest = ref.substring(0, ref.indexOf('@'));
      int colon = beforeDigest.lastIndexOf(':');
      return colon > beforeDigest.lastIndexOf('/') ? beforeDigest.substring(colon + 1) : "";
    }
    int colon = ref.lastIndexOf(':');
    if (colon > ref.lastIndexOf('/')) {
      return ref.substring(colon + 1);
    }
    return "latest";
  }

  static List<Container> containers(PodSpec spec) {
    List<Container> all = new java.util.ArrayList<>();
    if (spec.getInitContainers() != null) {
      all.addAll(spec.getInitContainers());
    }
    if (spec.getContainers() != null) {
      all.addAll(spec.getContainers());
    }
    return all;
  }

  private static boolean isEmpty(String s) {
    return s == null || s.isEmpty();
  }
}
