/**
 * Headless Chromium (Debian's `chromium` package, /usr/bin/chromium, which
 * test/integration/console/ensure-chromium.sh installs) driven by playwright-core. The flags keep
 * it off the network: no background requests, no component updates, no sync, no QUIC, and a new
 * empty profile each time.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type BrowserContext, chromium } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** A fresh browser profile; `close` ends the browser and removes the profile. */
export async function openBrowser(
  viewport = { width: 1440, height: 900 },
): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `no Chromium at ${CHROMIUM}: run bash test/integration/console/ensure-chromium.sh (or set CHROMIUM_PATH)`,
    );
  }
  const profile = await mkdtemp(path.join(tmpdir(), "console-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport,
    deviceScaleFactor: 1,
  });
  return {
    context,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
