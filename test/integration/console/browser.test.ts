/**
 * The console in headless Chromium, used as a person would: sign in with a token, open every
 * page, follow lineage -> asset -> run, launch a run from the overview and watch it succeed,
 * and check that a viewer cannot launch and that a token of one tenant cannot read another. No
 * page may log an error (a Content-Security-Policy violation would). Screenshots of each page
 * are kept in a temporary folder (printed), and written to docs/console/ with
 * UPDATE_SCREENSHOTS=1.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { environmentPlan, FileLedger } from "@etl/runtime";
import { newToken } from "@etl/runtime/console";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../src/paths.js";
import { openBrowser } from "./browser.js";
import { type Harness, startHarness } from "./harness.js";
import { addDay, largePlan, seedLedger, TENANT } from "./plans.js";

const acme = largePlan({ id: "acme", name: "Acme Retail", startDate: "2024-01-01", dbtModels: 40 });
const operator = newToken("otto", "operator", "*");
const viewer = newToken("vera", "viewer", [TENANT]);
const acmeViewer = newToken("ada", "viewer", ["acme"]);

let h: Harness;
let browser: { context: BrowserContext; close: () => Promise<void> };
let shots = "";
const errors: string[] = [];

async function newPage(): Promise<Page> {
  const page = await browser.context.newPage();
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`${page.url()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => errors.push(`${page.url()}: ${String(e)}`));
  return page;
}

async function signIn(page: Page, token: string): Promise<void> {
  // One browser profile serves every role here: forget the last sign-in first.
  await browser.context.clearCookies();
  await page.goto(`${h.url}/`);
  await page.getByLabel("Token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator("nav.sidebar").waitFor();
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: name !== "lineage" });
}

beforeAll(async () => {
  shots =
    process.env.UPDATE_SCREENSHOTS === "1"
      ? path.join(repoRoot, "docs/console")
      : await mkdtemp(path.join(tmpdir(), "console-shots-"));
  h = await startHarness({
    ledger: "file",
    extraTenants: [{ plan: acme, transforms: {} }],
    env: { ETL_CONSOLE_TOKENS: [operator, viewer, acmeViewer].map((t) => t.line).join("\n") },
  });
  const end = addDay(new Date().toISOString().slice(0, 10), -1);
  await seedLedger(new FileLedger(h.etlHome, "acme"), acme, {
    from: addDay(end, -400),
    to: end,
    failureRate: 0.03,
    gapRate: 0.01,
  });
  const run = await h.cli(["run", "wip_pipeline", "--partition", "2026-01-02"]);
  expect(run.code, run.stderr).toBe(0);
  browser = await openBrowser({ width: 1440, height: 900 });
});

afterAll(async () => {
  await browser?.close();
  await h?.close();
  process.stderr.write(`console screenshots: ${shots}\n`);
});

describe("console in a browser", () => {
  it("signs an operator in and opens every page", async () => {
    const page = await newPage();
    await page.goto(`${h.url}/t/${TENANT}`);
    await expect.poll(() => page.getByRole("button", { name: "Sign in" }).isVisible()).toBe(true);
    await shot(page, "login");
    await signIn(page, operator.token);
    await page.locator(".tenant-card").first().waitFor();
    expect(await page.locator(".tenant-card h2").allTextContents()).toEqual([
      "Project 01",
      "Acme Retail",
    ]);
    await shot(page, "tenants");

    await page.getByRole("link", { name: "Acme Retail" }).click();
    await page.locator(".tiles").waitFor();
    expect(await page.locator("h1").textContent()).toBe("Acme Retail");
    expect(await page.locator(".tile").count()).toBe(4);
    await shot(page, "overview");

    await page.locator('a[data-nav="partitions"]').click();
    await page.getByTestId("partition-matrix").waitFor();
    expect(await page.locator(".card-head h2").first().textContent()).toMatch(
      /^20 partitioned assets × [\d,]+ days$/,
    );
    await page.getByRole("button", { name: "1 year" }).click();
    await expect
      .poll(() => page.locator(".card-head h2").first().textContent())
      .toMatch(/× 365 days$/);
    // Drag across the matrix: a range for a backfill.
    const box = await page.getByTestId("partition-matrix").boundingBox();
    if (box === null) throw new Error("no partition matrix on the page");
    await page.mouse.move(box.x + box.width * 0.5, box.y + 40);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.6, box.y + 60, { steps: 5 });
    await page.mouse.up();
    await page.getByTestId("backfill-form").waitFor();
    expect(await page.locator(".range-label").textContent()).toMatch(
      /^\d{4}-\d{2}-\d{2} → \d{4}-\d{2}-\d{2} \(\d+ days\)$/,
    );
    await shot(page, "partitions");

    await page.locator('a[data-nav="runs"]').click();
    await page.locator("table.table tbody tr").first().waitFor();
    await page.locator('select[name="status"]').selectOption("failed");
    await expect.poll(() => page.url()).toContain("status=failed");
    // The filtered list replaces the unfiltered one asynchronously: wait for the
    // rows the filter asked for instead of reading whatever is on screen.
    await expect
      .poll(async () => [
        ...new Set(await page.locator("table.table tbody .pill").allTextContents()),
      ])
      .toEqual(["failed"]);
    await shot(page, "runs");
    await page.close();
  });

  it("follows lineage -> asset -> run", async () => {
    const page = await newPage();
    await signIn(page, operator.token);
    await page.goto(`${h.url}/t/${TENANT}/lineage`);
    const node = page.locator(`g.node[data-key="${TENANT}/load/lot_history"] a`);
    await node.waitFor();
    await expect
      .poll(() => page.locator("g.node").count())
      .toBe(environmentPlan(h.plan, "dev").assets.length);
    await shot(page, "lineage");
    await node.click();
    await expect.poll(() => page.locator("h1").textContent()).toBe(`${TENANT}/load/lot_history`);
    await page.locator(".chart canvas").first().waitFor();
    await expect.poll(() => page.getByTestId("partition-strip").count()).toBe(1);
    await shot(page, "asset");
    await page.locator(".facts-row a.mono").first().click();
    await page.locator(".timeline-row").first().waitFor();
    await expect
      .poll(() =>
        page
          .locator(".timeline-row")
          .evaluateAll((rows) =>
            rows.map((r) => [r.getAttribute("data-step"), r.getAttribute("data-status")]),
          ),
      )
      .toEqual([
        [`${TENANT}/extract/lot_history`, "succeeded"],
        [`${TENANT}/transfer/lot_history`, "succeeded"],
        [`${TENANT}/load/lot_history`, "succeeded"],
      ]);
    await expect.poll(() => page.getByTestId("run-logs").textContent()).toContain("run finished");
    await shot(page, "run");
    await page.close();
  });

  it("launches a run from the overview and watches it succeed", async () => {
    const page = await newPage();
    await signIn(page, operator.token);
    await page.goto(`${h.url}/t/${TENANT}`);
    await page.locator("form.launch").waitFor();
    await page.locator('form.launch select[name="job"]').selectOption("wip_pipeline");
    await page.locator('form.launch input[name="partition"]').fill("2026-01-04");
    await page.getByRole("button", { name: "Launch run" }).click();
    await page.waitForURL(/\/runs\/\d{8}T\d{6}Z-[0-9a-f]{8}$/);
    await expect
      .poll(() => page.locator(".head-side .pill").first().textContent(), { timeout: 120_000 })
      .toBe("succeeded");
    await expect
      .poll(() => page.getByTestId("run-logs").textContent(), { timeout: 10_000 })
      .toContain("run finished");
    expect(await page.locator(".page-head .sub").textContent()).toContain("trigger console");
    expect(await page.locator(".timeline-row[data-status='succeeded']").count()).toBe(3);
    await page.close();
  });

  it("does not let a viewer launch", async () => {
    const page = await newPage();
    await signIn(page, viewer.token);
    await page.goto(`${h.url}/t/${TENANT}`);
    await page.locator(".tiles").waitFor();
    expect(await page.locator("form.launch").count()).toBe(0);
    expect(await page.locator(".role").textContent()).toBe("viewer");
    const status = await page.evaluate(async (tenant) => {
      const r = await fetch(`/api/v1/tenants/${tenant}/runs`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-console-action": "1" },
        body: JSON.stringify({ job: "wip_pipeline", partition: "2026-01-05" }),
      });
      return r.status;
    }, TENANT);
    expect(status).toBe(403);
    await page.close();
  });

  it("does not let a token of one tenant read another", async () => {
    const page = await newPage();
    await signIn(page, acmeViewer.token);
    await page.waitForURL(/\/t\/acme$/);
    expect(await page.locator("h1").textContent()).toBe("Acme Retail");
    await page.goto(`${h.url}/t/${TENANT}/runs`);
    await page.locator(".error-box").waitFor();
    expect(await page.locator(".error-box").textContent()).toContain("Not found");
    const status = await page.evaluate(
      async (tenant) => (await fetch(`/api/v1/tenants/${tenant}/overview`)).status,
      TENANT,
    );
    expect(status).toBe(404);
    const tenants = await page.evaluate(async () =>
      (
        (await (await fetch("/api/v1/tenants")).json()) as { tenants: { id: string }[] }
      ).tenants.map((t) => t.id),
    );
    expect(tenants).toEqual(["acme"]);
    await page.close();
  });

  it("logged no error on any page", () => {
    // The refused requests above answer 401/403/404 on purpose; the browser reports those as
    // failed resources. Anything else (a script error, a CSP violation) is a defect.
    expect(
      errors.filter(
        (e) =>
          !/Failed to load resource: the server responded with a status of (401|403|404)/.test(e),
      ),
    ).toEqual([]);
  });
});
