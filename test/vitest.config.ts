import { defineConfig } from "vitest/config";

export default defineConfig({
  // Workspace packages are consumed from their TypeScript sources (the "source" export condition),
  // so integration tests need no prior build.
  // Not "module": the AWS SDK's ES builds use extensionless imports that Node cannot load.
  resolve: { conditions: ["source", "node"] },
  ssr: { resolve: { conditions: ["source", "node"] } },
  test: {
    include: ["src/**/*.test.ts", "integration/**/*.test.ts", "bench/**/*.test.ts"],
    // Integration tests share one real stack: run files one after another.
    fileParallelism: false,
    setupFiles: ["src/vitest-setup.ts"],
    testTimeout: 300_000,
    hookTimeout: 600_000,
  },
});
