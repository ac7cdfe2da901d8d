/**
 * The console's defences, over real HTTP: no start on a non-loopback address without tokens,
 * token roles and tenant scopes (a token of one tenant sees nothing of another), actions only
 * for operators and only same-origin with the console's header, the Host check of a console
 * without tokens, security headers on every response, and a log line for every refused request
 * that never holds the token.
 */
import { get } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { FileLedger, Logger } from "@etl/runtime";
import { type Me, newToken, startConsole, type TenantSummary } from "@etl/runtime/console";
import { transforms } from "@etl/tenant-project_01";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pyCheck } from "../../src/py-tools.js";
import { actionHeaders, captureIo, type Harness, startHarness } from "./harness.js";
import { addDay, largePlan, seedLedger, TENANT } from "./plans.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const acme = largePlan({ id: "acme", name: "Acme Retail", startDate: "2026-01-01", dbtModels: 12 });
const viewer = newToken("vera", "viewer", [TENANT]);
const operator = newToken("otto", "operator", "*");
const acmeOperator = newToken("ada", "operator", ["acme"]);
const tokens = [viewer, operator, acmeOperator];

let h: Harness;
const bearer = (t: { token: string }) => ({ authorization: `Bearer ${t.token}` });

beforeAll(async () => {
  h = await startHarness({
    ledger: "file",
    extraTenants: [{ plan: acme, transforms: {} }],
    env: { ETL_CONSOLE_TOKENS: tokens.map((t) => t.line).join("\n") },
  });
  await seedLedger(new FileLedger(h.etlHome, "acme"), acme, {
    from: "2026-01-01",
    to: addDay("2026-01-01", 20),
    failureRate: 0.2,
    gapRate: 0.1,
  });
});

afterAll(async () => {
  await h?.close();
});

describe("console security", () => {
  it("refuses to start on a non-loopback address without tokens, and names bad token lines", async () => {
    const common = {
      tenants: [{ plan: h.plan, transforms }],
      port: 0,
      logger: new Logger({}, { write: () => {}, isTTY: false }),
      io: captureIo(),
      signal: new AbortController().signal,
    };
    const open = await startConsole({
      ...common,
      env: { ...h.env, ETL_CONSOLE_TOKENS: "" },
      host: "0.0.0.0",
    });
    expect(open.ok).toBe(false);
    expect(!open.ok && open.errors).toEqual([
      expect.stringMatching(
        /^--host 0\.0\.0\.0 is reachable from other machines: configure tokens first/,
      ),
    ]);
    const bad = await startConsole({
      ...common,
      env: {
        ...h.env,
        ETL_CONSOLE_TOKENS: `ok viewer ${TENANT} sha256:${"0".repeat(64)}\nroot admin * ${viewer.token}`,
      },
      host: "127.0.0.1",
    });
    expect(!bad.ok && bad.errors).toEqual([
      'ETL_CONSOLE_TOKENS:2: role must be viewer or operator, got "admin"',
      "ETL_CONSOLE_TOKENS:2: expected the token's hash as sha256:<64 lower-case hex digits> (never the token itself; `ui --new-token` prints both)",
    ]);
  });

  it("needs a token for every API request, and signs a browser in with an HttpOnly cookie", async () => {
    expect((await h.api("/api/v1/me")).status).toBe(401);
    expect((await h.api(`/api/v1/tenants/${TENANT}/overview`)).status).toBe(401);
    expect(
      (await h.api("/api/v1/me", { headers: { authorization: "Bearer etl_not-a-token" } })).status,
    ).toBe(401);
    const signIn = await h.api<Me>("/api/v1/session", {
      method: "POST",
      headers: actionHeaders(),
      body: JSON.stringify({ token: viewer.token }),
    });
    expect(signIn.status).toBe(200);
    const cookie = signIn.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^etl_console=/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const me = await h.api<Me>("/api/v1/me", { headers: { cookie: cookie.split(";")[0] ?? "" } });
    expect(me.body).toEqual({
      name: "vera",
      role: "viewer",
      tenants: [TENANT],
      authRequired: true,
    });
  });

  it("shows a token only its tenants: another tenant is not found, and not listed", async () => {
    const listed = await h.api<{ tenants: TenantSummary[] }>("/api/v1/tenants", {
      headers: bearer(viewer),
    });
    expect(listed.body.tenants.map((t) => t.id)).toEqual([TENANT]);
    expect(
      (await h.api(`/api/v1/tenants/${TENANT}/overview`, { headers: bearer(viewer) })).status,
    ).toBe(200);
    for (const p of ["overview", "lineage", "partitions", "runs", "assets/load/orders"]) {
      const r = await h.api<{ error: string }>(`/api/v1/tenants/acme/${p}`, {
        headers: bearer(viewer),
      });
      expect([p, r.status, r.body]).toEqual([p, 404, { error: "not found" }]);
    }
    const all = await h.api<{ tenants: TenantSummary[] }>("/api/v1/tenants", {
      headers: bearer(operator),
    });
    expect(all.body.tenants.map((t) => t.id)).toEqual([TENANT, "acme"]);
    const acmeOnly = await h.api<Me>("/api/v1/me", { headers: bearer(acmeOperator) });
    expect(acmeOnly.body.tenants).toEqual(["acme"]);
  });

  it("serves /metrics to a token of any role, with its tenants only, in Prometheus' format", async () => {
    const scrape = async (headers: Record<string, string>) => {
      const r = await fetch(`${h.url}/metrics`, { headers });
      return { status: r.status, type: r.headers.get("content-type"), text: await r.text() };
    };
    expect((await scrape({})).status).toBe(401);
    const tenantsIn = async (text: string) => {
      // Prometheus' own parser reads the whole exposition (a malformed one fails the test).
      const families = JSON.parse(
        await pyCheck(path.join(here, "..", "operations", "py", "prometheus_parse.py"), text),
      ) as { name: string; samples: { labels: Record<string, string> }[] }[];
      expect(families.map((f) => f.name)).toContain("etl_runs");
      return [...new Set(families.flatMap((f) => f.samples.map((s) => s.labels.tenant ?? "")))]
        .filter((t) => t !== "")
        .sort();
    };
    const asViewer = await scrape(bearer(viewer));
    expect(asViewer.status).toBe(200);
    expect(asViewer.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await tenantsIn(asViewer.text)).toEqual([TENANT]);
    const asOperator = await scrape(bearer(operator));
    expect(await tenantsIn(asOperator.text)).toEqual(["acme", TENANT].sort());
    const acmeOnly = await scrape(bearer(acmeOperator));
    expect(await tenantsIn(acmeOnly.text)).toEqual(["acme"]);
  });

  it("lets only operators act, and only same-origin with the console's header", async () => {
    const launch = (headers: Record<string, string>, tenant = TENANT) =>
      h.api<{ error: string; runId: string }>(`/api/v1/tenants/${tenant}/runs`, {
        method: "POST",
        headers,
        body: JSON.stringify({ job: "broken", partition: "2026-01-02" }),
      });
    expect((await launch(actionHeaders(bearer(viewer)))).status).toBe(403);
    expect((await launch(actionHeaders(bearer(acmeOperator)))).status).toBe(404);
    expect((await launch({ "content-type": "application/json", ...bearer(operator) })).status).toBe(
      403,
    );
    expect(
      (await launch(actionHeaders({ ...bearer(operator), origin: "http://evil.example" }))).status,
    ).toBe(403);
    expect(
      (await launch(actionHeaders({ ...bearer(operator), "sec-fetch-site": "cross-site" }))).status,
    ).toBe(403);
    const ok = await launch(actionHeaders({ ...bearer(operator), origin: h.url }));
    expect(ok.status).toBe(202);
    await h.until("the launched run to end", async () => {
      const r = await h.api<{ run: { status: string } }>(
        `/api/v1/tenants/${TENANT}/runs/${ok.body.runId}`,
        { headers: bearer(operator) },
      );
      return r.body.run.status === "running" ? null : r.body;
    });
  });

  it("logs every refused request without its token", () => {
    const refused = h.consoleLog
      .filter((l) => l.includes("console request refused"))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(refused.map((r) => [r.status, r.reason])).toEqual(
      expect.arrayContaining([
        [401, "no token (Authorization: Bearer, or sign in)"],
        [401, "unknown token"],
        [404, "tenant acme is outside the token's scope"],
        [403, "this action needs the operator role"],
        [403, "cross-site or scripted request without the x-console-action: 1 header"],
      ]),
    );
    expect(
      refused.find((r) => r.status === 403 && r.reason === "this action needs the operator role"),
    ).toMatchObject({
      token: "vera",
      method: "POST",
      path: `/api/v1/tenants/${TENANT}/runs`,
    });
    const all = h.consoleLog.join("\n");
    for (const t of tokens) expect(all).not.toContain(t.token);
    expect(all).not.toContain("etl_not-a-token");
  });

  it("sends a strict Content-Security-Policy and pages without inline script or style", async () => {
    const page = await fetch(`${h.url}/t/${TENANT}/runs`);
    expect(page.status).toBe(200);
    const csp = page.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("unsafe-inline");
    expect(page.headers.get("x-frame-options")).toBe("DENY");
    expect(page.headers.get("x-content-type-options")).toBe("nosniff");
    const html = await page.text();
    expect(html).toMatch(
      /<script type="module" crossorigin src="\/assets\/index-[\w-]+\.js"><\/script>/,
    );
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\sstyle=/);
    expect(html).not.toMatch(/https?:\/\//);
    const api = await h.api(`/api/v1/tenants/${TENANT}/overview`, { headers: bearer(viewer) });
    expect(api.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(api.headers.get("cache-control")).toBe("no-store");
  });
});

describe("console without tokens", () => {
  it("serves loopback names only (a DNS-rebinding page names its own host)", async () => {
    const open = await startHarness({ ledger: "file" });
    try {
      const port = new URL(open.url).port;
      expect((await open.api("/api/v1/me")).status).toBe(200);
      const rebound = await new Promise<number>((resolve, reject) => {
        get(
          {
            host: "127.0.0.1",
            port,
            path: "/api/v1/me",
            headers: { host: `attacker.example:${port}` },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        ).on("error", reject);
      });
      expect(rebound).toBe(403);
      const cross = await open.api(`/api/v1/tenants/${TENANT}/runs`, {
        method: "POST",
        headers: { "content-type": "text/plain" },
        body: JSON.stringify({ job: "broken" }),
      });
      expect(cross.status).toBe(403);
    } finally {
      await open.close();
    }
  });
});
