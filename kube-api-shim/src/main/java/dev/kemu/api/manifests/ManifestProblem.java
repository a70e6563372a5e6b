package dev.kemu.api.manifests;

import java.nio.file.Path;

/**
 * Something wrong with one manifest document: a YAML syntax error, a document without {@code
 * apiVersion} or {@code kind}, a field of the wrong type, or an object the store rejected. A
 * problem is a value: it is reported and logged, and the rest of the files still apply, as {@code
 * kubectl apply -f dir/} reports each failed object and goes on with the others.
 *
 * @param file the file, as found under the given paths
 * @param documentIndex the 1-based index of the document in the file ({@code ---} separated, or the
 *     n-th JSON value), 0 when the problem is about the whole file
 * @param line the 1-based line in the file the problem points at, or -1 when unknown
 * @param field the field path ({@code spec.ports[0].port}), or null when no field is at fault
 * @param message what is wrong, in the apiserver's or kubectl's words where they have some
 */
public record ManifestProblem(
    Path file, int documentIndex, int line, String field, String message) {

  /** A problem with the whole file (it cannot be read, the path does not exist). */
  public static ManifestProblem ofFile(Path file, String message) {
    return new ManifestProblem(file, 0, -1, null, message);
  }

  /** Prints {@code examples/shop/bad.yaml: document 2 (line 7): message}. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder().append(file);
    if (documentIndex > 0) {
      sb.append(": document ").append(documentIndex);
      if (line > 0) {
        sb.append(" (line ").append(line).append(')');
      }
    } else if (line > 0) {
      sb.append(": line ").append(line);
    }
    return sb.append(": ").append(message).toString();
  }
}
