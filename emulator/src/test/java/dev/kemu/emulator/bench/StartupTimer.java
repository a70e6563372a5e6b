package dev.kemu.emulator.bench;

import dev.kemu.emulator.Cluster;
import dev.kemu.emulator.Emulator;
import java.util.ArrayList;
import java.util.List;

/**
 * Measures in-process {@code Emulator.start()} on a manifest directory, run by {@code
 * scripts/bench/startup.sh}: the first start in a fresh JVM (what one test class pays) and the
 * following ones (what further classes in the same JVM pay). Prints one line per run and a summary
 * line {@code first_ms=… warm_median_ms=…}.
 */
public final class StartupTimer {
  private StartupTimer() {}

  public static void main(String[] args) {
    String manifests = args.length > 0 ? args[0] : "examples/shop";
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 7;
    List<Long> times = new ArrayList<>();
    for (int i = 0; i < runs; i++) {
      long started = System.nanoTime();
      try (Cluster cluster =
          Emulator.builder().manifests(manifests).watchManifests(false).start()) {
        long ms = (System.nanoTime() - started) / 1_000_000;
        times.add(ms);
        System.out.printf(
            "run %d: %d ms (%d objects)%n", i + 1, ms, cluster.store().resourceVersion());
      }
    }
    List<Long> warm = new ArrayList<>(times.subList(1, times.size()));
    warm.sort(Long::compare);
    long median = warm.isEmpty() ? times.get(0) : warm.get(warm.size() / 2);
    System.out.printf("first_ms=%d warm_median_ms=%d%n", times.get(0), median);
  }
}
