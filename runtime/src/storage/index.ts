/** Storage construction from resolved settings; logs which backend is in use. */
import type { Logger } from "../logger.js";
import type { StorageSettings } from "../resources.js";
import { LocalStorage } from "./local.js";
import { S3Storage } from "./s3.js";
import type { Storage } from "./storage.js";

export * from "./layout.js";
export * from "./local.js";
export * from "./s3.js";
export * from "./scratch.js";
export * from "./storage.js";

/** The S3 backend when a bucket is configured, else the local filesystem (said clearly). */
export function createStorage(settings: StorageSettings, logger: Logger): Storage {
  if (settings.kind === "local") {
    const storage = new LocalStorage(settings.root, settings.basePath);
    logger.warn(
      "no storage bucket configured: using the local filesystem backend (set storage.bucket / S3_BUCKET_NAME for S3)",
      { location: storage.description },
    );
    return storage;
  }
  const storage = new S3Storage(settings);
  // Every stage opens its storage: once per asset is detail (validate --connect names it).
  logger.debug("storage backend", { location: storage.description });
  return storage;
}
