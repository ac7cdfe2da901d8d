/**
 * The folder of one corpus case: `<case>/repo` is the repository root handed to the CLI (as the
 * relative `--root repo`, from `<case>`), `<case>/outside` a sentinel folder beside it holding
 * files a hostile repository might point at. A digest of the whole case folder, taken without
 * following links or opening FIFOs, proves that nothing was written inside or outside the root.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";

export const CONFIG = "tenants/acme/config.yaml";
export const MANIFEST = "tenants/acme/dbt/target/manifest.json";
export const TRANSFORM = "tenants/acme/transforms/wip.ts";
/** Text of the sentinel file; a report or diff that shows it has read outside the repository. */
export const SENTINEL = "OUTSIDE-SENTINEL-do-not-read-7f3a";

/** A digest of every entry under `dir`: paths, file bytes, link targets and entry types. */
export function treeDigest(dir: string): string {
  const hash = createHash("sha256");
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = path.join(d, name);
      const st = lstatSync(p);
      const rel = path.relative(dir, p);
      if (st.isSymbolicLink()) {
        hash.update(`L ${rel} -> ${readlinkSync(p)}\0`);
      } else if (st.isDirectory()) {
        hash.update(`D ${rel}\0`);
        walk(p);
      } else if (st.isFile()) {
        hash.update(`F ${rel}\0`);
        hash.update(readFileSync(p));
        hash.update("\0");
      } else {
        hash.update(`O ${rel} ${st.mode}\0`);
      }
    }
  };
  walk(dir);
  return hash.digest("hex");
}

export class CaseRoot {
  /** The repository root. */
  readonly dir: string;
  /** The sentinel folder beside it. */
  readonly outside: string;

  constructor(readonly caseDir: string) {
    this.dir = path.join(caseDir, "repo");
    this.outside = path.join(caseDir, "outside");
    mkdirSync(path.join(this.outside, "victim"), { recursive: true });
    writeFileSync(path.join(this.outside, "secret.txt"), `${SENTINEL}\n`);
    writeFileSync(path.join(this.outside, "victim", "keep.txt"), `${SENTINEL} keep\n`);
  }

  abs(rel: string): string {
    return path.join(this.dir, rel);
  }
  read(rel: string): string {
    return readFileSync(this.abs(rel), "utf8");
  }
  write(rel: string, text: string | Uint8Array): void {
    mkdirSync(path.dirname(this.abs(rel)), { recursive: true });
    writeFileSync(this.abs(rel), text);
  }
  remove(rel: string): void {
    rmSync(this.abs(rel), { recursive: true, force: true });
  }
  /** Replaces one exact snippet of a file; a snippet that is not there fails the case loudly. */
  replace(rel: string, from: string, to: string): void {
    const text = this.read(rel);
    if (!text.includes(from)) {
      throw new Error(`case setup: ${rel} has no ${JSON.stringify(from)}`);
    }
    this.write(rel, text.replace(from, to));
  }
  manifest(m: Record<string, unknown>): void {
    this.write(MANIFEST, `${JSON.stringify(m, null, 2)}\n`);
  }
  /** Replaces `rel` by a symbolic link to `target` (a path as the link stores it). */
  link(rel: string, target: string): void {
    this.remove(rel);
    mkdirSync(path.dirname(this.abs(rel)), { recursive: true });
    symlinkSync(target, this.abs(rel));
  }
  /** Moves `rel` into the sentinel folder (as `outside/<name>`) and links it back from `rel`. */
  moveOutside(rel: string, name: string): string {
    const target = path.join(this.outside, name);
    execFileSync("cp", ["-a", this.abs(rel), target]);
    this.link(rel, target);
    return target;
  }
  /** Replaces `rel` by a named pipe: a read of it would block for ever. */
  fifo(rel: string): void {
    this.remove(rel);
    mkdirSync(path.dirname(this.abs(rel)), { recursive: true });
    execFileSync("mkfifo", [this.abs(rel)]);
  }
  chmod(rel: string, mode: number): void {
    chmodSync(this.abs(rel), mode);
  }
  /** Lets an unprivileged user traverse and read the case (but what a case made unreadable). */
  openToAll(): void {
    execFileSync("chmod", ["-R", "a+rX", this.caseDir]);
  }
}
