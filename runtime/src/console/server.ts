/**
 * The console's HTTP server (Hono on Node's http): the JSON API under /api/v1 (api.ts), the
 * compiled pages (dist/console-web, built with the runtime), and the defences every response
 * and request goes through: a strict Content-Security-Policy and security headers, token
 * authentication with roles and tenant scopes (auth.ts), a same-origin check and a custom header
 * on every request that changes something, a Host check while it runs without tokens, and one
 * log line for every refused request, without the token.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { serve } from "@hono/node-server";
import { getConnInfo } from "@hono/node-server/conninfo";
import { type Context, Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { secureHeaders } from "hono/secure-headers";
import { type AlertStore, openAlertStore } from "../alerts/store.js";
import type { CliIo } from "../cli/io.js";
import { openLedger } from "../ledger/index.js";
import type { Ledger } from "../ledger/types.js";
import { type Logger, redact, registerSecret } from "../logger.js";
import { createMetricsRegistry, type PromRegistry, renderMetrics } from "../metrics/index.js";
import type { TenantPlan } from "../plan.js";
import { ledgerLocation, resolveResources, selectEnvironment } from "../resources.js";
import type { TransformRegistry } from "../transfer/types.js";
import type { EnvSource } from "../values.js";
import { settleActions } from "./actions.js";
import { apiRoutes, type ConsoleEnv, type ServedTenant } from "./api.js";
import {
  authenticate,
  canSee,
  isLoopback,
  loadTokens,
  type Principal,
  type TokenEntry,
} from "./auth.js";
import { SessionRequestSchema } from "./dto.js";

export const DEFAULT_HOST = "127.0.0.1";
export const DEFAULT_PORT = 4700;
/** Name of the cookie a browser session keeps its token in (HttpOnly, SameSite=Strict). */
export const SESSION_COOKIE = "etl_console";
/** The header every request that changes something must carry (a cross-site form cannot). */
export const ACTION_HEADER = "x-console-action";

/**
 * A function replacing each resolved connection value (database and Trino hosts, the S3
 * endpoint, access key ids) by `***` where it stands as a word, so that no page shows where the
 * services are, even inside a run's log lines. Secrets are redacted by the runtime's `redact`.
 */
export function connectionScrubber(values: Iterable<string>): (text: string) => string {
  const words = [...new Set(values)]
    .filter((v) => v.length >= 3 && !/["\\\s]/.test(v))
    .sort((a, b) => b.length - a.length);
  if (words.length === 0) return (text) => text;
  const escaped = words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  const pattern = new RegExp(`(?<![A-Za-z0-9_-])(?:${escaped.join("|")})(?![A-Za-z0-9_-])`, "g");
  return (text) => text.replace(pattern, "***");
}

export interface ConsoleTenantInput {
  plan: TenantPlan;
  transforms: TransformRegistry;
}

export interface ConsoleOptions {
  tenants: readonly ConsoleTenantInput[];
  env: EnvSource;
  host: string;
  port: number;
  logger: Logger;
  /** Where console-launched runs print their summaries (the process's streams). */
  io: CliIo;
  /** Aborting stops launched runs (they are recorded cancelled). */
  signal: AbortSignal;
  /** Clock of the health computations (tests pin it). */
  now?: () => Date;
}

export interface RunningConsole {
  url: string;
  /** Stops accepting requests, waits for launched runs, closes the ledgers. */
  close: () => Promise<void>;
}

export type StartResult = { ok: true; console: RunningConsole } | { ok: false; errors: string[] };

/** Where the runtime's build puts the compiled pages (the same path from src/ and dist/). */
export const WEB_ROOT = fileURLToPath(new URL("../../dist/console-web/", import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
  ".woff2": "font/woff2",
};

interface StaticFile {
  body: Uint8Array;
  type: string;
}

/** Reads the compiled pages into memory once: a handful of files, served without disk access. */
function loadWebAssets(root: string): Map<string, StaticFile> | null {
  if (!existsSync(path.join(root, "index.html"))) return null;
  const files = new Map<string, StaticFile>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else {
        files.set(`/${path.relative(root, full).split(path.sep).join("/")}`, {
          body: readFileSync(full),
          type: CONTENT_TYPES[path.extname(name)] ?? "application/octet-stream",
        });
      }
    }
  };
  walk(root);
  return files;
}

/** Every value a page could show that names a secret is registered for redaction. */
function registerTenantSecrets(plan: TenantPlan, env: EnvSource): void {
  for (const name of plan.envVars) {
    if (/PASSWORD|SECRET|TOKEN|KEY/i.test(name)) registerSecret(env[name]);
  }
  registerSecret(env.AWS_SECRET_ACCESS_KEY);
  registerSecret(env.AWS_SESSION_TOKEN);
}

/** Builds the served tenants: the enabled environment of each, with its ledger. */
function serveTenants(options: ConsoleOptions): {
  tenants: ServedTenant[];
  errors: string[];
  connections: string[];
} {
  const errors: string[] = [];
  const connections: string[] = [];
  const tenants: ServedTenant[] = [];
  // One PostgreSQL ledger holds every tenant: share its pool instead of one per tenant (and the
  // alert records beside it).
  const shared = new Map<string, Ledger>();
  const sharedAlerts = new Map<string, AlertStore>();
  for (const input of options.tenants) {
    const selected = selectEnvironment(input.plan, options.env);
    if (!selected.ok) {
      if (options.tenants.length === 1) errors.push(selected.error);
      continue;
    }
    const where = ledgerLocation(input.plan, options.env);
    let ledger: Ledger;
    if (where.ledgerUrl !== null) {
      ledger = shared.get(where.ledgerUrl) ?? openLedger(where);
      shared.set(where.ledgerUrl, ledger);
    } else {
      ledger = openLedger(where);
    }
    registerTenantSecrets(input.plan, options.env);
    const resolved = resolveResources(input.plan, selected.name, options.env);
    let alerts: AlertStore | null = null;
    if (resolved.ok) {
      const r = resolved.resources;
      alerts = r.ledgerUrl === null ? openAlertStore(r) : (sharedAlerts.get(r.ledgerUrl) ?? null);
      if (alerts === null) alerts = openAlertStore(r);
      if (r.ledgerUrl !== null) sharedAlerts.set(r.ledgerUrl, alerts);
      connections.push(r.source.host, r.trino.host);
      if (r.storage.kind === "s3") {
        connections.push(r.storage.endpoint ?? "", r.storage.accessKeyId ?? "");
      }
    }
    if (where.ledgerUrl !== null) connections.push(new URL(where.ledgerUrl).hostname);
    tenants.push({
      tenant: {
        plan: input.plan,
        environment: selected.name,
        envPlan: selected.plan,
        ledger,
      },
      transforms: input.transforms,
      alerts,
      actionsBlocked: resolved.ok
        ? null
        : `missing or invalid settings: ${[...resolved.missing, ...resolved.errors].join(", ")}`,
    });
  }
  if (tenants.length === 0 && errors.length === 0) {
    errors.push("no tenant has the selected environment enabled: nothing to serve");
  }
  return { tenants, errors, connections };
}

function sameOrigin(c: Context): boolean {
  const host = c.req.header("host");
  const origin = c.req.header("origin");
  const site = c.req.header("sec-fetch-site");
  if (site !== undefined && site !== "same-origin" && site !== "none") return false;
  if (origin === undefined) return true;
  return host !== undefined && (origin === `http://${host}` || origin === `https://${host}`);
}

/** The Host header names this loopback console (a DNS-rebinding page would name its own host). */
function loopbackHost(c: Context): boolean {
  const host = c.req.header("host") ?? "";
  const m = /^(\[[^\]]+\]|[^:]+)(?::\d+)?$/.exec(host);
  return m?.[1] !== undefined && isLoopback(m[1]);
}

/** Creates the app (exported for tests that call `app.request` without a socket). */
export function createConsoleApp(
  served: readonly ServedTenant[],
  tokens: readonly TokenEntry[],
  options: Pick<ConsoleOptions, "env" | "io" | "logger" | "signal" | "now">,
  web: Map<string, StaticFile> | null,
  scrub: (text: string) => string = (text) => text,
): Hono<ConsoleEnv> {
  const logger = options.logger;
  const authRequired = tokens.length > 0;
  const app = new Hono<ConsoleEnv>();

  const refuse = (c: Context, status: 401 | 403 | 404, reason: string, token: string | null) => {
    let remote: string | null = null;
    const info = getConnInfo(c);
    remote = info.remote.address ?? null;
    logger.warn("console request refused", {
      status,
      reason,
      method: c.req.method,
      path: c.req.path,
      remote,
      token,
    });
    return c.json({ error: status === 404 ? "not found" : reason }, status, {
      "cache-control": "no-store",
    });
  };

  app.use(
    "*",
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'none'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", "data:"],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
      referrerPolicy: "no-referrer",
      xFrameOptions: "DENY",
      crossOriginOpenerPolicy: "same-origin",
      crossOriginResourcePolicy: "same-origin",
      strictTransportSecurity: false,
    }),
  );

  app.use("*", async (c, next) => {
    if (!authRequired && !loopbackHost(c)) {
      return refuse(c, 403, "Host header is not a loopback name (console without tokens)", null);
    }
    await next();
  });

  app.use("/metrics", async (c, next) => {
    if (c.req.method !== "GET") return c.json({ error: "metrics are read with GET" }, 405);
    await next();
  });
  const authenticateRequest = async (c: Context<ConsoleEnv>, next: () => Promise<void>) => {
    const unsafe = c.req.method !== "GET" && c.req.method !== "HEAD";
    if (unsafe && (!sameOrigin(c) || c.req.header(ACTION_HEADER) !== "1")) {
      return refuse(
        c,
        403,
        `cross-site or scripted request without the ${ACTION_HEADER}: 1 header`,
        null,
      );
    }
    if (c.req.path === "/api/v1/session") {
      await next();
      return;
    }
    let principal: Principal;
    if (!authRequired) {
      principal = { name: null, role: "operator", tenants: "*" };
    } else {
      const header = c.req.header("authorization");
      const presented =
        header !== undefined && /^Bearer\s+/i.test(header)
          ? header.replace(/^Bearer\s+/i, "").trim()
          : (getCookie(c, SESSION_COOKIE) ?? null);
      if (presented === null || presented === "") {
        return refuse(c, 401, "no token (Authorization: Bearer, or sign in)", null);
      }
      const entry = authenticate(tokens, presented);
      if (entry === null) return refuse(c, 401, "unknown token", null);
      principal = { name: entry.name, role: entry.role, tenants: entry.tenants };
    }
    if (unsafe && principal.role !== "operator") {
      return refuse(c, 403, "this action needs the operator role", principal.name);
    }
    c.set("principal", principal);
    c.set("refuse", (status: 401 | 403 | 404, reason: string) =>
      refuse(c, status, reason, principal.name),
    );
    await next();
  };
  app.use("/api/*", authenticateRequest);
  app.use("/metrics", authenticateRequest);

  // Prometheus text format for the tenants the token may see (every role may read metrics; a
  // scraper authenticates with `Authorization: Bearer`). One registry per tenant scope, so its
  // ledger reads are cached across scrapes.
  const registries = new Map<string, PromRegistry>();
  app.get("/metrics", async (c) => {
    const principal = c.get("principal");
    const scope = principal.tenants === "*" ? "*" : [...principal.tenants].sort().join(",");
    let registry = registries.get(scope);
    if (registry === undefined) {
      const visible = served.filter((s) => canSee(principal, s.tenant.plan.tenant.id));
      registry = createMetricsRegistry(() =>
        visible.map((s) => ({
          plan: s.tenant.plan,
          envPlan: s.tenant.envPlan,
          ledger: s.tenant.ledger,
          alerts: s.alerts,
        })),
      );
      registries.set(scope, registry);
    }
    const { contentType, body } = await renderMetrics(registry);
    return c.body(body, 200, { "content-type": contentType, "cache-control": "no-store" });
  });

  app.post("/api/v1/session", async (c) => {
    if (!authRequired) {
      return c.json({ error: "this console runs without tokens: no sign-in needed" }, 400);
    }
    const body = SessionRequestSchema.safeParse(await c.req.json().catch(() => null));
    if (!body.success) return c.json({ error: 'expected {"token": "..."}' }, 400);
    const entry = authenticate(tokens, body.data.token);
    if (entry === null) return refuse(c, 401, "unknown token", null);
    const secure =
      new URL(c.req.url).protocol === "https:" || c.req.header("x-forwarded-proto") === "https";
    setCookie(c, SESSION_COOKIE, body.data.token, {
      httpOnly: true,
      sameSite: "Strict",
      path: "/",
      secure,
      maxAge: 12 * 3600,
    });
    logger.info("console sign-in", { token: entry.name, role: entry.role });
    return c.json({
      name: entry.name,
      role: entry.role,
      tenants:
        entry.tenants === "*" ? served.map((s) => s.tenant.plan.tenant.id) : [...entry.tenants],
      authRequired,
    });
  });

  app.delete("/api/v1/session", (c) => {
    deleteCookie(c, SESSION_COOKIE, { path: "/" });
    return c.json({ ok: true });
  });

  app.route(
    "/api/v1",
    apiRoutes(served, {
      authRequired,
      scrub,
      env: options.env,
      io: options.io,
      logger,
      signal: options.signal,
      now: options.now ?? (() => new Date()),
    }),
  );

  app.all("/api/*", (c) => c.json({ error: `no API route ${c.req.method} ${c.req.path}` }, 404));

  app.get("*", (c) => {
    if (web === null) {
      return c.text(
        "The console's pages are not built: run `npx turbo run build --filter=@etl/runtime`.\n",
        503,
      );
    }
    const file = web.get(c.req.path);
    if (file !== undefined && c.req.path !== "/index.html") {
      return c.body(file.body as Uint8Array<ArrayBuffer>, 200, {
        "content-type": file.type,
        // Vite names assets by content hash: they never change under the same name.
        "cache-control": c.req.path.startsWith("/assets/")
          ? "public, max-age=31536000, immutable"
          : "no-cache",
      });
    }
    const index = web.get("/index.html");
    if (index === undefined || c.req.path.startsWith("/assets/")) return c.text("not found", 404);
    // Every page URL serves the single-page app, which routes on the path.
    return c.body(index.body as Uint8Array<ArrayBuffer>, 200, {
      "content-type": index.type,
      "cache-control": "no-cache",
    });
  });

  app.onError((e, c) => {
    logger.error("console request failed", {
      method: c.req.method,
      path: c.req.path,
      error: e instanceof Error ? e.message : String(e),
    });
    return c.json({ error: redact(e instanceof Error ? e.message : String(e)) }, 500);
  });
  return app;
}

/** Checks the settings, opens the ledgers and starts listening; reports every problem at once. */
/** Closes the served tenants' ledgers and alert stores (each shared one once). */
async function closeServed(served: readonly ServedTenant[]): Promise<void> {
  const stores = new Set(served.flatMap((s) => (s.alerts === null ? [] : [s.alerts])));
  await Promise.all([
    ...[...new Set(served.map((s) => s.tenant.ledger))].map((l) => l.close()),
    ...[...stores].map((a) => a.close()),
  ]);
}

export async function startConsole(options: ConsoleOptions): Promise<StartResult> {
  const { tenants: served, errors, connections } = serveTenants(options);
  const tokens = loadTokens(
    options.env,
    options.tenants.map((t) => t.plan.tenant.id),
  );
  if (!tokens.ok) errors.push(...tokens.errors);
  if (tokens.ok && tokens.tokens.length === 0 && !isLoopback(options.host)) {
    errors.push(
      `--host ${options.host} is reachable from other machines: configure tokens first (ETL_CONSOLE_TOKENS or ETL_CONSOLE_TOKENS_FILE; \`ui --new-token <name> --role viewer|operator\` makes one), or bind 127.0.0.1`,
    );
  }
  const web = loadWebAssets(WEB_ROOT);
  if (web === null) {
    errors.push(
      `the console's pages are missing from ${WEB_ROOT}: build the runtime (npx turbo run build --filter=@etl/runtime)`,
    );
  }
  if (errors.length > 0 || !tokens.ok) {
    await closeServed(served);
    return { ok: false, errors };
  }
  const app = createConsoleApp(
    served,
    tokens.tokens,
    options,
    web,
    connectionScrubber(connections),
  );
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: options.host, port: options.port }, () =>
      resolve(s as Server),
    ) as Server;
    s.once("error", (e) =>
      reject(new Error(`cannot listen on ${options.host}:${options.port}`, { cause: e })),
    );
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `http://${host === "0.0.0.0" || host === "[::]" ? "127.0.0.1" : host}:${address.port}/`;
  options.logger.info("console listening", {
    url,
    host: options.host,
    tenants: served.map((s) => s.tenant.plan.tenant.id),
    auth:
      tokens.tokens.length > 0
        ? `${tokens.tokens.length} tokens from ${tokens.source}`
        : "none (loopback only)",
  });
  // Warm each ledger's read side now (the file ledger builds its index), not on the first page.
  for (const s of served) {
    s.tenant.ledger
      .latestStates(s.tenant.plan.tenant.id, { assetKeys: [], from: null, to: null })
      .catch((e: unknown) =>
        options.logger.error("console could not read a ledger", {
          tenant: s.tenant.plan.tenant.id,
          ledger: s.tenant.ledger.description,
          error: e instanceof Error ? e.message : String(e),
        }),
      );
  }
  return {
    ok: true,
    console: {
      url,
      close: async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await settleActions();
        await closeServed(served);
      },
    },
  };
}
