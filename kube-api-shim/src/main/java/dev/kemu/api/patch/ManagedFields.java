package dev.kemu.api.patch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kemu.api.model.ResourceCodec;
import dev.kemu.api.model.ResourceType;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The {@code metadata.managedFields} of objects: who owns which fields. Mirrors the apiserver's
 * {@code k8s.io/apimachinery/pkg/util/managedfields} field manager for non-apply writes: {@link
 * #recordUpdate} is what the apiserver does on every create, update and non-apply patch (an {@code
 * operation: Update} entry for the writer owning the fields it changed, taken away from the other
 * managers), so that a later server-side apply conflicts with those writers as upstream.
 */
public final class ManagedFields {
  /** The manager upstream credits with all fields of an object that had no managedFields. */
  public static final String BEFORE_FIRST_APPLY = "before-first-apply";

  private final PatchSchema schema;
  private final FieldValues values;
  private final Clock clock;

  public ManagedFields(PatchSchema schema, Clock clock) {
    this.schema = schema;
    this.values = new FieldValues(schema);
    this.clock = clock;
  }

  /** The identity of a manager entry (upstream's {@code BuildManagerIdentifier}). */
  public record ManagerKey(
      String manager, String operation, String subresource, String apiVersion) {
    /** The text conflict messages use ({@code printManager}). */
    String printed() {
      String text = '"' + manager + '"';
      if (subresource != null && !subresource.isEmpty()) {
        text += " with subresource \"" + subresource + "\"";
      }
      if ("Update".equals(operation)) {
        text += " using " + apiVersion;
      }
      return text;
    }
  }

  /** One entry: the manager's fields, the API version they were written in and when. */
  public record Entry(ManagerKey key, String apiVersion, Instant time, FieldSet fields) {}

  /**
   * The manager derived from a User-Agent when a request names none ({@code prefixFromUserAgent}):
   * the part before the first {@code /}, at most 128 characters.
   */
  public static String managerFromUserAgent(String userAgent) {
    if (userAgent == null) {
      return "";
    }
    String prefix = userAgent.split("/", 2)[0];
    return prefix.length() > 128 ? prefix.substring(0, 128) : prefix;
  }

  /**
   * Records a create, update or non-apply patch by {@code manager}.
   *
   * @param type the resource type
   * @param oldJson the object before the write, null for a create
   * @param newJson the object as it will be stored
   * @param manager the field manager ({@code fieldManager} or {@link #managerFromUserAgent})
   * @param subresource {@code status} for a status write, null otherwise
   * @return the new object JSON with its {@code metadata.managedFields} updated
   */
  public byte[] recordUpdate(
      ResourceType type, byte[] oldJson, byte[] newJson, String manager, String subresource) {
    ObjectNode oldObject = oldJson == null ? null : PatchEngine.readObject(oldJson);
    ObjectNode newObject = PatchEngine.readObject(newJson);
    ObjectNode result = recordUpdate(type, oldObject, newObject, manager, subresource);
    return ResourceCodec.encode(result);
  }

  /** {@link #recordUpdate(ResourceType, byte[], byte[], String, String)} on JSON trees. */
  public ObjectNode recordUpdate(
      ResourceType type,
      ObjectNode oldObject,
      ObjectNode newObject,
      String manager,
      String subresource) {
    Map<ManagerKey, Entry> managers = decode(oldObject);
    JsonNode requested = managedFieldsOf(newObject);
    if (requested != null && !requested.equals(managedFieldsOf(oldObject))) {
      // A writer may replace managedFields (kubectl and controllers reset them this way).
      managers = decode(newObject);
    }
    FieldShape root = schema.root(type);
    Map<List<PathElement>, JsonNode> before =
        oldObject == null ? Map.of() : values.members(withoutManagedFields(oldObject), root, false);
    Map<List<PathElement>, JsonNode> after =
        values.members(withoutManagedFields(newObject), root, false);
    Ignored ignored = Ignored.of(type, subresource);
    FieldSet changed = ignored.filter(changed(before, after));
    FieldSet removed = ignored.filter(removed(before, after));
    ManagerKey self =
        new ManagerKey(
            manager == null ? "" : manager, "Update", emptyToNull(subresource), type.apiVersion());
    Map<ManagerKey, Entry> next = new LinkedHashMap<>();
    Instant now = now();
    for (Entry entry : managers.values()) {
      if (entry.key().equals(self)) {
        continue;
      }
      FieldSet fields = withoutPrefixed(entry.fields().difference(changed), removed);
      if (!fields.isEmpty()) {
        next.put(entry.key(), new Entry(entry.key(), entry.apiVersion(), entry.time(), fields));
      }
    }
    Entry previous = managers.get(self);
    FieldSet mine =
        withoutPrefixed(
            (previous == null ? FieldSet.empty() : previous.fields()).union(changed), removed);
    if (!mine.isEmpty()) {
      boolean touched = previous == null || !changed.isEmpty() || !removed.isEmpty();
      next.put(self, new Entry(self, type.apiVersion(), touched ? now : previous.time(), mine));
    }
    ObjectNode result = newObject.deepCopy();
    write(result, next.values());
    return result;
  }

  Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.SECONDS);
  }

  /** Paths whose value was added or changed ({@code Comparison.Added} ∪ {@code Modified}). */
  static FieldSet changed(
      Map<List<PathElement>, JsonNode> before, Map<List<PathElement>, JsonNode> after) {
    List<List<PathElement>> changed = new ArrayList<>();
    after.forEach(
        (path, value) -> {
          JsonNode old = before.get(path);
          if (old == null) {
            changed.add(path);
          } else if (old == FieldValues.CONTAINER || value == FieldValues.CONTAINER) {
            if (old != value) {
              changed.add(path);
            }
          } else if (!StrategicMerge.equal(old, value)) {
            changed.add(path);
          }
        });
    return FieldSet.of(changed);
  }

  /** Paths present before and gone after ({@code Comparison.Removed}). */
  static FieldSet removed(
      Map<List<PathElement>, JsonNode> before, Map<List<PathElement>, JsonNode> after) {
    List<List<PathElement>> removed = new ArrayList<>();
    before
        .keySet()
        .forEach(
            p -> {
              if (!after.containsKey(p)) {
                removed.add(p);
              }
            });
    return FieldSet.of(removed);
  }

  /** The set without the removed paths and anything below them. */
  static FieldSet withoutPrefixed(FieldSet set, FieldSet removed) {
    if (removed.isEmpty()) {
      return set;
    }
    List<List<PathElement>> kept = new ArrayList<>();
    for (List<PathElement> path : set.paths()) {
      boolean gone = false;
      for (int i = 1; i <= path.size() && !gone; i++) {
        gone = removed.contains(path.subList(0, i));
      }
      if (!gone) {
        kept.add(path);
      }
    }
    return FieldSet.of(kept);
  }

  /** The entries of an object's managedFields, keyed by manager identity. */
  public Map<ManagerKey, Entry> decode(ObjectNode object) {
    Map<ManagerKey, Entry> managers = new LinkedHashMap<>();
    JsonNode list = managedFieldsOf(object);
    if (list == null || !list.isArray()) {
      return managers;
    }
    for (JsonNode entry : list) {
      String operation = entry.path("operation").asText("");
      String apiVersion = entry.path("apiVersion").asText("");
      ManagerKey key =
          new ManagerKey(
              entry.path("manager").asText(""),
              operation,
              emptyToNull(entry.path("subresource").asText("")),
              "Apply".equals(operation) ? null : apiVersion);
      Instant time = entry.hasNonNull("time") ? parseTime(entry.get("time").asText()) : null;
      FieldSet fields;
      try {
        fields = FieldSet.fromFieldsV1(entry.get("fieldsV1"));
      } catch (IllegalArgumentException e) {
        throw new dev.kemu.api.store.ApiException.BadRequest(
            "error decoding managed fields: " + e.getMessage());
      }
      Entry previous = managers.get(key);
      if (previous != null) {
        fields = fields.union(previous.fields());
      }
      managers.put(key, new Entry(key, apiVersion, time, fields));
    }
    return managers;
  }

  private static Instant parseTime(String text) {
    try {
      return Instant.parse(text);
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** Writes the entries into {@code metadata.managedFields}, sorted as upstream encodes them. */
  static void write(ObjectNode object, java.util.Collection<Entry> entries) {
    List<Entry> sorted = new ArrayList<>(entries);
    sorted.sort(
        Comparator.comparing((Entry e) -> e.key().operation())
            .thenComparing(e -> e.time() == null ? 0 : e.time().getEpochSecond())
            .thenComparing(e -> e.key().manager())
            .thenComparing(e -> Objects.toString(e.apiVersion(), ""))
            .thenComparing(e -> Objects.toString(e.key().subresource(), "")));
    ArrayNode list = JsonNodeFactory.instance.arrayNode();
    for (Entry e : sorted) {
      ObjectNode entry = list.addObject();
      entry.put("manager", e.key().manager());
      entry.put("operation", e.key().operation());
      entry.put("apiVersion", e.apiVersion());
      if (e.time() != null) {
        entry.put("time", DateTimeFormatter.ISO_INSTANT.format(e.time()));
      }
      entry.put("fieldsType", "FieldsV1");
      entry.set("fieldsV1", e.fields().toFieldsV1());
      if (e.key().subresource() != null) {
        entry.put("subresource", e.key().subresource());
      }
    }
    ObjectNode metadata = object.with("metadata");
    if (list.isEmpty()) {
      metadata.remove("managedFields");
    } else {
      metadata.set("managedFields", list);
    }
  }

  /** The entries as fabric8 objects. */
  public static List<ManagedFieldsEntry> entries(JsonNode object) {
    JsonNode list = managedFieldsOf(object);
    if (list == null || !list.isArray()) {
      return List.of();
    }
    try {
      return List.of(
          ResourceCodec.json()
              .readerForArrayOf(ManagedFieldsEntry.class)
              .<ManagedFieldsEntry[]>readValue(list));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static JsonNode managedFieldsOf(JsonNode object) {
    if (object == null) {
      return null;
    }
    JsonNode list = object.path("metadata").get("managedFields");
    return list == null || list.isNull() ? null : list;
  }

  static ObjectNode withoutManagedFields(ObjectNode object) {
    ObjectNode copy = object.deepCopy();
    if (copy.get("metadata") instanceof ObjectNode metadata) {
      metadata.remove("managedFields");
    }
    return copy;
  }

  private static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }

  /**
   * The fields no manager owns: the metadata the apiserver sets ({@code internal/stripmeta.go})
   * and, for a kind with a status subresource, {@code status} on the main resource or everything
   * but {@code status} on the status subresource (the strategies' reset fields).
   */
  record Ignored(boolean status, boolean statusOnly) {
    private static final List<List<String>> STRIPPED =
        List.of(
            List.of("apiVersion"),
            List.of("kind"),
            List.of("metadata", "name"),
            List.of("metadata", "namespace"),
            List.of("metadata", "creationTimestamp"),
            List.of("metadata", "selfLink"),
            List.of("metadata", "uid"),
            List.of("metadata", "clusterName"),
            List.of("metadata", "generation"),
            List.of("metadata", "managedFields"),
            List.of("metadata", "resourceVersion"));

    static Ignored of(ResourceType type, String subresource) {
      boolean statusOnly = "status".equals(subresource);
      return new Ignored(type.hasStatus() && !statusOnly, statusOnly);
    }

    boolean ignores(List<PathElement> path) {
      String first = path.get(0) instanceof PathElement.Field f ? f.name() : "";
      if (statusOnly && !first.equals("status")) {
        return true;
      }
      if (status && first.equals("status")) {
        return true;
      }
      for (List<String> stripped : STRIPPED) {
        if (path.size() == stripped.size()) {
          boolean same = true;
          for (int i = 0; i < path.size() && same; i++) {
            same = path.get(i) instanceof PathElement.Field f && f.name().equals(stripped.get(i));
          }
          if (same) {
            return true;
          }
        }
      }
      return false;
    }

    FieldSet filter(FieldSet set) {
      List<List<PathElement>> kept = new ArrayList<>();
      for (List<PathElement> p : set.paths()) {
        if (!ignores(p)) {
          kept.add(p);
        }
      }
      return FieldSet.of(kept);
    }
  }
}
