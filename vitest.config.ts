import { availableParallelism } from "node:os";
import path from "node:path";
import { defineConfig } from "vitest/config";
import { findPostgresBinaries, postgresMissing } from "./test/support/postgres-server.js";

// The postgres project needs Debian's PostgreSQL server binaries; without them it is left out.
// (`.js` resolves to the .ts file and keeps Vite's config loader from warning about the import.)
const postgresInstalled = findPostgresBinaries() !== null;
// Vitest evaluates this file more than once per run: say it once.
const said = globalThis as typeof globalThis & { onrampPostgresMissingSaid?: boolean };
if (!postgresInstalled && process.env.VITEST && !said.onrampPostgresMissingSaid) {
  said.onrampPostgresMissingSaid = true;
  console.log(postgresMissing);
}

export default defineConfig({
  resolve: { alias: { "@": path.resolve(import.meta.dirname) } },
  test: {
    // Each test file gets its own module graph, so its own in-memory database. Every vendor is
    // reached through its real SDK at a base URL that msw intercepts (@onramp/standins/vitest).
    env: {
      NODE_ENV: "test",
      DATABASE_URL: "pglite:memory://",
      INNGEST_DEV: "1",
      INNGEST_BASE_URL: "http://inngest.test",
      CLERK_SECRET_KEY: "sk_test_onramp",
      NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY: "pk_test_Y2xlcmsub25yYW1wLnRlc3Qk",
      CLERK_API_URL: "http://clerk.test",
      // Nothing leaves the machine anyway; this keeps Clerk's telemetry notice out of the output.
      CLERK_TELEMETRY_DISABLED: "1",
      // The public half of test/support/session.ts's key: session tokens verify networklessly.
      CLERK_JWT_KEY: `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA2c623zftGYqqET7DqvGV
10wgfTSMm87kdeB6grSpLCl7IAFsKUHXUnUOK7ke/RD5wmSpprUDEizvdx4igIo/
tOYBnL35vX3uq4GewdeeO3zWCssu7AVAg2ZkvPTNKn+4WzTjnwBsTT+DAieWNPf7
mbYPNhnpKcV0epdxr557Qmg0PICoHQKveztcqVPqpu93t+jRVnQw1HDuGXRZXlzJ
op/SZX9senyZAMd8touo+dpNK+PxFkfGH7818cVbfWstXx36JOY2AYwp5HXoUIl4
gPB4HCEFKdW/0hUOScZrKiKWwZLQCja8jZcsFgZOSXv9v3pAAQMs3+DkNQ5g7Fm2
MQIDAQAB
-----END PUBLIC KEY-----
`,
      CLERK_WEBHOOK_SIGNING_SECRET: "whsec_b25yYW1wLXRlc3Qtc3ZpeC1zZWNyZXQtMzJieXRlcyE=",
      STRIPE_SECRET_KEY: "sk_test_onramp",
      STRIPE_API_BASE: "http://stripe.test",
      STRIPE_WEBHOOK_SECRET: "whsec_onramp_stripe_test",
      STRIPE_PRICE_PRO: "price_pro_test",
      STRIPE_PRICE_ENTERPRISE: "price_enterprise_test",
      RESEND_API_KEY: "re_onramp_test",
      RESEND_BASE_URL: "http://resend.test",
      EMAIL_FROM: "onramp <hello@onramp.test>",
    },
    // Failure-path tests log errors on purpose: a test's console output is shown only when that
    // test fails, next to its failure, so a green run reads as a list of tests
    // (`npx vitest run --silent=false` shows every line).
    silent: "passed-only",
    // Every new PGlite database a test file opens starts from one migrated template, in every
    // project (those on a server never open one).
    globalSetup: ["test/support/pglite-template-global-setup.ts"],
    setupFiles: ["test/support/use-pglite-template.ts"],
    reporters: ["default", "./test/support/slowest-files-reporter.ts"],
    // One worker per core (Vitest's default leaves one core to its main process, which mostly
    // waits), in threads: a file starts faster than in a child process and nothing here needs a
    // process of its own. Two workers share the cores with each other, and on a shared machine
    // with more, so the timeouts only catch hangs: a test several times slower than usual passes.
    pool: "threads",
    maxWorkers: availableParallelism(),
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: { name: "pglite", include: ["test/{unit,functions,routes}/**/*.test.{ts,tsx}"] },
      },
      {
        // The workflows again with Inngest asking for one step per request, the SDK's other path
        // (the pglite project runs them with checkpointing, as Inngest runs v4 apps).
        extends: true,
        test: {
          name: "step-by-step",
          include: ["test/functions/**/*.test.ts", "packages/standins/test/inngest-sim.test.ts"],
          env: { STANDIN_INNGEST_MODE: "step-by-step" },
        },
      },
      {
        // The stand-ins' own promises (packages/standins/README.md), kept apart from onramp's.
        extends: true,
        test: { name: "standins", include: ["packages/standins/test/**/*.test.ts"] },
      },
      {
        // The data layer again, through the production driver (Neon over HTTP), against a local
        // endpoint backed by the real server when PostgreSQL is installed, else by PGlite.
        extends: true,
        test: {
          name: "neon-http",
          include: ["test/unit/db/**/*.test.ts"],
          globalSetup: ["test/support/neon-http-global-setup.ts"],
          setupFiles: ["test/support/use-neon-http.ts"],
        },
      },
      ...(postgresInstalled
        ? [
            {
              // The data layer and every test whose point is concurrency, on a real PostgreSQL
              // server through node-postgres: a pool, so concurrent statements really overlap
              // (PGlite has one connection). A fresh database per file.
              extends: true as const,
              test: {
                name: "postgres",
                include: [
                  "test/unit/db/**/*.test.ts",
                  "packages/standins/test/neon-http-server.test.ts",
                  "test/routes/licensing.test.ts",
                ],
                globalSetup: ["test/support/postgres-global-setup.ts"],
                setupFiles: ["test/support/use-postgres.ts"],
              },
            },
          ]
        : []),
      // Real Chromium against `next build && next start`: `npm run test:browser` only (it sets
      // ONRAMP_BROWSER_TESTS=1), so a plain `vitest run` never starts a build. One build and one
      // server for the suite.
      ...(process.env.ONRAMP_BROWSER_TESTS === "1"
        ? [
            {
              extends: true as const,
              test: {
                name: "browser",
                include: ["test/browser/**/*.test.ts"],
                globalSetup: [
                  "test/browser/support/global-setup.ts",
                  "test/support/neon-http-global-setup.ts",
                ],
                setupFiles: ["test/support/use-neon-http.ts"],
                // One file at a time: demo mode's `next dev` compiles pages on demand, and with the
                // built server's journeys competing for the same two cores, a compile that ends
                // after a page opened makes Next reload it (seen as reload loops on /sign-up).
                fileParallelism: false,
                testTimeout: 60_000,
                hookTimeout: 120_000,
              },
            },
          ]
        : []),
    ],
  },
});
