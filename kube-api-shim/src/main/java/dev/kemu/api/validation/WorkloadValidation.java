package dev.kemu.api.validation;

import dev.kemu.api.model.FieldError;
import dev.kemu.api.model.FieldPath;
import dev.kemu.api.store.LabelSelector;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetSpec;
import io.fabric8.kubernetes.api.model.apps.DaemonSetUpdateStrategy;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentSpec;
import io.fabric8.kubernetes.api.model.apps.DeploymentStrategy;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetSpec;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Validation of the workload kinds, as {@code pkg/apis/apps/validation/validation.go}: {@code
 * ValidateDeployment}, {@code ValidateReplicaSet}, {@code ValidateStatefulSet}, {@code
 * ValidateDaemonSet} and their updates, with the selector immutability the {@code apps/v1}
 * strategies add. The selector is what controllers rely on: it is required, valid, non-empty and
 * must match the template's labels.
 */
public final class WorkloadValidation {
  private static final FieldPath SPEC = FieldPath.of("spec");
  private static final Pattern PERCENT = Pattern.compile("[0-9]+%");

  private WorkloadValidation() {}

  /** {@code ValidateDeployment}, and {@code ValidateDeploymentUpdate} when {@code old} is given. */
  public static List<FieldError> deployment(Deployment deployment, Deployment old) {
    List<FieldError> errs = new ArrayList<>(MetaValidation.objectMeta(deployment.getMetadata()));
    DeploymentSpec spec = deployment.getSpec();
    errs.addAll(MetaValidation.nonnegative(intValue(spec.getReplicas()), SPEC.child("replicas")));
    errs.addAll(replicaSetLikeSelector(spec.getSelector(), "deployment"));
    errs.addAll(
        templateForReplicaSet(
            spec.getSelector(), spec.getTemplate(), SPEC.child("template"), "ReplicaSet"));
    errs.addAll(strategy(spec.getStrategy(), SPEC.child("strategy")));
    errs.addAll(
        MetaValidation.nonnegative(
            intValue(spec.getMinReadySeconds()), SPEC.child("minReadySeconds")));
    if (spec.getRevisionHistoryLimit() != null) {
      errs.addAll(
          MetaValidation.nonnegative(
              spec.getRevisionHistoryLimit(), SPEC.child("revisionHistoryLimit")));
    }
    if (spec.getProgressDeadlineSeconds() != null) {
      int deadline = spec.getProgressDeadlineSeconds();
      errs.addAll(MetaValidation.nonnegative(deadline, SPEC.child("progressDeadlineSeconds")));
      if (deadline <= intValue(spec.getMinReadySeconds())) {
        errs.add(
            FieldError.invalid(
                SPEC.child("progressDeadlineSeconds"),
                deadline,
                "must be greater than minReadySeconds"));
      }
    }
    if (old != null) {
      errs.addAll(selectorImmutable(spec.getSelector(), old.getSpec().getSelector()));
    }
    return errs;
  }

  /** {@code ValidateReplicaSet}, and its update when {@code old} is given. */
  public static List<FieldError> replicaSet(ReplicaSet replicaSet, ReplicaSet old) {
    List<FieldError> errs = new ArrayList<>(MetaValidation.objectMeta(replicaSet.getMetadata()));
    ReplicaSetSpec spec = replicaSet.getSpec();
    errs.addAll(MetaValidation.nonnegative(intValue(spec.getReplicas()), SPEC.child("replicas")));
    errs.addAll(
        MetaValidation.nonnegative(
            intValue(spec.getMinReadySeconds()), SPEC.child("minReadySeconds")));
    // Upstream reuses the Deployment's wording for ReplicaSets.
    errs.addAll(replicaSetLikeSelector(spec.getSelector(), "deployment"));
    errs.addAll(
        templateForReplicaSet(
            spec.getSelector(), spec.getTemplate(), SPEC.child("template"), "ReplicaSet"));
    if (old != null) {
      errs.addAll(selectorImmutable(spec.getSelector(), old.getSpec().getSelector()));
    }
    return errs;
  }

  /**
   * {@code ValidateStatefulSet}, and {@code ValidateStatefulSetUpdate} when {@code old} is given.
   */
  public static List<FieldError> statefulSet(StatefulSet statefulSet, StatefulSet old) {
    List<FieldError> errs = new ArrayList<>(MetaValidation.objectMeta(statefulSet.getMetadata()));
    StatefulSetSpec spec = statefulSet.getSpec();
    String policy = Objects.requireNonNullElse(spec.getPodManagementPolicy(), "");
    switch (policy) {
      case "" -> errs.add(FieldError.required(SPEC.child("podManagementPolicy"), ""));
      case "OrderedReady", "Parallel" -> {}
      default ->
          errs.add(
              FieldError.invalid(
                  SPEC.child("podManagementPolicy"),
                  policy,
                  "must be 'OrderedReady' or 'Parallel'"));
    }
    String type =
        spec.getUpdateStrategy() == null
            ? ""
            : Objects.requireNonNullElse(spec.getUpdateStrategy().getType(), "");
    switch (type) {
      case "" -> errs.add(FieldError.required(SPEC.child("updateStrategy"), ""));
      case "OnDelete" -> {
        if (spec.getUpdateStrategy().getRollingUpdate() != null) {
          errs.add(
              FieldError.invalid(
                  SPEC.child("updateStrategy").child("rollingUpdate"),
                  rollingUpdateStatefulSet(spec.getUpdateStrategy().getRollingUpdate()),
                  "only allowed for updateStrategy 'RollingUpdate'"));
        }
      }
      case "RollingUpdate" -> {
        var rolling = spec.getUpdateStrategy().getRollingUpdate();
        if (rolling != null && rolling.getPartition() != null) {
          errs.addAll(
              MetaValidation.nonnegative(
                  rolling.getPartition(),
                  SPEC.child("updateStrategy").child("rollingUpdate").child("partition")));
        }
      }
      default ->
          errs.add(
              FieldError.invalid(
                  SPEC.child("updateStrategy"),
                  new GoValue(
                      "apps.StatefulSetUpdateStrategy{Type:"
                          + GoValue.quote(type)
                          + ", RollingUpdate:(*apps.RollingUpdateStatefulSetStrategy)(nil)}"),
                  "must be 'RollingUpdate' or 'OnDelete'"));
    }
    if (spec.getOrdinals() != null) {
      errs.addAll(
          MetaValidation.nonnegative(
              intValue(spec.getOrdinals().getStart()), SPEC.child("ordinals.start")));
    }
    errs.addAll(MetaValidation.nonnegative(intValue(spec.getReplicas()), SPEC.child("replicas")));
    errs.addAll(
        MetaValidation.nonnegative(
            intValue(spec.getMinReadySeconds()), SPEC.child("minReadySeconds")));
    errs.addAll(replicaSetLikeSelector(spec.getSelector(), "statefulset"));
    PodTemplateSpec template =
        spec.getTemplate() == null ? new PodTemplateSpec() : spec.getTemplate();
    if (selectorConvertible(spec.getSelector())) {
      errs.addAll(selectorMatches(spec.getSelector(), template, SPEC.child("template")));
      // The pod spec of a StatefulSet template is not validated upstream: its volumes come
      // from volumeClaimTemplates.
      ObjectMeta meta = template.getMetadata();
      if (meta != null) {
        errs.addAll(
            MetaValidation.labels(meta.getLabels(), SPEC.child("template").child("labels")));
        errs.addAll(
            MetaValidation.annotations(
                meta.getAnnotations(), SPEC.child("template").child("annotations")));
      }
    } else {
      errs.add(
          FieldError.invalid(
              SPEC.child("selector"), GoValue.labelSelector(spec.getSelector()), ""));
    }
    errs.addAll(restartPolicyAlways(template, SPEC.child("template")));
    if (template.getSpec() != null && template.getSpec().getActiveDeadlineSeconds() != null) {
      errs.add(
          FieldError.forbidden(
              SPEC.child("template").child("spec").child("activeDeadlineSeconds"),
              "activeDeadlineSeconds in StatefulSet is not Supported"));
    }
    if (old != null) {
      StatefulSetSpec a = copyWithoutMutable(spec);
      StatefulSetSpec b = copyWithoutMutable(old.getSpec());
      if (!dev.kemu.api.model.ResourceCodec.tree(a)
          .equals(dev.kemu.api.model.ResourceCodec.tree(b))) {
        errs.add(
            FieldError.forbidden(
                SPEC,
                "updates to statefulset spec for fields other than 'replicas', 'ordinals',"
                    + " 'template', 'updateStrategy', 'revisionHistoryLimit',"
                    + " 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are"
                    + " forbidden"));
      }
    }
    return errs;
  }

  /** {@code ValidateDaemonSet}, and {@code ValidateDaemonSetUpdate} when {@code old} is given. */
  public static List<FieldError> daemonSet(DaemonSet daemonSet, DaemonSet old) {
    List<FieldError> errs = new ArrayList<>(MetaValidation.objectMeta(daemonSet.getMetadata()));
    DaemonSetSpec spec = daemonSet.getSpec();
    var selector = spec.getSelector();
    errs.addAll(MetaValidation.labelSelector(selector, SPEC.child("selector")));
    PodTemplateSpec template =
        spec.getTemplate() == null ? new PodTemplateSpec() : spec.getTemplate();
    if (selectorConvertible(selector)) {
      errs.addAll(selectorMatchesAlways(selector, template, SPEC.child("template")));
    }
    if (selector != null && isEmptySelector(selector)) {
      errs.add(
          FieldError.invalid(
              SPEC.child("selector"),
              GoValue.labelSelector(selector),
              "empty selector is invalid for daemonset"));
    }
    errs.addAll(PodValidation.template(template, SPEC.child("template")));
    errs.addAll(restartPolicyAlways(template, SPEC.child("template")));
    errs.addAll(noActiveDeadline(template, SPEC.child("template"), "DaemonSet"));
    errs.addAll(
        MetaValidation.nonnegative(
            intValue(spec.getMinReadySeconds()), SPEC.child("minReadySeconds")));
    errs.addAll(daemonSetStrategy(spec.getUpdateStrategy(), SPEC.child("updateStrategy")));
    if (spec.getRevisionHistoryLimit() != null) {
      errs.addAll(
          MetaValidation.nonnegative(
              spec.getRevisionHistoryLimit(), SPEC.child("revisionHistoryLimit")));
    }
    if (old != null) {
      errs.addAll(selectorImmutable(selector, old.getSpec().getSelector()));
    }
    return errs;
  }

  /** The selector checks shared by Deployments, ReplicaSets and StatefulSets. */
  private static List<FieldError> replicaSetLikeSelector(
      io.fabric8.kubernetes.api.model.LabelSelector selector, String kind) {
    List<FieldError> errs = new ArrayList<>();
    if (selector == null) {
      errs.add(FieldError.required(SPEC.child("selector"), ""));
    } else {
      errs.addAll(MetaValidation.labelSelector(selector, SPEC.child("selector")));
      if (isEmptySelector(selector)) {
        errs.add(
            FieldError.invalid(
                SPEC.child("selector"),
                GoValue.labelSelector(selector),
                "empty selector is invalid for " + kind));
      }
    }
    return errs;
  }

  /** {@code ValidatePodTemplateSpecForReplicaSet}, after converting the selector. */
  private static List<FieldError> templateForReplicaSet(
      io.fabric8.kubernetes.api.model.LabelSelector selector,
      PodTemplateSpec template,
      FieldPath path,
      String kind) {
    List<FieldError> errs = new ArrayList<>();
    if (!selectorConvertible(selector)) {
      errs.add(
          FieldError.invalid(
              SPEC.child("selector"), GoValue.labelSelector(selector), "invalid label selector"));
      return errs;
    }
    if (template == null) {
      template = new PodTemplateSpec();
    }
    errs.addAll(selectorMatches(selector, template, path));
    errs.addAll(PodValidation.template(template, path));
    errs.addAll(restartPolicyAlways(template, path));
    errs.addAll(noActiveDeadline(template, path, kind));
    return errs;
  }

  /** Pods of a workload controller restart always: {@code restartPolicy} must be Always. */
  private static List<FieldError> restartPolicyAlways(PodTemplateSpec template, FieldPath path) {
    String restart = template.getSpec() == null ? "" : template.getSpec().getRestartPolicy();
    if ("Always".equals(restart)) {
      return List.of();
    }
    return List.of(
        FieldError.notSupported(
            path.child("spec").child("restartPolicy"),
            Objects.requireNonNullElse(restart, ""),
            List.of("Always")));
  }

  /** The pods of a DaemonSet, Deployment or ReplicaSet run until deleted: no deadline. */
  private static List<FieldError> noActiveDeadline(
      PodTemplateSpec template, FieldPath path, String kind) {
    if (template.getSpec() == null || template.getSpec().getActiveDeadlineSeconds() == null) {
      return List.of();
    }
    return List.of(
        FieldError.invalid(
            path.child("spec").child("activeDeadlineSeconds"),
            template.getSpec().getActiveDeadlineSeconds(),
            "activeDeadlineSeconds in " + kind + " is not Supported"));
  }

  /**
   * The template's labels must satisfy a non-empty selector; a missing selector matches nothing
   * ({@code metav1.LabelSelectorAsSelector(nil)} is {@code labels.Nothing()}).
   */
  private static List<FieldError> selectorMatches(
      io.fabric8.kubernetes.api.model.LabelSelector selector,
      PodTemplateSpec template,
      FieldPath path) {
    if (selector != null && isEmptySelector(selector)) {
      return List.of();
    }
    return selectorMatchesAlways(selector, template, path);
  }

  private static List<FieldError> selectorMatchesAlways(
      io.fabric8.kubernetes.api.model.LabelSelector selector,
      PodTemplateSpec template,
      FieldPath path) {
    Map<String, String> labels =
        template.getMetadata() == null ? null : template.getMetadata().getLabels();
    if (LabelSelector.of(selector).matches(labels)) {
      return List.of();
    }
    return List.of(
        FieldError.invalid(
            path.child("metadata").child("labels"),
            GoValue.stringMap(labels),
            "`selector` does not match template `labels`"));
  }

  private static List<FieldError> selectorImmutable(
      io.fabric8.kubernetes.api.model.LabelSelector selector,
      io.fabric8.kubernetes.api.model.LabelSelector old) {
    if (Objects.equals(
        dev.kemu.api.model.ResourceCodec.tree(selector),
        dev.kemu.api.model.ResourceCodec.tree(old))) {
      return List.of();
    }
    return List.of(
        FieldError.invalid(
            SPEC.child("selector"), GoValue.labelSelector(selector), "field is immutable"));
  }

  /** {@code ValidateDeploymentStrategy}. */
  private static List<FieldError> strategy(DeploymentStrategy strategy, FieldPath path) {
    List<FieldError> errs = new ArrayList<>();
    String type = strategy == null ? "" : Objects.requireNonNullElse(strategy.getType(), "");
    switch (type) {
      case "Recreate" -> {
        if (strategy.getRollingUpdate() != null) {
          errs.add(
              FieldError.forbidden(
                  path.child("rollingUpdate"),
                  "may not be specified when strategy `type` is 'Recreate'"));
        }
      }
      case "RollingUpdate" -> {
        var rolling = strategy.getRollingUpdate();
        if (rolling == null) {
          errs.add(
              FieldError.required(
                  path.child("rollingUpdate"), "this should be defaulted and never be nil"));
        } else {
          FieldPath r = path.child("rollingUpdate");
          errs.addAll(positiveIntOrPercent(rolling.getMaxUnavailable(), r.child("maxUnavailable")));
          errs.addAll(positiveIntOrPercent(rolling.getMaxSurge(), r.child("maxSurge")));
          if (intOrPercent(rolling.getMaxUnavailable()) == 0
              && intOrPercent(rolling.getMaxSurge()) == 0) {
            errs.add(
                FieldError.invalid(
                    r.child("maxUnavailable"),
                    text(rolling.getMaxUnavailable()),
                    "may not be 0 when `maxSurge` is 0"));
          }
          errs.addAll(
              notMoreThan100Percent(rolling.getMaxUnavailable(), r.child("maxUnavailable")));
        }
      }
      default ->
          errs.add(
              FieldError.notSupported(
                  path,
                  new GoValue(
                      "apps.DeploymentStrategy{Type:"
                          + GoValue.quote(type)
                          + ", RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}"),
                  List.of("Recreate", "RollingUpdate")));
    }
    return errs;
  }

  /** {@code ValidateDaemonSetUpdateStrategy}. */
  private static List<FieldError> daemonSetStrategy(
      DaemonSetUpdateStrategy strategy, FieldPath path) {
    List<FieldError> errs = new ArrayList<>();
    String type = strategy == null ? "" : Objects.requireNonNullElse(strategy.getType(), "");
    switch (type) {
      case "OnDelete" -> {}
      case "RollingUpdate" -> {
        var rolling = strategy.getRollingUpdate();
        if (rolling == null) {
          errs.add(FieldError.required(path.child("rollingUpdate"), ""));
          return errs;
        }
        FieldPath r = path.child("rollingUpdate");
        errs.addAll(positiveIntOrPercent(rolling.getMaxUnavailable(), r.child("maxUnavailable")));
        errs.addAll(positiveIntOrPercent(rolling.getMaxSurge(), r.child("maxSurge")));
        int unavailable = intOrPercent(rolling.getMaxUnavailable());
        int surge = intOrPercent(rolling.getMaxSurge());
        if (unavailable == 0 && surge == 0) {
          errs.add(
              FieldError.invalid(
                  r.child("maxUnavailable"),
                  text(rolling.getMaxUnavailable()),
                  "may not be 0 when `maxSurge` is 0"));
        }
        errs.addAll(notMoreThan100Percent(rolling.getMaxUnavailable(), r.child("maxUnavailable")));
        errs.addAll(notMoreThan100Percent(rolling.getMaxSurge(), r.child("maxSurge")));
      }
      default ->
          errs.add(
              FieldError.notSupported(
                  path,
                  new GoValue(
                      "apps.DaemonSetUpdateStrategy{Type:"
                          + GoValue.quote(type)
                          + ", RollingUpdate:(*apps.RollingUpdateDaemonSet)(nil)}"),
                  List.of("RollingUpdate", "OnDelete")));
    }
    return errs;
  }

  /** {@code ValidatePositiveIntOrPercent}. */
  private static List<FieldError> positiveIntOrPercent(IntOrString value, FieldPath path) {
    if (value == null) {
      return List.of();
    }
    if (value.getStrVal() != null) {
      if (!PERCENT.matcher(value.getStrVal()).matches()) {
        return List.of(
            FieldError.invalid(
                path,
                text(value),
                Syntax.regexError(
                    "a valid percent string must be a numeric string followed by an ending '%'",
                    "[0-9]+%", "1%", "93%")));
      }
      return List.of();
    }
    return MetaValidation.nonnegative(intValue(value.getIntVal()), path);
  }

  /** {@code IsNotMoreThan100Percent}. */
  private static List<FieldError> notMoreThan100Percent(IntOrString value, FieldPath path) {
    if (value == null
        || value.getStrVal() == null
        || !PERCENT.matcher(value.getStrVal()).matches()) {
      return List.of();
    }
    int percent = Integer.parseInt(value.getStrVal().substring(0, value.getStrVal().length() - 1));
    if (percent <= 100) {
      return List.of();
    }
    return List.of(FieldError.invalid(path, text(value), "must not be greater than 100%"));
  }

  /** {@code getIntOrPercentValue}: the number, or the percentage without its sign. */
  private static int intOrPercent(IntOrString value) {
    if (value == null) {
      return 0;
    }
    if (value.getStrVal() != null) {
      String s = value.getStrVal();
      if (PERCENT.matcher(s).matches()) {
        return Integer.parseInt(s.substring(0, s.length() - 1));
      }
      return 0;
    }
    return intValue(value.getIntVal());
  }

  /** An {@code intstr.IntOrString} prints with its {@code String()} method. */
  private static GoValue text(IntOrString value) {
    if (value == null) {
      return GoValue.nullPointer();
    }
    return new GoValue(
        value.getStrVal() != null
            ? value.getStrVal()
            : String.valueOf(intValue(value.getIntVal())));
  }

  /** Whether {@code metav1.LabelSelectorAsSelector} accepts the selector. */
  private static boolean selectorConvertible(io.fabric8.kubernetes.api.model.LabelSelector s) {
    return MetaValidation.labelSelector(s, SPEC.child("selector")).isEmpty();
  }

  private static boolean isEmptySelector(io.fabric8.kubernetes.api.model.LabelSelector selector) {
    return (selector.getMatchLabels() == null || selector.getMatchLabels().isEmpty())
        && (selector.getMatchExpressions() == null || selector.getMatchExpressions().isEmpty());
  }

  private static StatefulSetSpec copyWithoutMutable(StatefulSetSpec spec) {
    StatefulSetSpec copy =
        dev.kemu.api.model.ResourceCodec.convert(
            dev.kemu.api.model.ResourceCodec.tree(spec), StatefulSetSpec.class);
    copy.setReplicas(null);
    copy.setOrdinals(null);
    copy.setTemplate(null);
    copy.setUpdateStrategy(null);
    copy.setRevisionHistoryLimit(null);
    copy.setPersistentVolumeClaimRetentionPolicy(null);
    copy.setMinReadySeconds(null);
    return copy;
  }

  /** The Go text of a {@code apps.RollingUpdateStatefulSetStrategy}. */
  private static GoValue rollingUpdateStatefulSet(
      io.fabric8.kubernetes.api.model.apps.RollingUpdateStatefulSetStrategy rolling) {
    String maxUnavailable =
        rolling.getMaxUnavailable() == null
            ? "(*intstr.IntOrString)(nil)"
            : "&intstr.IntOrString{" + text(rolling.getMaxUnavailable()) + "}";
    return new GoValue(
        "apps.RollingUpdateStatefulSetStrategy{Partition:"
            + intValue(rolling.getPartition())
            + ", MaxUnavailable:"
            + maxUnavailable
            + "}");
  }

  private static int intValue(Integer value) {
    return value == null ? 0 : value;
  }
}
