package dev.kemu.api.controllers;

import io.fabric8.kubernetes.api.model.EndpointAddress;
import io.fabric8.kubernetes.api.model.EndpointPort;
import io.fabric8.kubernetes.api.model.EndpointSubset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The canonical layout of {@code v1.Endpoints} subsets. Mirrors {@code
 * pkg/api/v1/endpoints/util.go}: {@code RepackSubsets} groups the addresses that offer the same
 * ports into one subset (an address not ready on any port counts as not ready), and the result is
 * sorted. Upstream sorts subsets and ports by the hash of their printed form; kemu sorts them by
 * their content, which is as stable and easier to read.
 */
final class EndpointSubsets {
  private EndpointSubsets() {}

  /** An address is identified by IP and target uid (two pods may share an IP, for attribution). */
  private record AddressKey(String ip, String uid) {}

  private record PortKey(String name, int port, String protocol, String appProtocol) {
    static final PortKey SENTINEL = new PortKey(null, -1, null, null);

    static PortKey of(EndpointPort port) {
      return new PortKey(
          port.getName(),
          port.getPort() == null ? 0 : port.getPort(),
          port.getProtocol(),
          port.getAppProtocol());
    }

    EndpointPort toPort() {
      return new EndpointPort(appProtocol, name, port, protocol);
    }
  }

  private record Member(AddressKey address, boolean ready) {}

  /** Regroups subsets into the canonical layout. */
  static List<EndpointSubset> repack(List<EndpointSubset> subsets) {
    Map<AddressKey, EndpointAddress> allAddresses = new LinkedHashMap<>();
    Map<PortKey, Map<AddressKey, Boolean>> readyByPort = new LinkedHashMap<>();
    for (EndpointSubset subset : subsets) {
      List<EndpointPort> ports = listOf(subset.getPorts());
      // Addresses with no ports are kept, under a sentinel port.
      List<PortKey> keys =
          ports.isEmpty() ? List.of(PortKey.SENTINEL) : ports.stream().map(PortKey::of).toList();
      for (PortKey port : keys) {
        for (EndpointAddress address : listOf(subset.getAddresses())) {
          map(address, port, true, allAddresses, readyByPort);
        }
        for (EndpointAddress address : listOf(subset.getNotReadyAddresses())) {
          map(address, port, false, allAddresses, readyByPort);
        }
      }
    }

    // Ports offered by exactly the same addresses (in the same state) share a subset.
    Map<List<Member>, List<PortKey>> portsByMembers = new LinkedHashMap<>();
    for (var entry : readyByPort.entrySet()) {
      List<Member> members = new ArrayList<>();
      entry.getValue().forEach((address, ready) -> members.add(new Member(address, ready)));
      members.sort(
          Comparator.comparing((Member m) -> m.address(), EndpointSubsets::compareAddressKeys));
      List<PortKey> ports = portsByMembers.computeIfAbsent(members, m -> new ArrayList<>());
      if (entry.getKey().port() > 0) {
        ports.add(entry.getKey());
      }
    }

    List<EndpointSubset> packed = new ArrayList<>();
    for (var entry : portsByMembers.entrySet()) {
      List<EndpointAddress> ready = new ArrayList<>();
      List<EndpointAddress> notReady = new ArrayList<>();
      for (Member member : entry.getKey()) {
        (member.ready() ? ready : notReady).add(allAddresses.get(member.address()));
      }
      List<EndpointPort> ports = new ArrayList<>();
      entry.getValue().stream()
          .sorted(
              Comparator.comparing(PortKey::name, Comparator.nullsFirst(Comparator.naturalOrder()))
                  .thenComparingInt(PortKey::port)
                  .thenComparing(
                      PortKey::protocol, Comparator.nullsFirst(Comparator.naturalOrder())))
          .forEach(p -> ports.add(p.toPort()));
      packed.add(new EndpointSubset(ready, notReady, ports));
    }
    packed.sort(Comparator.comparing(EndpointSubsets::sortKey));
    return packed;
  }

  private static void map(
      EndpointAddress address,
      PortKey port,
      boolean ready,
      Map<AddressKey, EndpointAddress> allAddresses,
      Map<PortKey, Map<AddressKey, Boolean>> readyByPort) {
    AddressKey key =
        new AddressKey(
            address.getIp(), address.getTargetRef() == null ? "" : address.getTargetRef().getUid());
    allAddresses.putIfAbsent(key, address);
    Map<AddressKey, Boolean> states = readyByPort.computeIfAbsent(port, p -> new LinkedHashMap<>());
    // Not ready trumps ready.
    Boolean was = states.get(key);
    if (was == null || was) {
      states.put(key, ready);
    }
  }

  /** {@code LessEndpointAddress}: by the bytes of the IP text, then by target uid. */
  private static int compareAddressKeys(AddressKey a, AddressKey b) {
    int ip =
        Arrays.compare(
            Objects.requireNonNullElse(a.ip(), "").getBytes(StandardCharsets.UTF_8),
            Objects.requireNonNullElse(b.ip(), "").getBytes(StandardCharsets.UTF_8));
    if (ip != 0) {
      return ip;
    }
    return Objects.requireNonNullElse(a.uid(), "")
        .compareTo(Objects.requireNonNullElse(b.uid(), ""));
  }

  private static String sortKey(EndpointSubset subset) {
    StringBuilder key = new StringBuilder();
    for (EndpointPort port : subset.getPorts()) {
      key.append(port.getName()).append('/').append(port.getPort()).append('/');
      key.append(port.getProtocol()).append(';');
    }
    key.append('|');
    List<EndpointAddress> all = new ArrayList<>(subset.getAddresses());
    all.addAll(subset.getNotReadyAddresses());
    for (EndpointAddress address : all) {
      key.append(address.getIp()).append(';');
    }
    return key.toString();
  }

  private static <T> List<T> listOf(List<T> list) {
    return list == null ? List.of() : list;
  }
}
