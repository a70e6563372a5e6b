package dev.kemu.api.registry;

import dev.kemu.api.model.FieldError;
import dev.kemu.api.model.ResourceType;
import dev.kemu.api.model.ResourceTypes;
import dev.kemu.api.store.Transaction;
import dev.kemu.api.store.WriteStrategy;
import dev.kemu.api.validation.WorkloadValidation;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetStatus;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatus;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetStatus;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatus;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Consumer;

/**
 * The write path of the workload kinds, as the strategies of {@code pkg/registry/apps/...}:
 * decode-time defaults, an empty status on create (the controllers fill it), and validation,
 * including the immutable selector of {@code apps/v1}.
 *
 * @param <T> the kind
 */
final class WorkloadStrategy<T extends HasMetadata> implements WriteStrategy {
  private final ResourceType type;
  private final Class<T> kind;
  private final Consumer<T> defaults;
  private final Consumer<T> clearStatus;
  private final BiFunction<T, T, List<FieldError>> validation;

  private WorkloadStrategy(
      ResourceType type,
      Class<T> kind,
      Consumer<T> defaults,
      Consumer<T> clearStatus,
      BiFunction<T, T, List<FieldError>> validation) {
    this.type = type;
    this.kind = kind;
    this.defaults = defaults;
    this.clearStatus = clearStatus;
    this.validation = validation;
  }

  static WorkloadStrategy<Deployment> deployments() {
    return new WorkloadStrategy<>(
        ResourceTypes.DEPLOYMENT,
        Deployment.class,
        WorkloadDefaults::apply,
        d -> d.setStatus(new DeploymentStatus()),
        WorkloadValidation::deployment);
  }

  static WorkloadStrategy<ReplicaSet> replicaSets() {
    return new WorkloadStrategy<>(
        ResourceTypes.REPLICA_SET,
        ReplicaSet.class,
        WorkloadDefaults::apply,
        r -> r.setStatus(new ReplicaSetStatus()),
        WorkloadValidation::replicaSet);
  }

  static WorkloadStrategy<StatefulSet> statefulSets() {
    return new WorkloadStrategy<>(
        ResourceTypes.STATEFUL_SET,
        StatefulSet.class,
        WorkloadDefaults::apply,
        s -> s.setStatus(new StatefulSetStatus()),
        WorkloadValidation::statefulSet);
  }

  static WorkloadStrategy<DaemonSet> daemonSets() {
    return new WorkloadStrategy<>(
        ResourceTypes.DAEMON_SET,
        DaemonSet.class,
        WorkloadDefaults::apply,
        d -> d.setStatus(new DaemonSetStatus()),
        WorkloadValidation::daemonSet);
  }

  @Override
  public void beforeCreate(HasMetadata object, Transaction tx) {
    T workload = kind.cast(object);
    defaults.accept(workload);
    clearStatus.accept(workload);
    Registry.reject(type, workload, validation.apply(workload, null));
  }

  @Override
  public void beforeUpdate(HasMetadata object, HasMetadata old, Transaction tx) {
    T workload = kind.cast(object);
    defaults.accept(workload);
    Registry.reject(type, workload, validation.apply(workload, kind.cast(old)));
  }
}
