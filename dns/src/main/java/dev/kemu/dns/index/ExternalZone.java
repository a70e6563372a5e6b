package dev.kemu.dns.index;

import java.util.Map;
import java.util.Set;
import org.xbill.DNS.Name;

/**
 * The records of the optional external zone (e.g. {@code example.test}), keyed by name (dnsjava
 * names compare case-insensitively).
 *
 * @param records the published names
 * @param nonTerminals names that exist only because a longer name exists below them (empty
 *     non-terminals answer NODATA, not NXDOMAIN: RFC 8020)
 */
public record ExternalZone(Map<Name, ExternalEntry> records, Set<Name> nonTerminals) {

  /** No published names. */
  public static final ExternalZone EMPTY = new ExternalZone(Map.of(), Set.of());

  public ExternalZone {
    records = Map.copyOf(records);
    nonTerminals = Set.copyOf(nonTerminals);
  }
}
