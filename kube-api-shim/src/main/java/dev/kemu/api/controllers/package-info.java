/**
 * kemu's kube-controller-manager: controllers that follow the store and write what Kubernetes
 * derives from it. {@link dev.kemu.api.controllers.EndpointSliceController} and {@link
 * dev.kemu.api.controllers.EndpointsController} turn Services and Pods into EndpointSlices and
 * legacy Endpoints ({@code pkg/controller/endpointslice}, {@code pkg/controller/endpoint}); {@link
 * dev.kemu.api.controllers.LoadBalancerController} gives LoadBalancer Services an address, as
 * MetalLB does. Each is a {@link dev.kemu.api.informer.StoreReader} whose sync finishes its writes
 * before it returns, so that a write's consequences are in the store once every reader has applied
 * it.
 */
package dev.kemu.api.controllers;
