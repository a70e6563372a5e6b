package dev.kemu.api.registry;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetSpec;
import io.fabric8.kubernetes.api.model.apps.DaemonSetUpdateStrategy;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentSpec;
import io.fabric8.kubernetes.api.model.apps.DeploymentStrategy;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetSpec;
import io.fabric8.kubernetes.api.model.apps.RollingUpdateDaemonSet;
import io.fabric8.kubernetes.api.model.apps.RollingUpdateDeployment;
import io.fabric8.kubernetes.api.model.apps.RollingUpdateStatefulSetStrategy;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetPersistentVolumeClaimRetentionPolicy;
import io.fabric8.kubernetes.api.model.apps.StatefulSetSpec;
import io.fabric8.kubernetes.api.model.apps.StatefulSetUpdateStrategy;

/**
 * The defaults controllers rely on, as {@code pkg/apis/apps/v1/defaults.go}: {@code
 * SetDefaults_Deployment} (one replica, RollingUpdate 25%/25%, ten revisions, 600s progress
 * deadline), {@code SetDefaults_ReplicaSet}, {@code SetDefaults_StatefulSet} (OrderedReady,
 * RollingUpdate with partition 0, Retain claims) and {@code SetDefaults_DaemonSet} (RollingUpdate,
 * maxUnavailable 1, maxSurge 0), each with the pod template defaults.
 */
final class WorkloadDefaults {
  private WorkloadDefaults() {}

  static void apply(Deployment deployment) {
    if (deployment.getSpec() == null) {
      deployment.setSpec(new DeploymentSpec());
    }
    DeploymentSpec spec = deployment.getSpec();
    if (spec.getReplicas() == null) {
      spec.setReplicas(1);
    }
    if (spec.getStrategy() == null) {
      spec.setStrategy(new DeploymentStrategy());
    }
    DeploymentStrategy strategy = spec.getStrategy();
    if (isEmpty(strategy.getType())) {
      strategy.setType("RollingUpdate");
    }
    if ("RollingUpdate".equals(strategy.getType())) {
      if (strategy.getRollingUpdate() == null) {
        strategy.setRollingUpdate(new RollingUpdateDeployment());
      }
      RollingUpdateDeployment rolling = strategy.getRollingUpdate();
      if (rolling.getMaxUnavailable() == null) {
        rolling.setMaxUnavailable(new IntOrString("25%"));
      }
      if (rolling.getMaxSurge() == null) {
        rolling.setMaxSurge(new IntOrString("25%"));
      }
    }
    if (spec.getRevisionHistoryLimit() == null) {
      spec.setRevisionHistoryLimit(10);
    }
    if (spec.getProgressDeadlineSeconds() == null) {
      spec.setProgressDeadlineSeconds(600);
    }
    spec.setTemplate(template(spec.getTemplate()));
  }

  static void apply(ReplicaSet replicaSet) {
    if (replicaSet.getSpec() == null) {
      replicaSet.setSpec(new ReplicaSetSpec());
    }
    ReplicaSetSpec spec = replicaSet.getSpec();
    if (spec.getReplicas() == null) {
      spec.setReplicas(1);
    }
    spec.setTemplate(template(spec.getTemplate()));
  }

  static void apply(StatefulSet statefulSet) {
    if (statefulSet.getSpec() == null) {
      statefulSet.setSpec(new StatefulSetSpec());
    }
    StatefulSetSpec spec = statefulSet.getSpec();
    if (isEmpty(spec.getPodManagementPolicy())) {
      spec.setPodManagementPolicy("OrderedReady");
    }
    if (spec.getUpdateStrategy() == null) {
      spec.setUpdateStrategy(new StatefulSetUpdateStrategy());
    }
    StatefulSetUpdateStrategy strategy = spec.getUpdateStrategy();
    if (isEmpty(strategy.getType())) {
      strategy.setType("RollingUpdate");
      if (strategy.getRollingUpdate() == null) {
        strategy.setRollingUpdate(new RollingUpdateStatefulSetStrategy());
      }
    }
    if ("RollingUpdate".equals(strategy.getType())
        && strategy.getRollingUpdate() != null
        && strategy.getRollingUpdate().getPartition() == null) {
      strategy.getRollingUpdate().setPartition(0);
    }
    if (spec.getPersistentVolumeClaimRetentionPolicy() == null) {
      spec.setPersistentVolumeClaimRetentionPolicy(
          new StatefulSetPersistentVolumeClaimRetentionPolicy());
    }
    StatefulSetPersistentVolumeClaimRetentionPolicy retention =
        spec.getPersistentVolumeClaimRetentionPolicy();
    if (isEmpty(retention.getWhenDeleted())) {
      retention.setWhenDeleted("Retain");
    }
    if (isEmpty(retention.getWhenScaled())) {
      retention.setWhenScaled("Retain");
    }
    if (spec.getReplicas() == null) {
      spec.setReplicas(1);
    }
    if (spec.getRevisionHistoryLimit() == null) {
      spec.setRevisionHistoryLimit(10);
    }
    spec.setTemplate(template(spec.getTemplate()));
  }

  static void apply(DaemonSet daemonSet) {
    if (daemonSet.getSpec() == null) {
      daemonSet.setSpec(new DaemonSetSpec());
    }
    DaemonSetSpec spec = daemonSet.getSpec();
    if (spec.getUpdateStrategy() == null) {
      spec.setUpdateStrategy(new DaemonSetUpdateStrategy());
    }
    DaemonSetUpdateStrategy strategy = spec.getUpdateStrategy();
    if (isEmpty(strategy.getType())) {
      strategy.setType("RollingUpdate");
    }
    if ("RollingUpdate".equals(strategy.getType())) {
      if (strategy.getRollingUpdate() == null) {
        strategy.setRollingUpdate(new RollingUpdateDaemonSet());
      }
      RollingUpdateDaemonSet rolling = strategy.getRollingUpdate();
      if (rolling.getMaxUnavailable() == null) {
        rolling.setMaxUnavailable(new IntOrString(1));
      }
      if (rolling.getMaxSurge() == null) {
        rolling.setMaxSurge(new IntOrString(0));
      }
    }
    if (spec.getRevisionHistoryLimit() == null) {
      spec.setRevisionHistoryLimit(10);
    }
    spec.setTemplate(template(spec.getTemplate()));
  }

  private static PodTemplateSpec template(PodTemplateSpec template) {
    PodTemplateSpec t = template == null ? new PodTemplateSpec() : template;
    PodDefaults.applyTemplate(t);
    return t;
  }

  private static boolean isEmpty(String s) {
    return s == null || s.isEmpty();
  }
}
