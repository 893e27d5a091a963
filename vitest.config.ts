import path from "node:path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { alias: { "@": path.resolve(import.meta.dirname) } },
  test: {
    // Each test file gets its own module graph, so its own in-memory database.
    env: {
      NODE_ENV: "test",
      DATABASE_URL: "pglite:memory://",
      INNGEST_DEV: "1",
    },
    testTimeout: 20_000,
    hookTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: { name: "pglite", include: ["test/{unit,functions,routes}/**/*.test.{ts,tsx}"] },
      },
      {
        // The data layer again, through the production driver (Neon over HTTP).
        extends: true,
        test: {
          name: "neon-http",
          include: ["test/unit/db/**/*.test.ts"],
          globalSetup: ["test/support/neon-http-global-setup.ts"],
          setupFiles: ["test/support/use-neon-http.ts"],
        },
      },
    ],
  },
});
