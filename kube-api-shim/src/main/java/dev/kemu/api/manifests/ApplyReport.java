package dev.kemu.api.manifests;

import dev.kemu.api.model.ResourceKey;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * What one apply of manifest files did: each object created, configured, left unchanged or pruned,
 * and each problem. Mirrors the output of {@code kubectl apply --prune -f dir/} ({@code service/web
 * created}, {@code deployment.apps/web configured}, {@code configmap/old pruned}), where an object
 * that fails is reported and the others still apply.
 *
 * @param objects the objects written or found unchanged, in the order they were applied
 * @param problems the documents that could not be read or were rejected
 */
public record ApplyReport(List<AppliedObject> objects, List<ManifestProblem> problems) {

  /** An apply that did nothing. */
  public static final ApplyReport EMPTY = new ApplyReport(List.of(), List.of());

  public ApplyReport {
    objects = List.copyOf(objects);
    problems = List.copyOf(problems);
  }

  /** What happened to one object, with kubectl's word for it. */
  public enum Action {
    CREATED("created"),
    UPDATED("configured"),
    UNCHANGED("unchanged"),
    DELETED("pruned");

    private final String word;

    Action(String word) {
      this.word = word;
    }

    /** kubectl's word: {@code created}, {@code configured}, {@code unchanged}, {@code pruned}. */
    public String word() {
      return word;
    }
  }

  /**
   * One object applied or pruned.
   *
   * @param key the object
   * @param file the file it is (or was) defined in
   * @param documentIndex its document in that file
   * @param action what happened to it
   */
  public record AppliedObject(ResourceKey key, Path file, int documentIndex, Action action) {

    /** {@code deployment.apps/web configured (namespace shop, examples/shop/web.yaml)}. */
    @Override
    public String toString() {
      String resource = key.type().kind().toLowerCase(Locale.ROOT);
      if (!key.type().group().isEmpty()) {
        resource += "." + key.type().group();
      }
      String where = key.namespace().isEmpty() ? "" : "namespace " + key.namespace() + ", ";
      return resource + "/" + key.name() + " " + action.word() + " (" + where + file + ")";
    }
  }

  /** The keys of the objects that had an action, in apply order. */
  public List<ResourceKey> keys(Action action) {
    return objects.stream().filter(o -> o.action() == action).map(AppliedObject::key).toList();
  }

  /** Whether anything was reported. */
  public boolean isEmpty() {
    return objects.isEmpty() && problems.isEmpty();
  }

  /** Whether some document could not be applied. */
  public boolean hasProblems() {
    return !problems.isEmpty();
  }

  /** {@code 3 created, 1 configured, 1 pruned, 1 problem}; zero counts are left out. */
  public String summary() {
    List<String> parts = new java.util.ArrayList<>();
    for (Action action : Action.values()) {
      long count = objects.stream().filter(o -> o.action() == action).count();
      if (count > 0) {
        parts.add(count + " " + action.word());
      }
    }
    if (!problems.isEmpty()) {
      parts.add(problems.size() + (problems.size() == 1 ? " problem" : " problems"));
    }
    return parts.isEmpty() ? "nothing to apply" : String.join(", ", parts);
  }
}
