/** Local-filesystem storage: the same layout as S3 under `<root>/<base_path>/`. */
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat, unlink } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { checkKey, type Storage, type StoredObject } from "./storage.js";

export class LocalStorage implements Storage {
  readonly kind = "local" as const;
  readonly description: string;
  private readonly dir: string;

  constructor(root: string, basePath: string) {
    this.dir = path.resolve(root, basePath);
    this.description = `local filesystem ${this.dir}`;
  }

  private file(key: string): string {
    return path.join(this.dir, ...checkKey(key).split("/"));
  }

  uri(key: string): string {
    return key === "" ? this.dir : this.file(key.replace(/\/+$/, ""));
  }

  async put(key: string, body: Readable | Uint8Array): Promise<number> {
    const target = this.file(key);
    await mkdir(path.dirname(target), { recursive: true });
    // Write beside the target and rename: a reader never sees a partial object.
    const temp = `${target}.${process.pid}.${Date.now()}.tmp`;
    try {
      const source = body instanceof Uint8Array ? Readable.from([body]) : body;
      await pipeline(source, createWriteStream(temp));
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw new Error(`writing ${target} failed: ${(error as Error).message}`, { cause: error });
    }
    return (await stat(target)).size;
  }

  async get(key: string): Promise<Uint8Array | null> {
    const file = this.file(key);
    try {
      return await readFile(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") {
        return null;
      }
      throw new Error(`reading ${file} failed: ${(error as Error).message}`, { cause: error });
    }
  }

  async read(key: string): Promise<Readable> {
    const file = this.file(key);
    await stat(file).catch((error: unknown) => {
      throw new Error(`reading ${file} failed: ${(error as Error).message}`, { cause: error });
    });
    return createReadStream(file);
  }

  async list(prefix: string): Promise<StoredObject[]> {
    // Walk the deepest folder fully named by the prefix, then filter by the prefix text.
    const slash = prefix.lastIndexOf("/");
    const folder = slash < 0 ? "" : prefix.slice(0, slash);
    const start = folder === "" ? this.dir : this.file(folder);
    const out: StoredObject[] = [];
    const walk = async (dir: string, rel: string): Promise<void> => {
      let entries: import("node:fs").Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
        throw new Error(`listing ${dir} failed: ${(error as Error).message}`, { cause: error });
      }
      for (const e of entries) {
        const key = rel === "" ? e.name : `${rel}/${e.name}`;
        if (e.isDirectory()) {
          await walk(path.join(dir, e.name), key);
        } else if (e.isFile() && !e.name.endsWith(".tmp") && key.startsWith(prefix)) {
          out.push({ key, size: (await stat(path.join(dir, e.name))).size });
        }
      }
    };
    await walk(start, folder);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async deletePrefix(prefix: string): Promise<number> {
    const objects = await this.list(prefix);
    for (const o of objects) {
      await unlink(this.file(o.key));
    }
    if (prefix.endsWith("/")) {
      // Drop the emptied folder too, so listings of the parent stay clean.
      await rm(this.file(prefix.replace(/\/+$/, "")), { recursive: true, force: true });
    }
    return objects.length;
  }

  async delete(key: string): Promise<void> {
    await rm(this.file(key), { force: true });
  }
}
