package dev.kemu.api.manifests;

import java.nio.file.Path;
import java.util.List;

/**
 * What one manifest file holds: the objects that could be decoded, in file order, and the problems
 * with the rest.
 *
 * @param file the file
 * @param documents the decoded objects, List items flattened, empty documents skipped
 * @param problems the documents that could not be decoded
 */
public record ManifestFile(
    Path file, List<ManifestDocument> documents, List<ManifestProblem> problems) {

  public ManifestFile {
    documents = List.copyOf(documents);
    problems = List.copyOf(problems);
  }
}
