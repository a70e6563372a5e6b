package dev.kemu.api.server;

import dev.kemu.api.model.FieldError;
import dev.kemu.api.model.FieldPath;
import dev.kemu.api.model.ResourceTypes;
import dev.kemu.api.store.ApiException;
import dev.kemu.api.store.ResourceStore;
import dev.kemu.api.store.Transaction;
import dev.kemu.api.store.WriteStrategy;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionConditionBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionNames;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionNamesBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionSpec;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionStatus;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The write path of {@code apiextensions.k8s.io/v1} CustomResourceDefinitions: the essential checks
 * of {@code apiextensions-apiserver/pkg/apis/apiextensions/validation}, the status the naming and
 * establishing controllers write ({@code NamesAccepted} and {@code Established} conditions, {@code
 * acceptedNames}, {@code storedVersions}), and the registration of every served version as a kind
 * the store and the API serve generically.
 */
final class CustomResourceDefinitionStrategy implements WriteStrategy {
  private final ResourceStore store;

  CustomResourceDefinitionStrategy(ResourceStore store) {
    this.store = store;
  }

  @Override
  public void beforeCreate(HasMetadata object, Transaction tx) {
    admit((CustomResourceDefinition) object, tx);
  }

  @Override
  public void beforeUpdate(HasMetadata object, HasMetadata old, Transaction tx) {
    admit((CustomResourceDefinition) object, tx);
  }

  private void admit(CustomResourceDefinition crd, Transaction tx) {
    CustomResourceDefinitionSpec spec = crd.getSpec();
    FieldPath specPath = FieldPath.of("spec");
    List<FieldError> errors = new ArrayList<>();
    if (spec == null) {
      throw new ApiException.Invalid(
          ResourceTypes.CUSTOM_RESOURCE_DEFINITION,
          crd.getMetadata().getName(),
          List.of(FieldError.required(specPath, "")));
    }
    CustomResourceDefinitionNames names = spec.getNames();
    if (blank(spec.getGroup())) {
      errors.add(FieldError.required(specPath.child("group"), ""));
    } else if (!spec.getGroup().contains(".")) {
      errors.add(
          FieldError.invalid(
              specPath.child("group"),
              spec.getGroup(),
              "should be a domain with at least one dot"));
    }
    if (names == null || blank(names.getPlural())) {
      errors.add(FieldError.required(specPath.child("names").child("plural"), ""));
    }
    if (names == null || blank(names.getKind())) {
      errors.add(FieldError.required(specPath.child("names").child("kind"), ""));
    }
    if (!"Namespaced".equals(spec.getScope()) && !"Cluster".equals(spec.getScope())) {
      errors.add(
          FieldError.notSupported(
              specPath.child("scope"), spec.getScope(), List.of("Cluster", "Namespaced")));
    }
    List<CustomResourceDefinitionVersion> versions =
        spec.getVersions() == null ? List.of() : spec.getVersions();
    if (versions.isEmpty()) {
      errors.add(
          FieldError.invalid(
              specPath.child("versions"),
              null,
              "must have exactly one version marked as storage version"));
    } else if (versions.stream().filter(v -> Boolean.TRUE.equals(v.getStorage())).count() != 1) {
      errors.add(
          FieldError.invalid(
              specPath.child("versions"),
              null,
              "must have exactly one version marked as storage version"));
    }
    if (errors.isEmpty()) {
      String expected = names.getPlural() + "." + spec.getGroup();
      if (!expected.equals(crd.getMetadata().getName())) {
        errors.add(
            FieldError.invalid(
                FieldPath.of("metadata").child("name"),
                crd.getMetadata().getName(),
                "must be spec.names.plural+\".\"+spec.group"));
      }
    }
    if (!errors.isEmpty()) {
      throw new ApiException.Invalid(
          ResourceTypes.CUSTOM_RESOURCE_DEFINITION, crd.getMetadata().getName(), errors);
    }
    CustomResourceDefinitionNames accepted =
        new CustomResourceDefinitionNamesBuilder(names)
            .withSingular(
                blank(names.getSingular())
                    ? names.getKind().toLowerCase(Locale.ROOT)
                    : names.getSingular())
            .withListKind(
                blank(names.getListKind()) ? names.getKind() + "List" : names.getListKind())
            .build();
    spec.setNames(accepted);
    String now = ResourceStore.timestamp(store.clock().instant());
    CustomResourceDefinitionStatus status = new CustomResourceDefinitionStatus();
    status.setAcceptedNames(accepted);
    status.setConditions(
        List.of(
            new CustomResourceDefinitionConditionBuilder()
                .withType("NamesAccepted")
                .withStatus("True")
                .withReason("NoConflicts")
                .withMessage("no conflicts found")
                .withLastTransitionTime(now)
                .build(),
            new CustomResourceDefinitionConditionBuilder()
                .withType("Established")
                .withStatus("True")
                .withReason("InitialNamesAccepted")
                .withMessage("the initial names have been accepted")
                .withLastTransitionTime(now)
                .build()));
    status.setStoredVersions(
        versions.stream()
            .filter(v -> Boolean.TRUE.equals(v.getStorage()))
            .map(v -> v.getName())
            .toList());
    crd.setStatus(status);
    boolean namespaced = "Namespaced".equals(spec.getScope());
    tx.onCommit(
        () -> {
          for (CustomResourceDefinitionVersion version : versions) {
            if (!Boolean.FALSE.equals(version.getServed())) {
              store
                  .types()
                  .registerUnknown(
                      spec.getGroup() + "/" + version.getName(),
                      accepted.getKind(),
                      accepted.getPlural(),
                      namespaced,
                      true);
            }
          }
        });
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }
}
