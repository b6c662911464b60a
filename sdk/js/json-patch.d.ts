/** One RFC 6902 operation; paths are RFC 6901 JSON Pointers. */
export type JsonPatchOperation =
  | { op: "add" | "replace" | "test"; path: string; value: unknown }
  | { op: "remove"; path: string }
  | { op: "move" | "copy"; from: string; path: string };

/** An RFC 6902 JSON Patch, as `event_patch` frames carry it. */
export type JsonPatch = JsonPatchOperation[];

/**
 * Applies `patch` to `doc` and returns the result: containers change in
 * place, an operation on the root ("") returns a new root. A null or
 * undefined patch returns `doc`. Throws on a failing operation (`doc` may
 * then be partly patched).
 */
export declare function applyPatch<T = unknown>(doc: unknown, patch: readonly JsonPatchOperation[] | null | undefined): T;

/**
 * BoardStreams' patchState: patches `state` in place and returns it (a no-op
 * for a null or undefined patch). Throws when the patch would replace the
 * root with another type (use applyPatch).
 */
export declare function patchState<T>(state: T, patch: readonly JsonPatchOperation[] | null | undefined): T;

/** A deep copy of JSON data. */
export declare function cloneJson<T>(value: T): T;

/** True for a plain JSON object (not null, not an array). */
export declare function isObject(value: unknown): value is { [key: string]: unknown };
