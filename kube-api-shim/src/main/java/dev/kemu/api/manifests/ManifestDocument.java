package dev.kemu.api.manifests;

import io.fabric8.kubernetes.api.model.HasMetadata;
import java.nio.file.Path;
import java.util.Objects;

/**
 * One object read from a manifest file: a YAML document, a JSON value, or one item of a {@code
 * List}. Knows where it came from, so problems with it can name the file, the document and the
 * line.
 */
public final class ManifestDocument {
  private final Path file;
  private final int index;
  private final int line;
  private final String pointer;
  private final HasMetadata object;
  private final DocumentText text;

  ManifestDocument(
      Path file, int index, int line, String pointer, HasMetadata object, DocumentText text) {
    this.file = Objects.requireNonNull(file);
    this.index = index;
    this.line = line;
    this.pointer = pointer;
    this.object = Objects.requireNonNull(object);
    this.text = text;
  }

  /** The file it was read from. */
  public Path file() {
    return file;
  }

  /** The 1-based index of its document in the file (items of a List share their list's index). */
  public int index() {
    return index;
  }

  /** The line of the file the object starts on, or -1 if unknown. */
  public int line() {
    return line;
  }

  /** The decoded object: a fabric8 model class, or a generic resource for unknown kinds. */
  public HasMetadata object() {
    return object;
  }

  /**
   * The line of a field of this object ({@code spec.ports[0].port}), or of its nearest enclosing
   * field in the file, or the line the object starts on.
   */
  public int lineOf(String field) {
    if (text == null || field == null) {
      return line;
    }
    int found = text.lineOf(pointer + DocumentText.pointer(field));
    return found > 0 ? found : line;
  }

  /** A problem with this object. */
  ManifestProblem problem(String field, String message) {
    return new ManifestProblem(file, index, lineOf(field), field, message);
  }

  @Override
  public String toString() {
    return file + ": document " + index + (line > 0 ? " (line " + line + ")" : "");
  }
}
