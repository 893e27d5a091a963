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
    expect(env.INNGEST_CHECKPOINT_MAX_RUNTIME).toBe("10s");
    expect(env.RECONCILE_CRON).toBe("0 * * * *");
    expect(env.APP_URL).toBe("http://localhost:3000");
    expect(env.ONRAMP_ENVIRONMENT).toBe("development");
  });

  it("names every malformed variable, and what it should look like, in one message", async () => {
    const error = await loadEnv({
      STRIPE_SECRET_KEY: "pk_test_oops",
      TRIAL_DAYS: "fourteen",
      STRIPE_API_BASE: "localhost:12111",
      DATABASE_URL: "mysql://db",
      RECONCILE_CRON: "hourly",
      INNGEST_CHECKPOINT_MAX_RUNTIME: "ten seconds",
      ONRAMP_ENVIRONMENT: "Production!",
    }).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect((error as Error).name).toBe("InvalidEnvironmentError");
    expect(message).toMatch(/STRIPE_SECRET_KEY: a Stripe secret key, starting with "sk_test_"/);
    expect(message).toMatch(/TRIAL_DAYS: a whole number of days/);
    expect(message).toMatch(/STRIPE_API_BASE: the Stripe API origin: an absolute http\(s\) URL/);
    expect(message).toMatch(/DATABASE_URL: a PostgreSQL URL/);
    expect(message).toMatch(/RECONCILE_CRON: a cron schedule of five fields/);
    expect(message).toMatch(
      /INNGEST_CHECKPOINT_MAX_RUNTIME: a duration such as "10s" or "4m", or "0"/,
    );
    expect(message).toMatch(/ONRAMP_ENVIRONMENT: a short name for this deployment/);
    expect(message).not.toContain("pk_test_oops");
  });

  it("refuses to start in production without the secrets it needs", async () => {
    const error = await loadEnv({
      NODE_ENV: "production",
      APP_URL: undefined,
      ONRAMP_ENVIRONMENT: undefined,
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
      "APP_URL",
      "ONRAMP_ENVIRONMENT",
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

  /** Everything production needs, so a test changes only what it is about. */
  const production = {
    NODE_ENV: "production",
    APP_URL: "https://app.example.com",
    ONRAMP_ENVIRONMENT: "production",
    DATABASE_URL: "postgres://u:p@db.example.com/app",
    INNGEST_DEV: undefined,
    INNGEST_SIGNING_KEY: "signkey-prod-0123456789abcdef",
    INNGEST_EVENT_KEY: "event-key",
    CLERK_SECRET_KEY: "sk_test_x",
    NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY: "pk_test_x",
    CLERK_WEBHOOK_SIGNING_SECRET: "whsec_x",
    RESEND_API_KEY: "re_x",
    STRIPE_SECRET_KEY: undefined,
  };
  const problemsWith = (vars: Record<string, string | undefined>) =>
    loadEnv({ ...production, ...vars }).then(
      () => "",
      (error: Error) => error.message,
    );

  it("starts in production with the production variables", async () => {
    const { env } = await loadEnv(production);
    expect(env.APP_URL).toBe("https://app.example.com");
  });

  it("refuses INNGEST_DEV in production, naming it and the safe way to use a local Inngest", async () => {
    for (const value of ["1", "http://127.0.0.1:8288", "true"]) {
      const message = await problemsWith({ INNGEST_DEV: value });
      expect(message).toMatch(/INNGEST_DEV: must not be set in production/);
      expect(message).toMatch(/inngest start --signing-key/);
      expect(message).toMatch(/ONRAMP_UNSAFE_ALLOW_INNGEST_DEV_IN_PRODUCTION=1/);
    }
    // "0" and "false" mean cloud mode, as the client reads them.
    expect(await problemsWith({ INNGEST_DEV: "0" })).toBe("");
  });

  it("keeps the Inngest keys required in production, INNGEST_DEV or not", async () => {
    for (const dev of [undefined, "1"]) {
      const message = await problemsWith({
        INNGEST_DEV: dev,
        ONRAMP_UNSAFE_ALLOW_INNGEST_DEV_IN_PRODUCTION: "1",
        INNGEST_SIGNING_KEY: undefined,
        INNGEST_EVENT_KEY: undefined,
      });
      expect(message).toMatch(/INNGEST_SIGNING_KEY: required in production/);
      expect(message).toMatch(/INNGEST_EVENT_KEY: required in production/);
    }
  });

  it("runs in Inngest's dev mode in production only with the unsafe opt-in, and says so at start", async () => {
    const vars = { ...production, INNGEST_DEV: "1" };
    const { env } = await loadEnv({ ...vars, ONRAMP_UNSAFE_ALLOW_INNGEST_DEV_IN_PRODUCTION: "1" });
    expect(env.INNGEST_DEV).toBe("1");
    const lines: string[] = [];
    const spy = vi.spyOn(console, "error").mockImplementation((line) => void lines.push(line));
    try {
      const { validateEnvironmentOrExit } = await import("@/lib/startup");
      await validateEnvironmentOrExit();
    } finally {
      spy.mockRestore();
    }
    expect(lines.join("\n")).toMatch(
      /UNSAFE: INNGEST_DEV with ONRAMP_UNSAFE_ALLOW_INNGEST_DEV_IN_PRODUCTION=1/,
    );
    expect(
      await problemsWith({ ...vars, ONRAMP_UNSAFE_ALLOW_INNGEST_DEV_IN_PRODUCTION: "yes" }),
    ).toMatch(/ONRAMP_UNSAFE_ALLOW_INNGEST_DEV_IN_PRODUCTION: unset, or "1"/);
  });

  it("requires APP_URL in production instead of defaulting to localhost", async () => {
    expect(await problemsWith({ APP_URL: undefined })).toMatch(
      /APP_URL: required in production: the app's public origin/,
    );
    expect(await problemsWith({ APP_URL: "" })).toMatch(/APP_URL: required in production/);
  });

  it("requires ONRAMP_ENVIRONMENT in production, so its Stripe objects are never taken for another deployment's", async () => {
    expect(await problemsWith({ ONRAMP_ENVIRONMENT: undefined })).toMatch(
      /ONRAMP_ENVIRONMENT: required in production: the name every Stripe object this deployment makes is tagged with/,
    );
    const { env } = await loadEnv({ ...production, ONRAMP_ENVIRONMENT: "staging" });
    expect(env.ONRAMP_ENVIRONMENT).toBe("staging");
  });

  it("takes demo mode's simulated vendors in development, and names a bad list", async () => {
    const { env } = await loadEnv({ NODE_ENV: "development", ONRAMP_DEMO: "clerk,stripe,inngest" });
    expect(env.ONRAMP_DEMO).toEqual(["clerk", "stripe", "inngest"]);
    expect((await loadEnv({ ONRAMP_DEMO: "off" })).env.ONRAMP_DEMO).toEqual([]);
    const error = await loadEnv({ ONRAMP_DEMO: "clerk,paypal" }).catch((caught: unknown) => caught);
    expect((error as Error).message).toMatch(
      /ONRAMP_DEMO: "off" or a comma-separated list of clerk, stripe, resend, inngest/,
    );
  });

  it("never runs demo mode in production, served or built", async () => {
    const production = {
      NODE_ENV: "production",
      DATABASE_URL: "postgres://u:p@db.example.com/app",
      CLERK_SECRET_KEY: "sk_test_x",
      NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY: "pk_test_x",
      CLERK_WEBHOOK_SIGNING_SECRET: "whsec_x",
      INNGEST_DEV: "1",
      RESEND_API_KEY: "re_x",
      ONRAMP_DEMO: "stripe",
    };
    for (const vars of [production, { ...production, NEXT_PHASE: "phase-production-build" }]) {
      const error = await loadEnv(vars).catch((caught: unknown) => caught);
      expect((error as Error).message).toMatch(
        /ONRAMP_DEMO: demo mode .* never runs in production/,
      );
    }
    const { env } = await loadEnv({ ...production, ONRAMP_DEMO: "off" });
    expect(env.ONRAMP_DEMO).toEqual([]);
  });

  it("starts a built server only with NODE_ENV=production, saying how to run one locally", async () => {
    // `next build` inlines ONRAMP_NEXT_BUILD=1 (next.config.ts); here it is set by hand.
    for (const nodeEnv of ["test", "development"]) {
      const message = await problemsWith({ ONRAMP_NEXT_BUILD: "1", NODE_ENV: nodeEnv });
      expect(message, nodeEnv).toMatch(
        new RegExp(`NODE_ENV: this server was built by \`next build\` .*not "${nodeEnv}"`),
      );
      expect(message).toMatch(/docs\/deploying\.md, Running a built server locally/);
    }
    expect(await problemsWith({ ONRAMP_NEXT_BUILD: "1" })).toBe("");
    // `next build` itself, and `next dev`, are not built servers.
    expect(
      await problemsWith({ ONRAMP_NEXT_BUILD: "1", NEXT_PHASE: "phase-production-build" }),
    ).toBe("");
    expect(await problemsWith({ ONRAMP_NEXT_BUILD: "", NODE_ENV: "development" })).toBe("");
  });

  it("refuses demo mode's script origin and the dev outbox in production", async () => {
    const message = await problemsWith({
      ONRAMP_DEMO_URL: "http://127.0.0.1:4000",
      ONRAMP_DEV_EMAILS: "1",
    });
    expect(message).toMatch(/ONRAMP_DEMO_URL: demo mode's script origin is never loaded/);
    expect(message).toMatch(/ONRAMP_DEV_EMAILS: the dev outbox .* never shows in production/);
    const { env } = await loadEnv({ NODE_ENV: "development", ONRAMP_DEV_EMAILS: "1" });
    expect(env.ONRAMP_DEV_EMAILS).toBe("1");
  });

  it("refuses a demo beside a live key, naming the key and the fix", async () => {
    for (const vars of [
      { ONRAMP_DEMO: "clerk,resend,inngest", STRIPE_SECRET_KEY: "sk_live_secret" },
      { ONRAMP_DEMO: "stripe", CLERK_SECRET_KEY: "sk_live_secret" },
      { ONRAMP_DEMO: "stripe", NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY: "pk_live_x" },
    ]) {
      vi.unstubAllEnvs();
      const error = await loadEnv({ NODE_ENV: "development", ...vars }).catch((e: Error) => e);
      const message = (error as Error).message;
      const named = Object.keys(vars).find((name) => name !== "ONRAMP_DEMO")!;
      expect(message).toMatch(new RegExp(`ONRAMP_DEMO: Demo mode refuses live keys: ${named}`));
      expect(message).toMatch(/Use test-mode keys locally/);
      expect(message).not.toContain("sk_live_secret");
    }
    const { env } = await loadEnv({
      NODE_ENV: "development",
      ONRAMP_DEMO: "off",
      STRIPE_SECRET_KEY: "sk_live_secret",
    });
    expect(env.ONRAMP_DEMO).toEqual([]);
  });
});
