import path from "node:path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { alias: { "@": path.resolve(import.meta.dirname) } },
  test: {
    include: ["test/{unit,functions,routes}/**/*.test.{ts,tsx}"],
    // Each test file gets its own module graph, so its own in-memory database.
    env: {
      NODE_ENV: "test",
      DATABASE_URL: "pglite:memory://",
      INNGEST_DEV: "1",
    },
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
