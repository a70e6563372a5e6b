package dev.kemu.api.patch;

import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import java.util.List;

/**
 * The outcome of a patch.
 *
 * @param json the patched object (for apply and when managed fields are recorded, with its {@code
 *     metadata.managedFields})
 * @param managedFields the object's managed fields after the patch
 * @param created whether an apply created the object (there was no current object)
 */
public record PatchResult(byte[] json, List<ManagedFieldsEntry> managedFields, boolean created) {}
