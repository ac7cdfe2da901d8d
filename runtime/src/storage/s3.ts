/** S3 storage (AWS or an S3-compatible server such as MinIO), multipart streamed uploads. */

import type { Readable } from "node:stream";
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  S3Client,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { checkKey, joinKey, type Storage, type StoredObject } from "./storage.js";

export interface S3StorageOptions {
  bucket: string;
  basePath: string;
  endpoint: string | null;
  region: string;
  accessKeyId: string | null;
  secretAccessKey: string | null;
  sessionToken: string | null;
  forcePathStyle: boolean;
  /** Multipart part size in bytes (>= 5 MiB); memory per upload is about partSize * queueSize. */
  partSize?: number;
  queueSize?: number;
}

export class S3Storage implements Storage {
  readonly kind = "s3" as const;
  readonly description: string;
  readonly client: S3Client;
  private readonly bucket: string;
  private readonly basePath: string;
  private readonly partSize: number;
  private readonly queueSize: number;

  constructor(options: S3StorageOptions) {
    this.bucket = options.bucket;
    this.basePath = options.basePath;
    this.partSize = options.partSize ?? 8 * 1024 * 1024;
    this.queueSize = options.queueSize ?? 2;
    this.client = new S3Client({
      region: options.region,
      forcePathStyle: options.forcePathStyle,
      ...(options.endpoint === null ? {} : { endpoint: options.endpoint }),
      ...(options.accessKeyId !== null && options.secretAccessKey !== null
        ? {
            credentials: {
              accessKeyId: options.accessKeyId,
              secretAccessKey: options.secretAccessKey,
              ...(options.sessionToken === null ? {} : { sessionToken: options.sessionToken }),
            },
          }
        : {}),
    });
    this.description = `s3://${this.bucket}/${this.basePath}${options.endpoint === null ? "" : ` at ${options.endpoint}`}`;
  }

  private full(key: string): string {
    return joinKey(this.basePath, checkKey(key));
  }

  private relative(fullKey: string): string {
    return this.basePath === "" ? fullKey : fullKey.slice(this.basePath.length + 1);
  }

  uri(key: string): string {
    return `s3://${this.bucket}/${key === "" ? this.basePath : this.full(key)}`;
  }

  async put(key: string, body: Readable | Uint8Array, contentType?: string): Promise<number> {
    const Key = this.full(key);
    let size = 0;
    if (!(body instanceof Uint8Array)) {
      body.on("data", (chunk: Uint8Array) => {
        size += chunk.length;
      });
    } else {
      size = body.length;
    }
    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: this.bucket,
        Key,
        Body: body,
        ...(contentType === undefined ? {} : { ContentType: contentType }),
      },
      partSize: this.partSize,
      queueSize: this.queueSize,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (error) {
      throw new Error(`uploading s3://${this.bucket}/${Key} failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
    return size;
  }

  async get(key: string): Promise<Uint8Array | null> {
    const Key = this.full(key);
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key }));
      if (r.Body === undefined) {
        return new Uint8Array(0);
      }
      return await r.Body.transformToByteArray();
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === "NoSuchKey") {
        return null;
      }
      throw new Error(`reading s3://${this.bucket}/${Key} failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  async read(key: string): Promise<Readable> {
    const Key = this.full(key);
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key }));
      if (r.Body === undefined) {
        throw new Error("empty response body");
      }
      return r.Body as Readable;
    } catch (error) {
      throw new Error(`reading s3://${this.bucket}/${Key} failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  async list(prefix: string): Promise<StoredObject[]> {
    const Prefix = this.basePath === "" ? prefix : `${this.basePath}/${prefix}`;
    const out: StoredObject[] = [];
    let token: string | undefined;
    do {
      const r = await this.client
        .send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix, ContinuationToken: token }))
        .catch((error: unknown) => {
          throw new Error(
            `listing s3://${this.bucket}/${Prefix} failed: ${(error as Error).message}`,
            {
              cause: error,
            },
          );
        });
      for (const o of r.Contents ?? []) {
        if (o.Key !== undefined) {
          out.push({ key: this.relative(o.Key), size: o.Size ?? 0 });
        }
      }
      token = r.IsTruncated === true ? r.NextContinuationToken : undefined;
    } while (token !== undefined);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async deletePrefix(prefix: string): Promise<number> {
    const objects = await this.list(prefix);
    for (let i = 0; i < objects.length; i += 1000) {
      const chunk = objects.slice(i, i + 1000);
      const r = await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: chunk.map((o) => ({ Key: this.full(o.key) })), Quiet: true },
        }),
      );
      const failed = r.Errors ?? [];
      if (failed.length > 0) {
        throw new Error(
          `deleting under s3://${this.bucket}/${this.full(prefix)} failed for ${failed.length} objects, first: ${failed[0]?.Key} ${failed[0]?.Message}`,
        );
      }
    }
    return objects.length;
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.full(key) }));
  }
}
