/**
 * Object storage used by extract, transfer, load and the ledger. Keys are relative to the tenant's
 * base path (`storage.base_path`), so a tenant package can only address its own prefix.
 */
import type { Readable } from "node:stream";

export interface StoredObject {
  /** Key relative to the base path. */
  key: string;
  size: number;
}

export interface Storage {
  readonly kind: "s3" | "local";
  /** Where objects go, for the start-up log line (no secrets). */
  readonly description: string;
  /** Streams `body` into `key`; the object appears only once complete. Returns its size. */
  put(key: string, body: Readable | Uint8Array, contentType?: string): Promise<number>;
  /** Whole small object (manifests, state), or null when absent. */
  get(key: string): Promise<Uint8Array | null>;
  /** Streams an object; an error names the key when it is absent. */
  read(key: string): Promise<Readable>;
  /** Objects under `prefix` (a key prefix; use a trailing `/` for a folder), sorted by key. */
  list(prefix: string): Promise<StoredObject[]>;
  /** Deletes every object under `prefix`; returns how many. */
  deletePrefix(prefix: string): Promise<number>;
  delete(key: string): Promise<void>;
  /** Absolute location of a key or folder for other engines (`s3://bucket/...` or a file path). */
  uri(key: string): string;
}

/** Refuses keys that are empty, absolute, or climb with `.`/`..` segments. */
export function checkKey(key: string): string {
  if (key === "" || key.startsWith("/") || key.split("/").some((s) => s === "." || s === "..")) {
    throw new Error(
      `storage key "${key}" must be relative and must not contain "." or ".." segments`,
    );
  }
  return key;
}

/** Joins base path and key. */
export function joinKey(basePath: string, key: string): string {
  return basePath === "" ? key : `${basePath}/${key}`;
}
