/**
 * Console access: tokens with a role and a tenant scope. Only sha256 hashes of tokens are
 * configured (ETL_CONSOLE_TOKENS, or the file named by ETL_CONSOLE_TOKENS_FILE), one per line:
 *
 *     <name> <viewer|operator> <tenant,tenant|*> sha256:<64 hex digits>
 *
 * A presented token is hashed and compared with every configured hash in constant time. Without
 * tokens the console serves loopback only, as an operator of every tenant (like `run` on the
 * same machine); binding another address without tokens is refused at start.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import type { EnvSource } from "../values.js";
import type { Role } from "./dto.js";

export interface TokenEntry {
  name: string;
  role: Role;
  /** Tenant ids, or "*" for every tenant of the console. */
  tenants: readonly string[] | "*";
  hash: Buffer;
}

/** Who is asking: a token's grant, or the open loopback console. */
export interface Principal {
  name: string | null;
  role: Role;
  tenants: readonly string[] | "*";
}

export type TokensResult =
  | { ok: true; tokens: TokenEntry[]; source: string | null }
  | { ok: false; errors: string[] };

/** sha256 of a token, hex. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** A new token (256 random bits) and its configuration line. */
export function newToken(
  name: string,
  role: Role,
  tenants: readonly string[] | "*",
): { token: string; line: string } {
  const token = `etl_${randomBytes(32).toString("base64url")}`;
  const scope = tenants === "*" ? "*" : tenants.join(",");
  return { token, line: `${name} ${role} ${scope} sha256:${hashToken(token)}` };
}

const NAME_RE = /^[A-Za-z0-9_.@-]{1,64}$/;

/** Parses token lines; `where` names the source in messages (file path or variable). */
export function parseTokens(text: string, where: string, knownTenants: readonly string[]) {
  const tokens: TokenEntry[] = [];
  const errors: string[] = [];
  const known = new Set(knownTenants);
  for (const [i, raw] of text.split(/\r?\n|;/).entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const at = `${where}:${i + 1}`;
    const parts = line.split(/\s+/);
    if (parts.length !== 4) {
      errors.push(
        `${at}: expected "<name> <viewer|operator> <tenant,...|*> sha256:<hex>", got ${parts.length} fields`,
      );
      continue;
    }
    const [name = "", role = "", scope = "", hash = ""] = parts;
    if (!NAME_RE.test(name)) errors.push(`${at}: token name "${name}" must match ${NAME_RE}`);
    if (role !== "viewer" && role !== "operator") {
      errors.push(`${at}: role must be viewer or operator, got "${role}"`);
    }
    const tenants = scope === "*" ? "*" : scope.split(",").filter((t) => t !== "");
    if (tenants !== "*") {
      if (tenants.length === 0) errors.push(`${at}: no tenant named (use * for every tenant)`);
      for (const t of tenants) {
        if (!known.has(t)) {
          errors.push(
            `${at}: unknown tenant "${t}" (this console serves ${knownTenants.join(", ")})`,
          );
        }
      }
    }
    const m = /^sha256:([0-9a-f]{64})$/.exec(hash);
    if (m?.[1] === undefined) {
      errors.push(
        `${at}: expected the token's hash as sha256:<64 lower-case hex digits> (never the token itself; \`ui --new-token\` prints both)`,
      );
      continue;
    }
    if (tokens.some((t) => t.name === name)) errors.push(`${at}: token name "${name}" given twice`);
    if (role === "viewer" || role === "operator") {
      tokens.push({ name, role, tenants, hash: Buffer.from(m[1], "hex") });
    }
  }
  return { tokens, errors };
}

/** The configured tokens: ETL_CONSOLE_TOKENS and the file ETL_CONSOLE_TOKENS_FILE, together. */
export function loadTokens(env: EnvSource, knownTenants: readonly string[]): TokensResult {
  const tokens: TokenEntry[] = [];
  const errors: string[] = [];
  const sources: string[] = [];
  const inline = env.ETL_CONSOLE_TOKENS;
  if (inline !== undefined && inline.trim() !== "") {
    const r = parseTokens(inline, "ETL_CONSOLE_TOKENS", knownTenants);
    tokens.push(...r.tokens);
    errors.push(...r.errors);
    sources.push("ETL_CONSOLE_TOKENS");
  }
  const file = env.ETL_CONSOLE_TOKENS_FILE;
  if (file !== undefined && file !== "") {
    let text: string | null = null;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      errors.push(
        `ETL_CONSOLE_TOKENS_FILE=${file}: cannot read it (${e instanceof Error ? e.message : String(e)})`,
      );
    }
    if (text !== null) {
      const r = parseTokens(text, file, knownTenants);
      tokens.push(...r.tokens);
      errors.push(...r.errors);
      sources.push(file);
    }
  }
  const names = new Set<string>();
  for (const t of tokens) {
    if (names.has(t.name)) errors.push(`token name "${t.name}" is configured twice`);
    names.add(t.name);
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, tokens, source: sources.length === 0 ? null : sources.join(" and ") };
}

/** The entry a presented token belongs to; compares against every hash, in constant time. */
export function authenticate(tokens: readonly TokenEntry[], presented: string): TokenEntry | null {
  const digest = createHash("sha256").update(presented, "utf8").digest();
  let found: TokenEntry | null = null;
  for (const t of tokens) {
    if (timingSafeEqual(digest, t.hash) && found === null) found = t;
  }
  return found;
}

/** Whether a principal may see a tenant. */
export function canSee(principal: Principal, tenant: string): boolean {
  return principal.tenants === "*" || principal.tenants.includes(tenant);
}

/** Whether `host` (as given to --host) is a loopback address. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h);
}
