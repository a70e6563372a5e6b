package dev.kemu.emulator.cli;

import dev.kemu.api.store.EventType;
import dev.kemu.api.store.ListOptions;
import dev.kemu.api.store.ResourceStore;
import dev.kemu.api.store.WatchEvent;
import dev.kemu.api.store.WatchHandler;
import dev.kemu.api.store.WatchOptions;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Logs every change to the store as it is applied, as the CLI promises ("logs each change"). */
final class ChangeLog {
  private static final Logger logger = LoggerFactory.getLogger("kemu");

  private ChangeLog() {}

  static void follow(ResourceStore store) {
    store.watch(
        new WatchOptions(
            Set.of(), ListOptions.all(), store.resourceVersion(), false, null, Integer.MAX_VALUE),
        new WatchHandler() {
          @Override
          public void onEvent(WatchEvent event) {
            if (event.type() == EventType.BOOKMARK) {
              return;
            }
            String verb =
                switch (event.type()) {
                  case ADDED -> "created";
                  case MODIFIED -> "updated";
                  case DELETED -> "deleted";
                  default -> event.type().name().toLowerCase();
                };
            logger.info(
                "{} {} {} (rv {})",
                verb,
                event.key().type().kind(),
                event.key().namespacedName(),
                event.resourceVersion());
          }
        });
  }
}
