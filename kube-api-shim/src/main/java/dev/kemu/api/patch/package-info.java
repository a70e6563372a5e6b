/**
 * The PATCH verb of the kube-API, as a pure library the REST layer calls: {@link
 * dev.kemu.api.patch.PatchEngine#patch} applies JSON patch, JSON merge patch, strategic merge patch
 * (built-in kinds only; custom resources get 415 as from the apiserver) and server-side apply to
 * the current object's JSON and returns the new JSON; {@link
 * dev.kemu.api.patch.ManagedFields#recordUpdate} records {@code operation: Update} managed fields
 * for every create, update and non-apply patch, so that server-side apply conflicts with those
 * writers as upstream. Mirrors {@code k8s.io/apiserver/pkg/endpoints/handlers/patch.go}, {@code
 * k8s.io/apimachinery/pkg/util/strategicpatch} and {@code sigs.k8s.io/structured-merge-diff}.
 *
 * <p>The REST layer's part: read the object (404 before calling, except for an apply, which may
 * create), pass the {@code fieldManager}/{@code force} query parameters in {@link
 * dev.kemu.api.patch.PatchOptions}, check the patched name against the URL, default and validate
 * the result, call {@code recordUpdate} for non-apply writes and store.
 */
package dev.kemu.api.patch;
