package dev.kemu.dns.index;

import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * An immutable map split into shards, so that a new version with a few changes copies only the
 * shards those changes touch. It lets {@link DnsIndex} be swapped after every write without copying
 * a 10,000-Service table each time (DESIGN: "data-plane tables are immutable snapshots").
 *
 * @param <K> key type
 * @param <V> value type
 */
public final class ShardedMap<K, V> {
  private static final int SHARDS = 256;
  private static final ShardedMap<?, ?> EMPTY = new ShardedMap<>(emptyShards(), 0);

  private final Map<K, V>[] shards;
  private final int size;

  private ShardedMap(Map<K, V>[] shards, int size) {
    this.shards = shards;
    this.size = size;
  }

  /** The empty map. */
  @SuppressWarnings("unchecked")
  public static <K, V> ShardedMap<K, V> empty() {
    return (ShardedMap<K, V>) EMPTY;
  }

  @SuppressWarnings("unchecked")
  private static <K, V> Map<K, V>[] emptyShards() {
    Map<K, V>[] shards = new Map[SHARDS];
    Arrays.fill(shards, Collections.emptyMap());
    return shards;
  }

  private static int shard(Object key) {
    int h = key.hashCode();
    return (h ^ (h >>> 16) ^ (h >>> 8)) & (SHARDS - 1);
  }

  /** The value of a key, or null. */
  public V get(K key) {
    return shards[shard(key)].get(key);
  }

  /** How many entries the map holds. */
  public int size() {
    return size;
  }

  /** Calls the action for every entry, in no particular order. */
  public void forEach(BiConsumer<? super K, ? super V> action) {
    for (Map<K, V> shard : shards) {
      shard.forEach(action);
    }
  }

  /**
   * A new map with the changes applied: a null value removes the key. This map is unchanged.
   *
   * @param changes the new values by key
   */
  public ShardedMap<K, V> with(Map<K, V> changes) {
    if (changes.isEmpty()) {
      return this;
    }
    Map<K, V>[] next = shards.clone();
    boolean[] copied = new boolean[SHARDS];
    int newSize = size;
    for (Map.Entry<K, V> change : changes.entrySet()) {
      int i = shard(change.getKey());
      if (!copied[i]) {
        next[i] = new HashMap<>(next[i]);
        copied[i] = true;
      }
      if (change.getValue() == null) {
        if (next[i].remove(change.getKey()) != null) {
          newSize--;
        }
      } else if (next[i].put(change.getKey(), change.getValue()) == null) {
        newSize++;
      }
    }
    for (int i = 0; i < SHARDS; i++) {
      if (copied[i]) {
        next[i] = next[i].isEmpty() ? Collections.emptyMap() : Collections.unmodifiableMap(next[i]);
      }
    }
    return new ShardedMap<>(next, newSize);
  }
}
