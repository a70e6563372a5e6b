package dev.kemu.api.patch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kemu.api.model.ResourceCodec;
import dev.kemu.api.model.ResourceType;
import dev.kemu.api.patch.ManagedFields.Entry;
import dev.kemu.api.patch.ManagedFields.Ignored;
import dev.kemu.api.patch.ManagedFields.ManagerKey;
import dev.kemu.api.store.ApiException;
import io.fabric8.kubernetes.api.model.StatusCause;
import io.fabric8.kubernetes.api.model.StatusCauseBuilder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Server-side apply, mirroring {@code merge.Updater.Apply} of {@code
 * sigs.k8s.io/structured-merge-diff/v4/merge/update.go} with the apiserver's wrappers of {@code
 * k8s.io/apimachinery/pkg/util/managedfields/internal}: the configuration is merged into the live
 * object; fields whose value changes and that another manager owns are conflicts (409 listing each
 * field and manager) unless {@code force}, which takes them over; fields the applier owned and no
 * longer applies are removed when no other manager owns them; the applier then owns exactly the
 * fields of its configuration. {@code kubectl} appliers may take over fields of client-side apply
 * whose value still matches the {@code last-applied-configuration} annotation, and keep that
 * annotation in step ({@code lastappliedmanager.go}, {@code lastappliedupdater.go}).
 */
final class ServerSideApply {
  static final String LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

  private final PatchSchema schema;
  private final FieldValues values;
  private final ManagedFields managedFields;

  ServerSideApply(PatchSchema schema, ManagedFields managedFields) {
    this.schema = schema;
    this.values = new FieldValues(schema);
    this.managedFields = managedFields;
  }

  ObjectNode apply(
      ResourceType type,
      ObjectNode live,
      ObjectNode config,
      String manager,
      boolean force,
      String subresource) {
    String patchVersion = config.path("apiVersion").asText("");
    if (!patchVersion.equals(type.apiVersion())) {
      throw new ApiException.BadRequest(
          "Incorrect version specified in apply patch. Specified patch version: "
              + patchVersion
              + ", expected: "
              + type.apiVersion());
    }
    String kind = config.path("kind").asText("");
    if (!kind.equals(type.kind())) {
      // The typed conversion of the patch finds no schema for that kind.
      // schema.GroupVersionKind.String(): "/v1, Kind=Pod" for the core group.
      String gvk = type.group() + "/" + type.version() + ", Kind=" + kind;
      throw new ApiException.Unknown(
          "failed to create typed patch object (" + gvk + "): no corresponding type for " + gvk);
    }
    if (config.path("metadata").has("managedFields")) {
      throw new ApiException.BadRequest("metadata.managedFields must be nil");
    }
    FieldShape root = schema.root(type);
    Ignored ignored = Ignored.of(type, subresource);
    Map<ManagerKey, Entry> managers =
        live == null ? new LinkedHashMap<>() : managedFields.decode(live);
    ObjectNode liveObject =
        live == null ? config.objectNode() : ManagedFields.withoutManagedFields(live);
    Map<List<PathElement>, JsonNode> liveMembers = values.members(liveObject, root, false);
    Instant now = managedFields.now();
    if (live != null && managers.isEmpty()) {
      ManagerKey first =
          new ManagerKey(ManagedFields.BEFORE_FIRST_APPLY, "Update", null, type.apiVersion());
      managers.put(
          first,
          new Entry(
              first, type.apiVersion(), now, ignored.filter(FieldSet.of(liveMembers.keySet()))));
    }
    ObjectNode applied = config.deepCopy();
    if (ignored.status()) {
      // The strategy resets status on the main resource: it is neither merged nor owned.
      applied.remove("status");
    }
    FieldSet configSet = ignored.filter(FieldSet.of(values.members(applied, root, true).keySet()));
    ObjectNode merged = (ObjectNode) values.merge(liveObject, applied, root);
    Map<List<PathElement>, JsonNode> mergedMembers = values.members(merged, root, false);
    FieldSet changed = ignored.filter(ManagedFields.changed(liveMembers, mergedMembers));
    ManagerKey self = new ManagerKey(manager, "Apply", subresourceOrNull(subresource), null);

    Map<ManagerKey, FieldSet> conflicts =
        new TreeMap<>(java.util.Comparator.comparing((ManagerKey k) -> k.printed()));
    for (Entry entry : managers.values()) {
      if (entry.key().equals(self)) {
        continue;
      }
      FieldSet conflict = entry.fields().intersection(changed);
      if (!conflict.isEmpty()) {
        conflicts.put(entry.key(), conflict);
      }
    }
    if (!conflicts.isEmpty() && !force) {
      if (manager.startsWith("kubectl") && live != null) {
        FieldSet allowed = allowedFromLastApplied(type, liveObject, root, liveMembers);
        conflicts.replaceAll((k, set) -> set.difference(allowed));
        conflicts.values().removeIf(FieldSet::isEmpty);
      }
      if (!conflicts.isEmpty()) {
        throw conflictError(conflicts);
      }
    }
    // Every changed field leaves its other owners (forced, or allowed from last-applied).
    Map<ManagerKey, Entry> next = new LinkedHashMap<>();
    for (Entry entry : managers.values()) {
      if (entry.key().equals(self)) {
        continue;
      }
      next.put(
          entry.key(),
          new Entry(
              entry.key(), entry.apiVersion(), entry.time(), entry.fields().difference(changed)));
    }
    // Prune: fields this applier owned, no longer applies and nobody else owns.
    Entry last = managers.get(self);
    List<List<PathElement>> removed = new ArrayList<>();
    if (last != null) {
      FieldSet dropped = last.fields().difference(configSet);
      // Shallowest first: removing an item takes its fields with it (its keys included).
      for (List<PathElement> path : dropped.paths()) {
        if (configSet.containsPrefixed(path) || underAny(path, removed)) {
          continue;
        }
        boolean ownedElsewhere = false;
        for (Entry other : next.values()) {
          if (other.fields().containsPrefixed(path)) {
            ownedElsewhere = true;
            break;
          }
        }
        if (!ownedElsewhere) {
          values.remove(merged, path, root);
          removed.add(path);
        }
      }
    }
    FieldSet removedSet =
        FieldSet.of(removed)
            .union(ManagedFields.removed(liveMembers, values.members(merged, root, false)));
    Map<ManagerKey, Entry> result = new LinkedHashMap<>();
    for (Entry entry : next.values()) {
      FieldSet fields = ManagedFields.withoutPrefixed(entry.fields(), removedSet);
      if (!fields.isEmpty()) {
        result.put(entry.key(), new Entry(entry.key(), entry.apiVersion(), entry.time(), fields));
      }
    }
    boolean unchanged =
        last != null && last.fields().equals(configSet) && merged.equals(liveObject);
    result.put(self, new Entry(self, type.apiVersion(), unchanged ? last.time() : now, configSet));
    if (manager.equals("kubectl") && hasLastApplied(merged)) {
      ObjectNode lastApplied = config.deepCopy();
      if (lastApplied.path("metadata").path("annotations") instanceof ObjectNode annotations) {
        annotations.remove(LAST_APPLIED);
        if (annotations.isEmpty()) {
          ((ObjectNode) lastApplied.get("metadata")).remove("annotations");
        }
      }
      ((ObjectNode) merged.get("metadata").get("annotations"))
          .put(LAST_APPLIED, ResourceCodec.json().valueToTree(lastApplied).toString());
    }
    ManagedFields.write(merged, result.values());
    return merged;
  }

  private static boolean underAny(List<PathElement> path, List<List<PathElement>> prefixes) {
    for (List<PathElement> prefix : prefixes) {
      if (FieldSet.startsWith(path, prefix)) {
        return true;
      }
    }
    return false;
  }

  private static String subresourceOrNull(String subresource) {
    return subresource == null || subresource.isEmpty() ? null : subresource;
  }

  private static boolean hasLastApplied(JsonNode object) {
    JsonNode value = object.path("metadata").path("annotations").get(LAST_APPLIED);
    return value != null && value.isTextual() && !value.asText().isEmpty();
  }

  /**
   * The fields of the last-applied-configuration whose live value is still the one client-side
   * apply set: a kubectl server-side apply may take them over without a conflict.
   */
  private FieldSet allowedFromLastApplied(
      ResourceType type,
      ObjectNode live,
      FieldShape root,
      Map<List<PathElement>, JsonNode> liveMembers) {
    if (!hasLastApplied(live)) {
      return FieldSet.empty();
    }
    JsonNode lastApplied;
    try {
      lastApplied =
          ResourceCodec.json()
              .readTree(live.path("metadata").path("annotations").get(LAST_APPLIED).asText());
    } catch (java.io.IOException e) {
      return FieldSet.empty();
    }
    if (!lastApplied.isObject()) {
      return FieldSet.empty();
    }
    Map<List<PathElement>, JsonNode> members;
    try {
      members = values.members(lastApplied, root, false);
    } catch (ApiException e) {
      return FieldSet.empty();
    }
    List<List<PathElement>> allowed = new ArrayList<>();
    members.forEach(
        (path, value) -> {
          JsonNode liveValue = liveMembers.get(path);
          if (liveValue != null
              && (value == FieldValues.CONTAINER
                  ? liveValue == FieldValues.CONTAINER
                  : StrategicMerge.equal(liveValue, value))) {
            allowed.add(path);
          }
        });
    return FieldSet.of(allowed);
  }

  /** The 409 of {@code internal.NewConflictError}. */
  static ApiException conflictError(Map<ManagerKey, FieldSet> conflicts) {
    List<StatusCause> causes = new ArrayList<>();
    int count = 0;
    String single = null;
    List<String> lines = new ArrayList<>();
    Map<String, List<String>> byManager = new TreeMap<>();
    for (Map.Entry<ManagerKey, FieldSet> e : conflicts.entrySet()) {
      for (List<PathElement> path : e.getValue().paths()) {
        String printed = e.getKey().printed();
        String field = FieldSet.text(path);
        causes.add(
            new StatusCauseBuilder()
                .withReason("FieldManagerConflict")
                .withMessage("conflict with " + printed)
                .withField(field)
                .build());
        byManager.computeIfAbsent(printed, k -> new ArrayList<>()).add(field);
        single = "conflict with " + printed + ": " + field;
        count++;
      }
    }
    if (count == 1) {
      return new ApiException.ApplyConflict("Apply failed with 1 conflict: " + single, causes);
    }
    byManager.forEach(
        (printed, fields) -> {
          lines.add("conflicts with " + printed + ":");
          fields.forEach(f -> lines.add("- " + f));
        });
    return new ApiException.ApplyConflict(
        "Apply failed with " + count + " conflicts: " + String.join("\n", lines), causes);
  }
}
