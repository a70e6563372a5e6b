package dev.kemu.emulator;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The README's examples are tests: each fenced block after a {@code <!-- snippet: FILE#NAME -->}
 * marker must equal the region {@code // snippet NAME {} ... {@code // }} of that test source,
 * which runs with the build. So the README cannot drift from code that works.
 */
class ReadmeTest {
  private static final Path ROOT = Path.of("..");
  private static final Pattern MARKER =
      Pattern.compile(
          "<!-- snippet: (\\S+)#(\\S+) -->\\s*\\n```\\w*\\n(.*?)\\n```", Pattern.DOTALL);

  record Snippet(String name, Path file, String region, String readmeText) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Snippet> snippets() throws IOException {
    List<Snippet> snippets = new ArrayList<>();
    for (Path doc : List.of(ROOT.resolve("README.md"))) {
      Matcher matcher = MARKER.matcher(Files.readString(doc));
      while (matcher.find()) {
        snippets.add(
            new Snippet(
                doc.getFileName() + ": " + matcher.group(2),
                ROOT.resolve(matcher.group(1)),
                matcher.group(2),
                matcher.group(3)));
      }
    }
    assertThat(snippets).as("README snippets").isNotEmpty();
    return snippets.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("snippets")
  void readmeSnippetIsTheTestedCode(Snippet snippet) throws IOException {
    assertThat(snippet.file()).exists();
    assertThat(snippet.readmeText()).isEqualTo(region(snippet.file(), snippet.region()));
  }

  /** The lines between {@code // snippet NAME {} and {@code // }}, with common indent removed. */
  static String region(Path file, String name) throws IOException {
    List<String> lines = Files.readAllLines(file);
    List<String> region = new ArrayList<>();
    boolean inside = false;
    for (String line : lines) {
      if (line.trim().equals("// snippet " + name + " {")) {
        inside = true;
      } else if (inside && line.trim().equals("// }")) {
        break;
      } else if (inside) {
        region.add(line);
      }
    }
    assertThat(region).as("region %s in %s", name, file).isNotEmpty();
    int indent =
        region.stream()
            .filter(l -> !l.isBlank())
            .mapToInt(l -> l.length() - l.stripLeading().length())
            .min()
            .orElse(0);
    return String.join(
        "\n", region.stream().map(l -> l.isBlank() ? "" : l.substring(indent)).toList());
  }
}
