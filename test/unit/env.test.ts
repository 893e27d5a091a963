import { afterEach, describe, expect, it, vi } from "vitest";

async function loadEnv(vars: Record<string, string | undefined>) {
  vi.resetModules();
  for (const [name, value] of Object.entries(vars)) vi.stubEnv(name, value);
  return import("@/lib/env");
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("lib/env", () => {
  it("gives development defaults with no configuration at all", async () => {
    const { env } = await loadEnv({ NODE_ENV: "development", DATABASE_URL: undefined });
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.TRIAL_DAYS).toBe(14);
    expect(env.TRIAL_OFFER_DELAY).toBe("3d");
    expect(env.RECONCILE_CRON).toBe("0 * * * *");
    expect(env.APP_URL).toBe("http://localhost:3000");
  });

  it("names every malformed variable, and what it should look like, in one message", async () => {
    const error = await loadEnv({
      STRIPE_SECRET_KEY: "pk_test_oops",
      TRIAL_DAYS: "fourteen",
      STRIPE_API_BASE: "localhost:12111",
      DATABASE_URL: "mysql://db",
      RECONCILE_CRON: "hourly",
    }).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect((error as Error).name).toBe("InvalidEnvironmentError");
    expect(message).toMatch(/STRIPE_SECRET_KEY: a Stripe secret key, starting with "sk_test_"/);
    expect(message).toMatch(/TRIAL_DAYS: a whole number of days/);
    expect(message).toMatch(/STRIPE_API_BASE: the Stripe API origin: an absolute http\(s\) URL/);
    expect(message).toMatch(/DATABASE_URL: a PostgreSQL URL/);
    expect(message).toMatch(/RECONCILE_CRON: a cron schedule of five fields/);
    expect(message).not.toContain("pk_test_oops");
  });

  it("refuses to start in production without the secrets it needs", async () => {
    const error = await loadEnv({
      NODE_ENV: "production",
      DATABASE_URL: undefined,
      INNGEST_DEV: undefined,
      CLERK_SECRET_KEY: undefined,
      CLERK_WEBHOOK_SIGNING_SECRET: undefined,
      STRIPE_SECRET_KEY: "sk_test_123",
      STRIPE_WEBHOOK_SECRET: undefined,
      RESEND_API_KEY: undefined,
    }).catch((caught: unknown) => caught);

    const message = (error as Error).message;
    for (const name of [
      "DATABASE_URL",
      "CLERK_SECRET_KEY",
      "CLERK_WEBHOOK_SIGNING_SECRET",
      "INNGEST_SIGNING_KEY",
      "INNGEST_EVENT_KEY",
      "STRIPE_WEBHOOK_SECRET",
      "RESEND_API_KEY",
    ]) {
      expect(message).toMatch(new RegExp(`${name}: required in production`));
    }
  });

  it("lets `next build` run without production secrets, so one build runs anywhere", async () => {
    const { env } = await loadEnv({
      NODE_ENV: "production",
      NEXT_PHASE: "phase-production-build",
      DATABASE_URL: undefined,
      INNGEST_DEV: undefined,
    });
    expect(env.NODE_ENV).toBe("production");
  });

  it("accepts INNGEST_DEV in production in place of Inngest keys", async () => {
    const { env } = await loadEnv({
      NODE_ENV: "production",
      INNGEST_DEV: "http://127.0.0.1:8288",
      DATABASE_URL: "postgres://u:p@db.example.com/app",
      CLERK_SECRET_KEY: "sk_test_x",
      NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY: "pk_test_x",
      CLERK_WEBHOOK_SIGNING_SECRET: "whsec_x",
      RESEND_API_KEY: "re_x",
      STRIPE_SECRET_KEY: undefined,
    });
    expect(env.INNGEST_DEV).toBe("http://127.0.0.1:8288");
  });
});
