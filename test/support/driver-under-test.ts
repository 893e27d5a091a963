import type { Driver } from "@/lib/db/client";

/**
 * The driver the project's setup file means the app to use: the Neon endpoint
 * (use-neon-http.ts), a real server through node-postgres (use-postgres.ts), else PGlite.
 */
export const driverUnderTest: Driver = process.env.NEON_FETCH_ENDPOINT
  ? "neon-http"
  : process.env.TEST_POSTGRES_URL
    ? "node-postgres"
    : "pglite";
