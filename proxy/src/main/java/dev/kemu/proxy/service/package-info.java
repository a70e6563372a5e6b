/**
 * The Service data plane: kube-proxy in its userspace form. Every cluster address of a Service
 * (ClusterIP:port, NodePort on the node address, LoadBalancer ingress IPs, externalIPs) is a socket
 * kemu owns — a <em>portal</em> — and every connection or datagram that reaches it is forwarded to
 * an endpoint chosen from the Service's EndpointSlices.
 *
 * <p>The shape follows kubernetes/kubernetes {@code pkg/proxy}: an informer feeds changes, the sync
 * recompiles what changed into immutable routes and swaps each into its portal with one reference
 * write, and the connection path reads that one reference. Endpoint choice follows {@code
 * pkg/proxy/topology.go} (ready endpoints, falling back to serving-and-terminating ones) and the
 * old {@code pkg/proxy/userspace/roundrobin.go} (round robin, ClientIP affinity with a TTL); the
 * socket handling follows {@code pkg/proxy/userspace/proxysocket.go} (escalating dial timeouts, a
 * failed dial resets affinity and moves to the next endpoint, a UDP client cache with an idle
 * timeout).
 */
package dev.kemu.proxy.service;
