/**
 * Builds the console's pages into runtime/dist/console-web/ at the runtime's build, so a
 * generated package serves them with no generator and no dev server. No inline script or style
 * is emitted (the server's Content-Security-Policy forbids both), and nothing is fetched from
 * elsewhere at run time.
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/",
  publicDir: false,
  logLevel: "warn",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: fileURLToPath(new URL("../../../dist/console-web/", import.meta.url)),
    emptyOutDir: true,
    // The preload polyfill is an inline script; every browser we support has modulepreload.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    target: "es2022",
    sourcemap: false,
    reportCompressedSize: false,
  },
});
