package dev.kemu.emulator.runtime;

import java.util.Locale;

/**
 * A container image reference split as the Docker reference grammar does ({@code
 * github.com/distribution/reference}): an optional registry (a first component with a {@code .} or
 * {@code :}, or {@code localhost}), a repository path, an optional tag and an optional digest.
 *
 * @param registry the registry, {@code docker.io} when none is written
 * @param repository the repository path, with {@code library/} for one-component Docker Hub names
 * @param tag the tag, or null
 * @param digest the digest ({@code sha256:...}), or null
 */
record ImageReference(String registry, String repository, String tag, String digest) {

  static final String DEFAULT_REGISTRY = "docker.io";

  /** Splits a reference; never fails (a malformed reference is kept as its own repository). */
  static ImageReference parse(String image) {
    String rest = image == null ? "" : image.trim();
    String digest = null;
    int at = rest.indexOf('@');
    if (at >= 0) {
      digest = rest.substring(at + 1);
      rest = rest.substring(0, at);
    }
    String tag = null;
    int lastSlash = rest.lastIndexOf('/');
    int colon = rest.lastIndexOf(':');
    if (colon > lastSlash) {
      tag = rest.substring(colon + 1);
      rest = rest.substring(0, colon);
    }
    String registry = DEFAULT_REGISTRY;
    int slash = rest.indexOf('/');
    if (slash > 0) {
      String first = rest.substring(0, slash);
      if (first.contains(".") || first.contains(":") || first.equals("localhost")) {
        registry = first;
        rest = rest.substring(slash + 1);
      }
    }
    if (registry.equals(DEFAULT_REGISTRY) && !rest.contains("/")) {
      rest = "library/" + rest;
    }
    return new ImageReference(registry, rest.toLowerCase(Locale.ROOT), tag, digest);
  }

  /**
   * The reference as a container runtime reports it in {@code containerStatuses[].image}: registry,
   * repository and tag ({@code latest} when neither tag nor digest is given).
   */
  String normalized() {
    StringBuilder out = new StringBuilder(registry).append('/').append(repository);
    if (tag != null) {
      out.append(':').append(tag);
    } else if (digest == null) {
      out.append(":latest");
    }
    if (digest != null) {
      out.append('@').append(digest);
    }
    return out.toString();
  }

  /** Whether the repository is {@code path}, from any registry, with any tag. */
  boolean isRepository(String path) {
    return repository.equals(path);
  }
}
