import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    // Golden outputs and fixtures contain generated packages' own tests; they run in those packages.
    exclude: ["test/golden/**", "test/fixtures/**", "**/node_modules/**"],
    testTimeout: 60_000,
  },
});
